"""The emulator process itself: loopback only, identity answer, clean exit, moto settings."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.emulator_fixtures import free_port

from batchctl.local import server
from batchctl.local.faults import FaultSettings

_DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def run_server(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "batchctl.local.server", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def get_json(url: str) -> Any:
    with _DIRECT.open(url, timeout=2) as response:
        return json.loads(response.read())


def wait_until_answering(port: int, timeout: float = 30) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        try:
            return get_json(f"http://127.0.0.1:{port}{server.IDENTITY_PATH}")
        except OSError:
            assert time.monotonic() < deadline, "the emulator did not answer"
            time.sleep(0.1)


@pytest.fixture
def running(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[str], int]]:
    port = free_port()
    emulator = run_server("--host", "127.0.0.1", "--port", str(port), "--state-dir", str(tmp_path))
    try:
        wait_until_answering(port)
        yield emulator, port
    finally:
        if emulator.poll() is None:
            emulator.kill()
        emulator.communicate()


@pytest.mark.parametrize("host", ["0.0.0.0", "localhost", "192.168.1.10", "::"])
def test_refuses_to_bind_anything_but_loopback(host: str, caplog: pytest.LogCaptureFixture) -> None:
    assert server.main(["--host", host, "--port", str(free_port())]) == server.EXIT_BAD_ARGUMENTS
    assert f"refusing to bind {host}: the local emulator listens on 127.0.0.1 only" in caplog.text


@pytest.mark.integration
def test_answers_its_identity_and_serves_moto(running: tuple[subprocess.Popen[str], int]) -> None:
    emulator, port = running
    identity = get_json(f"http://127.0.0.1:{port}{server.IDENTITY_PATH}")
    registry = identity.pop("registry")
    assert identity.pop("faults") == FaultSettings().to_dict()  # no injection unless asked
    assert identity == {"service": server.SERVICE_NAME, "pid": emulator.pid, "port": port}
    assert registry is None or re.fullmatch(r"127\.0\.0\.1:\d+", registry)
    # moto's own API is served next to it
    assert isinstance(get_json(f"http://127.0.0.1:{port}/moto-api/data.json"), dict)


@pytest.mark.integration
def test_exits_cleanly_on_sigterm(running: tuple[subprocess.Popen[str], int]) -> None:
    emulator, _ = running
    os.kill(emulator.pid, signal.SIGTERM)
    output, _ = emulator.communicate(timeout=30)
    assert emulator.returncode == 0
    assert "received SIGTERM, stopping" in output
    assert output.rstrip().endswith("stopped")


def test_moto_settings_keep_containers_on_the_host_network(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MOTO_DOCKER_NETWORK_NAME", "bridge")
    monkeypatch.delenv("MOTO_DOCKER_NETWORK_MODE", raising=False)
    monkeypatch.setenv("MOTO_PORT", "5000")  # restored after the test
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    server.configure_moto_environment(4711)
    assert os.environ["MOTO_PORT"] == "4711"
    assert os.environ["MOTO_DOCKER_NETWORK_MODE"] == "host"
    assert "MOTO_DOCKER_NETWORK_NAME" not in os.environ


def test_default_port(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(server.PORT_ENV, raising=False)
    assert server.default_port() == 4586
    monkeypatch.setenv(server.PORT_ENV, "4999")
    assert server.default_port() == 4999


# --- POST /batchctl/interrupt ---------------------------------------------------------------------------------------


def fake_interrupter(job_id: str) -> dict[str, str]:
    if job_id == "missing":
        raise LookupError("job missing not found in the local emulator")
    if job_id == "queued":
        raise ValueError("job queued is RUNNABLE, not RUNNING: only a running job's host can be reclaimed")
    return {"jobId": job_id, "statusReason": "Host EC2 (instance i-0123456789abcdef0) terminated."}


def call(app: server.WsgiApp, method: str, path: str, body: bytes = b"") -> tuple[str, Any]:
    """One WSGI request; returns the status line and the decoded JSON body (or the raw text)."""
    import io

    environ = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": io.BytesIO(body),
    }
    answered: list[str] = []
    payload = b"".join(app(environ, lambda status, headers: answered.append(status)))
    try:
        return answered[0], json.loads(payload)
    except ValueError:
        return answered[0], payload.decode()


def moto_stand_in(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    start_response("200 OK", [])
    return [b"moto"]


def test_interrupt_endpoint_answers_with_the_reason_or_a_one_line_error() -> None:
    app = server.with_interrupt(moto_stand_in, fake_interrupter)
    path = server.INTERRUPT_PATH

    status, body = call(app, "POST", path, json.dumps({"jobId": "abc:1"}).encode())
    assert (status, body["jobId"]) == ("200 OK", "abc:1")
    assert body["statusReason"].startswith("Host EC2 (instance i-")
    assert call(app, "POST", path, b'{"jobId": "missing"}') == (
        "404 Not Found",
        {"error": "job missing not found in the local emulator"},
    )
    status, body = call(app, "POST", path, b'{"jobId": "queued"}')
    assert status == "409 Conflict"
    assert body["error"].startswith("job queued is RUNNABLE, not RUNNING")
    assert call(app, "POST", path, b"not json")[0] == "400 Bad Request"
    assert call(app, "POST", path, b'{"job": "abc"}') == (
        "400 Bad Request",
        {"error": 'the request body has no "jobId"'},
    )
    assert call(app, "POST", path)[0] == "400 Bad Request"
    assert call(app, "GET", path) == ("405 Method Not Allowed", {"error": "use POST"})
    assert call(app, "POST", "/moto-api/reset") == ("200 OK", "moto")  # everything else is moto's
