"""The emulator process itself: loopback only, identity answer, clean exit, moto settings."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from tests.emulator_fixtures import free_port

from batchctl.local import server

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
def running() -> Iterator[tuple[subprocess.Popen[str], int]]:
    port = free_port()
    emulator = run_server("--host", "127.0.0.1", "--port", str(port))
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
    assert identity == {"service": server.SERVICE_NAME, "pid": emulator.pid, "port": port}
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
