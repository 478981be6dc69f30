"""The emulator's process lifecycle: start, status, stop, and the errors a user sees."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.emulator_fixtures import free_port

from batchctl.local import process

# These start real emulator processes (no Docker needed): not part of the fast unit tier.
pytestmark = pytest.mark.integration


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv(process.HOME_ENV, str(tmp_path))
    monkeypatch.delenv(process.PORT_ENV, raising=False)
    yield tmp_path
    process.stop()


def test_start_status_stop_round_trip(home: Path) -> None:
    port = free_port()
    info = process.start(port=port)

    assert info.endpoint == f"http://127.0.0.1:{port}"
    assert info.log_file == home / "local" / "emulator.log"
    assert process.status() == info
    assert process.endpoint_if_running() == info.endpoint
    assert process.start() == info  # idempotent: the running emulator is returned
    recorded = json.loads((home / "local" / "emulator.json").read_text())
    assert (recorded["pid"], recorded["port"]) == (info.pid, port)

    assert process.stop() is True
    assert process.status() is None
    assert process.endpoint_if_running() is None
    assert not (home / "local" / "emulator.json").exists()
    assert process.stop() is False
    log = info.log_file.read_text()
    assert f"listening on http://127.0.0.1:{port}" in log
    assert "received SIGTERM, stopping" in log
    assert log.rstrip().endswith("stopped")


def test_default_port_comes_from_the_environment(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    port = free_port()
    monkeypatch.setenv(process.PORT_ENV, str(port))
    assert process.start().port == port


def test_start_refuses_a_port_in_use(home: Path) -> None:
    with socket.socket() as other:
        other.bind(("127.0.0.1", 0))
        other.listen()
        port = other.getsockname()[1]
        with pytest.raises(process.EmulatorError, match=f"port {port} on 127.0.0.1 is already in use"):
            process.start(port=port)
    assert process.status() is None


def test_start_reports_a_process_that_dies_with_its_log(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Something takes the port between the check and the bind: the server exits and start() says why.
    monkeypatch.setattr(process, "port_free", lambda port: True)
    with socket.socket() as other:
        other.bind(("127.0.0.1", 0))
        other.listen()
        port = other.getsockname()[1]
        with pytest.raises(process.EmulatorError) as raised:
            process.start(port=port)
    assert str(raised.value).startswith("the local emulator exited during start (exit code 3)")
    assert "\n" not in str(raised.value)
    assert f"cannot listen on 127.0.0.1:{port}" in raised.value.detail


def test_start_refuses_another_port_while_running(home: Path) -> None:
    info = process.start(port=free_port())
    with pytest.raises(process.EmulatorError, match=f"already running on port {info.port}"):
        process.start(port=free_port())


def test_status_removes_a_stale_state_file(home: Path) -> None:
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    state = home / "local" / "emulator.json"
    state.parent.mkdir(parents=True)
    state.write_text(
        json.dumps(
            {
                "pid": dead.pid,
                "port": free_port(),
                "endpoint": "http://127.0.0.1:1",
                "log_file": str(home / "local" / "emulator.log"),
                "started_at": "2020-01-01T00:00:00+00:00",
            }
        )
    )
    assert process.status() is None
    assert not state.exists()


def test_stop_leaves_an_unrelated_process_alone(home: Path) -> None:
    unrelated = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        state = home / "local" / "emulator.json"
        state.parent.mkdir(parents=True)
        state.write_text(
            json.dumps(
                {
                    "pid": unrelated.pid,
                    "port": free_port(),
                    "endpoint": "http://127.0.0.1:1",
                    "log_file": str(home / "local" / "emulator.log"),
                    "started_at": "2020-01-01T00:00:00+00:00",
                }
            )
        )
        assert process.stop() is False
        assert unrelated.poll() is None
        assert not state.exists()
    finally:
        unrelated.kill()
        unrelated.wait()


def test_interrupt_job_reports_the_emulators_refusal(home: Path) -> None:
    with pytest.raises(process.EmulatorError, match="the local emulator is not running"):
        process.interrupt_job("abc")

    process.start(port=free_port())
    with pytest.raises(process.EmulatorRefusedError, match="job abc not found in the local emulator") as refused:
        process.interrupt_job("abc")
    assert refused.value.status == 404
