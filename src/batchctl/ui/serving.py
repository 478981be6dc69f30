"""Where the dashboard serves: the loopback address, a free port, the token'd URL (no web framework imported)."""

from __future__ import annotations

import socket
from dataclasses import dataclass

from batchctl.errors import BatchctlError

LOOPBACK_HOSTS = ("127.0.0.1", "localhost")
BIND_ADDRESS = "127.0.0.1"  # the only address the dashboard listens on


@dataclass(frozen=True)
class Serving:
    """`batchctl ui -o json`: printed once the port is bound, before serving."""

    url: str  # open this (it carries the token); other URLs answer 403 until the token's cookie is set
    host: str
    port: int
    cluster: str
    target: str


def check_host(host: str) -> str:
    """The dashboard serves loopback only: anything else is refused (its pages can cancel jobs)."""
    if host not in LOOPBACK_HOSTS:
        raise ValueError(
            f"--host {host}: the dashboard listens on 127.0.0.1 only (it can cancel and resubmit jobs); "
            "reach it from elsewhere through an SSH tunnel: ssh -L PORT:127.0.0.1:PORT HOST"
        )
    return BIND_ADDRESS


def bind(port: int) -> socket.socket:
    """A listening socket on 127.0.0.1:port (0: a free port), held open until the server takes it."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        listener.bind((BIND_ADDRESS, port))
    except OSError as exc:
        listener.close()
        raise BatchctlError(
            f"cannot listen on {BIND_ADDRESS}:{port}: {exc.strerror or exc}",
            hint="choose another --port, or --port 0 for a free one",
        ) from None
    listener.listen(128)
    return listener


def allowed_hosts(port: int) -> frozenset[str]:
    """Host headers the dashboard answers: its own loopback origin only (a DNS-rebinding page sends another)."""
    return frozenset(f"{host}:{port}" for host in LOOPBACK_HOSTS)
