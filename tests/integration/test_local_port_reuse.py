"""`local up` after a crashed emulator: the port it left in TIME-WAIT is reused at once."""

from __future__ import annotations

import os
import signal
import socket
import time
from pathlib import Path
from typing import Any

import pytest
from tests.emulator_fixtures import batchctl_home, free_port
from tests.helpers import run_cli

from batchctl.local import process

pytestmark = pytest.mark.integration

_TIME_WAIT = "06"  # the state column of /proc/net/tcp


def _in_time_wait(port: int) -> bool:
    with open("/proc/net/tcp", encoding="ascii") as table:
        for row in table.readlines()[1:]:
            fields = row.split()
            if int(fields[1].rsplit(":", 1)[1], 16) == port and fields[3] == _TIME_WAIT:
                return True
    return False


def _wait_gone(pid: int, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.waitpid(pid, os.WNOHANG)
            os.kill(pid, 0)
        except (ChildProcessError, ProcessLookupError):
            return
        time.sleep(0.05)


def test_local_up_reuses_a_port_left_in_time_wait(tmp_path: Path, capsys: Any) -> None:
    port = free_port()
    with batchctl_home(tmp_path / "home"):
        crashed = process.start(port=port, timeout=60)
        # A request still being read when the emulator dies: the kernel closes the server's end first.
        client = socket.create_connection(("127.0.0.1", port), timeout=10)
        client.sendall(b"GET /moto-api/ HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        time.sleep(0.3)
        os.kill(crashed.pid, signal.SIGKILL)
        _wait_gone(crashed.pid)
        assert client.recv(16) == b""  # the dead server's FIN
        client.close()  # the client's FIN: the server's end of the connection enters TIME-WAIT
        time.sleep(0.2)
        assert _in_time_wait(port), "precondition: the crashed emulator's port is in TIME-WAIT"
        try:
            started = time.monotonic()
            code, _, err = run_cli(["local", "up", "--port", str(port)], capsys)
            assert code == 0, err
            running = process.status()
            assert running is not None and running.port == port and running.pid != crashed.pid
            assert time.monotonic() - started < 60
        finally:
            process.stop()
