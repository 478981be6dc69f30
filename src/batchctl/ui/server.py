"""Running the dashboard: uvicorn on a socket already bound to 127.0.0.1, until Ctrl-C."""

from __future__ import annotations

import contextlib
import socket
import threading
import webbrowser
from typing import TYPE_CHECKING

import uvicorn

from batchctl.ui.app import create_app
from batchctl.ui.security import Secrets
from batchctl.ui.serving import allowed_hosts
from batchctl.ui.tables import JobFilter, list_filtered

if TYPE_CHECKING:
    from batchctl.api import Batchctl

GRACE = 3


def serve(sdk: Batchctl, listener: socket.socket, keys: Secrets, url: str, *, command: str, open_browser: bool) -> None:
    port = int(listener.getsockname()[1])
    application = create_app(sdk, hosts=allowed_hosts(port), port=port, keys=keys, command=command)
    # No access log: request lines would put the token'd URL in the terminal's scrollback and in log files.
    # Live streams never end by themselves: Ctrl-C closes them after at most GRACE seconds.
    config = uvicorn.Config(
        application, log_level="warning", access_log=False, lifespan="off", timeout_graceful_shutdown=GRACE
    )
    server = uvicorn.Server(config)
    # The SDK describes a finished job once per Batchctl object: listing the default jobs page now, while the
    # browser starts, makes its first load (and every refresh) describe only new and unfinished jobs.
    threading.Thread(target=_warm_up, args=(sdk,), name="dashboard-warm-up", daemon=True).start()
    if open_browser:
        webbrowser.open(url)  # the socket already listens: the browser's first request waits for the server
    server.run(sockets=[listener])


def _warm_up(sdk: Batchctl) -> None:
    with contextlib.suppress(Exception):  # a failing read is shown by the page that makes it again
        list_filtered(sdk, JobFilter())
