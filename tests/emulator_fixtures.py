"""Fixtures for tests that need the local emulator or a Docker engine.

Import into a conftest.py::

    from tests.emulator_fixtures import emulator, emulator_reset_between_modules  # noqa: F401

``emulator`` starts one emulator process per test session (free port, temporary BATCHCTL_HOME, set for the session);
``emulator_reset_between_modules`` (autouse once imported) clears its state after each test module that used it.
"""

from __future__ import annotations

import os
import socket
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest

from batchctl.local import docker_engine, process

REGION = "us-east-1"
ACCOUNT_ID = "123456789012"
BASE_IMAGE = "debian:bookworm-slim"
_START_TIMEOUT = 60.0


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


def _missing(reason: str) -> None:
    """In CI a missing prerequisite is a failure (the pipeline must provide it); elsewhere the test is skipped."""
    if in_ci():
        pytest.fail(f"{reason} (CI=true: prerequisites are mandatory)", pytrace=False)
    pytest.skip(reason)


def require_docker() -> None:
    """Fail (CI) or skip (elsewhere) unless a Docker engine answers."""
    status = docker_engine.check()
    if not status.available:
        _missing(f"Docker engine required: {status.detail}")


def require_image(name: str = BASE_IMAGE) -> None:
    """Fail (CI) or skip (elsewhere) unless ``name`` is in the local engine (nothing can be pulled offline)."""
    require_docker()
    import docker

    client = docker.from_env()
    try:
        client.images.get(name)
    except docker.errors.ImageNotFound:
        _missing(f"image {name} is not in the local Docker engine; build the offline base image first")
    finally:
        client.close()


def require_registry() -> None:
    """Fail (CI) or skip (elsewhere) unless the running emulator has its image registry (ECR images come from it)."""
    info = process.status()
    if info is None or not info.registry:
        _missing("the emulator's image registry is required: install docker-registry (scripts/setup-registry.sh)")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def batchctl_home(home: Path) -> Iterator[None]:
    """Point BATCHCTL_HOME at ``home`` for the duration of a block only."""
    previous = os.environ.get(process.HOME_ENV)
    os.environ[process.HOME_ENV] = str(home)
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop(process.HOME_ENV, None)
        else:
            os.environ[process.HOME_ENV] = previous


@dataclass
class Emulator:
    endpoint: str
    port: int
    home: Path
    info: process.EmulatorInfo

    def client(self, service: str) -> Any:
        return boto3.client(
            service,
            endpoint_url=self.endpoint,
            region_name=REGION,
            aws_access_key_id="test",
            aws_secret_access_key="test",
        )

    def reset(self) -> None:
        """Clear every service's state (moto's reset API); the compatibility patches stay in place."""
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        request = urllib.request.Request(f"{self.endpoint}/moto-api/reset", method="POST", data=b"")
        with opener.open(request, timeout=30) as response:
            response.read()

    @property
    def log_text(self) -> str:
        return self.info.log_file.read_text(errors="replace")


# The session's emulator once started, so the per-module reset can find it without starting one.
_started: list[Emulator] = []


@pytest.fixture(scope="session")
def emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Emulator]:
    """One emulator process for the session, on a free port, with its state in a temporary BATCHCTL_HOME.

    BATCHCTL_HOME points there for the whole session, so ``batchctl --local`` run in-process finds the emulator.
    """
    home = tmp_path_factory.mktemp("batchctl-home")
    with batchctl_home(home):
        info = process.start(port=free_port(), timeout=_START_TIMEOUT)
        started = Emulator(endpoint=info.endpoint, port=info.port, home=home, info=info)
        _started.append(started)
        try:
            yield started
        finally:
            _started.remove(started)
            process.stop()


@pytest.fixture(scope="module", autouse=True)
def emulator_reset_between_modules() -> Iterator[None]:
    """After each module, reset the session emulator if one was started (one HTTP call)."""
    yield
    for started in _started:
        started.reset()
