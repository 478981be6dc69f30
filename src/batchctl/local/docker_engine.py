"""Is a Docker engine reachable? Local jobs run in real containers, so the CLI checks before it relies on one."""

from __future__ import annotations

import os
from dataclasses import dataclass

DEFAULT_DOCKER_HOST = "unix:///var/run/docker.sock"
_CHECK_TIMEOUT = 5


@dataclass(frozen=True)
class DockerStatus:
    available: bool
    detail: str


def docker_host() -> str:
    return os.environ.get("DOCKER_HOST") or DEFAULT_DOCKER_HOST


def _reason(err: BaseException) -> str:
    """The most telling cause in an exception chain, in words a user can act on."""
    text = str(err)
    host = docker_host()
    if "FileNotFoundError" in text or "No such file or directory" in text:
        return f"{host} does not exist (is the Docker daemon running?)"
    if "PermissionError" in text or "Permission denied" in text:
        return f"permission denied on {host} (is your user in the docker group?)"
    if "Connection refused" in text or "ConnectionRefusedError" in text:
        return f"connection refused at {host} (is the Docker daemon running?)"
    if "timed out" in text.lower():
        return f"no answer from {host} within {_CHECK_TIMEOUT} s"
    return text.splitlines()[0] if text else type(err).__name__


def check() -> DockerStatus:
    """Ask the engine for its version; report it, or the reason it cannot be reached."""
    try:
        import docker
    except ImportError:
        return DockerStatus(False, "the docker Python package is not installed")
    try:
        client = docker.from_env(timeout=_CHECK_TIMEOUT)
    except docker.errors.DockerException as err:
        return DockerStatus(False, f"Docker engine not reachable: {_reason(err)}")
    try:
        version = client.version()
    except Exception as err:  # the SDK raises requests and docker errors alike
        return DockerStatus(False, f"Docker engine not reachable: {_reason(err)}")
    finally:
        client.close()
    return DockerStatus(True, f"Docker {version.get('Version', '?')} at {docker_host()}")
