"""What every dashboard route shares: the SDK object, the run's secrets, the templates and the error page."""

from __future__ import annotations

import functools
import inspect
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from jinja2 import Environment, PackageLoader, select_autoescape
from jinja2.sandbox import SandboxedEnvironment
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from batchctl.errors import AwsError, BatchctlError, NotFoundError
from batchctl.ui.security import CSRF_FIELD, Secrets

if TYPE_CHECKING:
    from batchctl.api import Batchctl

logger = logging.getLogger(__name__)
STATUS_CLASSES = {
    "SUBMITTED": "submitted",
    "PENDING": "pending",
    "RUNNABLE": "runnable",
    "STARTING": "starting",
    "RUNNING": "running",
    "SUCCEEDED": "succeeded",
    "FAILED": "failed",
}


def templates() -> Environment:
    """The package's own templates (never a user's), HTML-escaped by default, sandboxed like every Jinja2
    environment of the project: the values they render (job names, reasons, log lines) come from whoever submits."""
    environment = SandboxedEnvironment(
        loader=PackageLoader("batchctl.ui", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters["when"] = when
    environment.filters["status_class"] = lambda status: STATUS_CLASSES.get(str(status), "unknown")
    environment.filters["short"] = lambda arn: str(arn).rsplit("/", 1)[-1]
    return environment


@dataclass
class Dashboard:
    sdk: Batchctl
    command: str = "batchctl"  # how the `why` fixes call batchctl (e.g. "batchctl --local")
    poll_seconds: float = 2.0  # how often live views read AWS again
    keys: Secrets = field(default_factory=Secrets)
    environment: Environment = field(default_factory=templates)

    def html(self, name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
        return HTMLResponse(self.fragment(name, **context), status_code=status_code)

    def fragment(self, name: str, **context: Any) -> str:
        shared = {
            "cluster": self.sdk.config.name,
            "target": self.sdk.target,
            "csrf_field": CSRF_FIELD,
            "csrf": self.keys.csrf,
            "base": self.keys.base,
        }
        return self.environment.get_template(name).render(**shared, **context)


def error_status(exc: Exception) -> int:
    if isinstance(exc, NotFoundError):
        return 404
    if isinstance(exc, AwsError):
        return 502
    return 400 if isinstance(exc, BatchctlError) else 500


def error_text(exc: Exception) -> tuple[str, str | None]:
    """What a page says instead of a traceback: the message and, when known, the fix."""
    if isinstance(exc, BatchctlError):
        return exc.message, exc.hint
    return f"unexpected error: {type(exc).__name__}: {exc}", "run the same with the CLI and --debug for a traceback"


def shows_errors(dashboard: Dashboard, *, fragment: bool = False) -> Callable[..., Any]:
    """Errors from AWS (and any other) become a readable page or section, never a traceback."""

    def answer(request: Request, exc: Exception) -> Response:
        if not isinstance(exc, BatchctlError):
            logger.exception("dashboard route %s failed", request.url.path)
        message, hint = error_text(exc)
        name = "error_fragment.html" if fragment else "error.html"
        # A section's error is its content (htmx swaps 2xx answers only); a page's carries the status.
        status = 200 if fragment else error_status(exc)
        return dashboard.html(name, status_code=status, message=message, hint=hint)

    def wrap(handler: Callable[[Request], Any]) -> Callable[[Request], Any]:
        if inspect.iscoroutinefunction(handler):

            @functools.wraps(handler)
            async def guarded_async(request: Request) -> Response:
                try:
                    response: Response = await handler(request)
                except Exception as exc:
                    return answer(request, exc)
                return response

            return guarded_async

        @functools.wraps(handler)
        def guarded(request: Request) -> Response:
            try:
                response: Response = handler(request)
            except Exception as exc:
                return answer(request, exc)
            return response

        return guarded

    return wrap


def when(moment: datetime | None) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S") if moment else ""
