"""`batchctl ui`: serve the dashboard on 127.0.0.1 (the web framework is imported only here, when it runs)."""

from __future__ import annotations

import sys

import click

from batchctl.cli import render
from batchctl.cli.context import AppContext
from batchctl.cli.options import pass_app


def _loopback(ctx: click.Context, param: click.Parameter, value: str) -> str:
    from batchctl.ui.serving import check_host

    try:
        return check_host(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc).removeprefix(f"--host {value}: "), ctx=ctx, param=param) from None


@click.command()
@click.option("--port", type=click.IntRange(0, 65535), default=0, show_default=True, help="Port (0: a free one).")
@click.option("--host", default="127.0.0.1", callback=_loopback, help="Only 127.0.0.1 (or localhost) is accepted.")
@click.option("--no-open", is_flag=True, help="Do not open a browser.")
@click.option("--dry-run", is_flag=True, help="Check the cluster and print the URL; serve nothing.")
@pass_app
def ui(app: AppContext, port: int, host: str, no_open: bool, dry_run: bool) -> None:
    """Serve a dashboard of the cluster (queues, jobs, arrays, logs, why) on 127.0.0.1 until Ctrl-C.

    \b
    The URL printed carries a random token: every request needs it (a cookie after the first one).
    The pages read through the same SDK as the CLI, against AWS or the local emulator (--local).
    """
    from batchctl.ui.security import Secrets
    from batchctl.ui.serving import Serving, bind

    api = app.api()
    api.stack_outputs()  # not deployed: the CLI's own error, before anything listens
    listener = bind(port)
    keys = Secrets()
    chosen = int(listener.getsockname()[1])
    url = f"http://{host}:{chosen}{keys.base}/?token={keys.token}"
    serving = Serving(url=url, host=host, port=chosen, cluster=api.config.name, target=api.target)
    if app.json:
        render.as_json(serving)
    else:
        render.out.print(f"Dashboard of {serving.cluster} ({serving.target}):")
        render.out.print(serving.url, soft_wrap=True, highlight=False)
        if not dry_run:
            render.out.print("Ctrl-C to stop.", style="dim")
    if dry_run:
        listener.close()
        return
    sys.stdout.flush()
    from batchctl.ui.server import serve

    serve(api, listener, keys, url, command=app.command(), open_browser=not no_open)


COMMANDS = [ui]
