"""The Docker engine, reached through the Docker SDK (imported only when an image command runs)."""

from __future__ import annotations

from typing import Any

from batchctl.errors import BatchctlError


class ImageError(BatchctlError):
    """An image could not be built, tagged or pushed."""


def docker_client() -> Any:
    try:
        import docker
    except ImportError:
        raise ImageError("the docker Python package is not installed", hint="pip install docker") from None
    try:
        client = docker.from_env()
        client.ping()
    except Exception as exc:  # the SDK raises docker, requests and OS errors alike
        raise ImageError(
            f"cannot reach the Docker engine: {_first_line(exc)}",
            hint="start it (scripts/setup-docker.sh), or set DOCKER_HOST",
        ) from None
    return client


def stream_messages(chunks: Any, what: str) -> Any:
    """The text lines of a build or push progress stream; an error chunk ends it with an ImageError."""
    for chunk in chunks:
        if not isinstance(chunk, dict):
            continue
        if chunk.get("error") or chunk.get("errorDetail"):
            message = chunk.get("error") or chunk["errorDetail"].get("message", "")
            raise ImageError(f"{what} failed: {str(message).strip()}")
        yield chunk


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
