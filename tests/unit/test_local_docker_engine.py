"""Docker engine check: a version when reachable, an actionable reason when not."""

from __future__ import annotations

import pytest
from tests.emulator_fixtures import require_docker

from batchctl.local import docker_engine


def test_reports_a_missing_socket(monkeypatch: pytest.MonkeyPatch, tmp_path: object) -> None:
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/docker.sock")
    status = docker_engine.check()
    assert status.available is False
    assert status.detail == (
        f"Docker engine not reachable: unix://{tmp_path}/docker.sock does not exist (is the Docker daemon running?)"
    )


def test_reports_a_refused_connection(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOCKER_HOST", "tcp://127.0.0.1:1")
    status = docker_engine.check()
    assert status.available is False
    assert "connection refused at tcp://127.0.0.1:1" in status.detail


@pytest.mark.requires_docker
def test_reports_the_engine_version() -> None:
    require_docker()
    status = docker_engine.check()
    assert status.available is True
    assert status.detail.startswith("Docker ")
    assert status.detail.endswith(f" at {docker_engine.docker_host()}")
