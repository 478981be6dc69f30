"""The dashboard as an ASGI application: routes, the guard in front of them, the package's static files."""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from batchctl.ui.actions import Actions
from batchctl.ui.context import Dashboard, shows_errors
from batchctl.ui.events import Events
from batchctl.ui.pages import Pages
from batchctl.ui.security import Guard, Secrets, cookie_name

if TYPE_CHECKING:
    from batchctl.api import Batchctl

SERVICES = ("batch", "logs", "s3", "cloudformation")  # what the pages read


def create_app(
    sdk: Batchctl,
    *,
    hosts: frozenset[str],
    port: int,
    keys: Secrets | None = None,
    command: str = "batchctl",
    poll_seconds: float = 2.0,
) -> Starlette:
    """The dashboard of `sdk`'s cluster; `hosts`: the Host headers it answers (its own loopback origin)."""
    for service in SERVICES:
        sdk.aws.client(service)  # created here, once: boto3 does not create clients safely from several threads
    dashboard = Dashboard(sdk, command=command, poll_seconds=poll_seconds, keys=keys or Secrets())
    pages = Pages(dashboard)
    actions = Actions(dashboard)
    events = Events(dashboard, pages)
    page = shows_errors(dashboard)
    section = shows_errors(dashboard, fragment=True)
    job = "/jobs/{job_id:str}"
    routes = [
        Route("/", pages.home),
        Route("/cluster", page(pages.cluster)),
        Route("/cluster/body", section(pages.cluster_fragment)),
        Route("/jobs", page(pages.jobs)),
        Route(job, page(pages.job)),
        Route(f"{job}/why", section(pages.why)),
        Route(f"{job}/usage", section(pages.usage)),
        Route(f"{job}/outputs", section(pages.outputs)),
        Route(f"{job}/graph", section(pages.graph)),
        Route(f"{job}/outputs/{{path:path}}", page(pages.download)),
        Route(f"{job}/cancel", page(actions.confirm_cancel), methods=["GET"]),
        Route(f"{job}/cancel", page(actions.cancel), methods=["POST"]),
        Route(f"{job}/resubmit", page(actions.confirm_resubmit), methods=["GET"]),
        Route(f"{job}/resubmit", page(actions.resubmit), methods=["POST"]),
        Route("/events/jobs", page(events.jobs)),  # a bad filter: the error page, before any event
        Route(f"/events{job}", page(events.job)),
        Route(f"/events{job}/logs", page(events.logs)),
        Mount("/static", StaticFiles(packages=[("batchctl.ui", "static")]), name="static"),
    ]
    guard = Middleware(Guard, keys=dashboard.keys, hosts=hosts, cookie=cookie_name(port))
    return Starlette(routes=routes, middleware=[guard])
