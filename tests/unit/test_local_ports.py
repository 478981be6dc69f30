"""The emulator's port: a port in TIME-WAIT is reused at once, a bad port setting is one clear line."""

from __future__ import annotations

import socket
from typing import Any

import pytest
from tests.helpers import run_cli

from batchctl.errors import BatchctlError
from batchctl.local import process


def _port_in_time_wait() -> int:
    """A port whose listener accepted a connection and closed it first, as a crashed emulator leaves it."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    port = int(listener.getsockname()[1])
    client = socket.create_connection(("127.0.0.1", port))
    accepted, _ = listener.accept()
    accepted.close()  # the server side closes first: its end of the connection goes to TIME-WAIT
    listener.close()
    client.recv(1)
    client.close()
    return port


def test_a_port_in_time_wait_is_free_for_the_emulator() -> None:
    port = _port_in_time_wait()
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as plain, pytest.raises(OSError):
        plain.bind(("127.0.0.1", port))  # without SO_REUSEADDR the port looks taken
    assert process.port_free(port)


def test_a_listening_port_is_not_free() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        assert not process.port_free(int(listener.getsockname()[1]))


@pytest.mark.parametrize("value", ["abc", "0", "99999", "-1", "80.5"])
def test_a_bad_port_variable_is_one_line(value: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(process.PORT_ENV, value)
    with pytest.raises(BatchctlError) as raised:
        process.configured_port()
    assert raised.value.message == f"BATCHCTL_LOCAL_PORT={value!r} is not a port number"


def test_port_option_out_of_range_is_a_usage_error(capsys: Any) -> None:
    code, _, err = run_cli(["local", "up", "--port", "99999"], capsys)
    assert code == 2
    assert "'--port': 99999 is not in the range 1<=x<=65535" in err
