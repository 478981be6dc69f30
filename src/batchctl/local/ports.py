"""Whether a port on 127.0.0.1 can be bound, the way the emulator and its registry bind it."""

from __future__ import annotations

import socket

LOOPBACK = "127.0.0.1"


def port_free(port: int) -> bool:
    """True unless something listens on the port: connections of a previous (or crashed) process left in TIME_WAIT
    do not make it busy, since the servers bind with SO_REUSEADDR too."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((LOOPBACK, port))
        except OSError:
            return False
    return True
