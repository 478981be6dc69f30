"""Where a local job's image comes from: ECR images from the emulator's registry, as on AWS; others from the engine.

On AWS an ECS container instance pulls a job's image from its registry at every attempt, so an image that was built
but never pushed fails the attempt with ``CannotPullContainerError``. The emulator's ECR repository URIs
(``<account>.dkr.ecr.<region>.amazonaws.com/<repository>:<tag>``) name the registry that runs beside it (see
:mod:`batchctl.local.registry_process`); :func:`image_for_job` pulls from it. Images of other registries (e.g.
``debian:bookworm-slim``, standing for a public registry that cannot be reached offline) run from the local engine.

The contract with the emulator process is one environment variable, :data:`ADDRESS_ENV` (``host:port`` of the
registry), set by the emulator when its registry answers.
"""

from __future__ import annotations

import contextlib
import os
import re
import threading
from dataclasses import dataclass
from typing import Any

ADDRESS_ENV = "BATCHCTL_LOCAL_REGISTRY"

# https://docs.aws.amazon.com/AmazonECR/latest/userguide/docker-pull-ecr-image.html (the registry URI form)
_ECR_IMAGE = re.compile(
    r"(?P<account>\d{12})\.dkr\.ecr\.(?P<region>[a-z0-9-]+)\.amazonaws\.com(?:\.cn)?"
    r"/(?P<repository>[a-z0-9][a-z0-9._/-]*)(?::(?P<tag>[A-Za-z0-9_][A-Za-z0-9._-]{0,127}))?"
)

# What AWS Batch reports when an attempt's image cannot be pulled: the job's statusReason is "Task failed to start" and
# the attempt's container.reason carries the ECS agent's CannotPullContainerError (for a missing tag, the Docker
# daemon's "manifest for ... not found" with ECR's "Requested image not found"). The image is pulled in STARTING,
# before the container runs:
# https://docs.aws.amazon.com/batch/latest/userguide/job_states.html
# https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task_cannot_pull_image.html
# https://docs.aws.amazon.com/AmazonECS/latest/developerguide/stopped-task-errors.html
# (the pair "Task failed to start" / container reason as DescribeJobs shows it: github.com/spotify/luigi/pull/2808)
STATUS_REASON = "Task failed to start"
_NOT_FOUND = (
    "CannotPullContainerError: Error response from daemon: manifest for {image} not found: "
    "manifest unknown: Requested image not found"
)
_UNREACHABLE = (
    'CannotPullContainerError: Error response from daemon: Get "https://{host}/v2/": the local image registry is '
    "not running ({why})"
)


# Registry references pulled for jobs: the emulator untags them when it stops, leaving the engine as it found it.
_pulled: set[str] = set()
_pulled_lock = threading.Lock()


class ImagePullError(RuntimeError):
    """The image cannot be pulled; str() is the reason AWS Batch reports (CannotPullContainerError: ...)."""


@dataclass(frozen=True)
class EcrImage:
    host: str
    repository: str
    tag: str

    @property
    def reference(self) -> str:
        return f"{self.host}/{self.repository}:{self.tag}"


def parse_ecr_image(image: str) -> EcrImage | None:
    """The parts of an ECR image URI; None for any other image (or an ECR image named by digest)."""
    match = _ECR_IMAGE.fullmatch(image)
    if match is None:
        return None
    host = image.split("/", 1)[0]
    return EcrImage(host=host, repository=match["repository"], tag=match["tag"] or "latest")


def registry_address() -> str | None:
    return os.environ.get(ADDRESS_ENV) or None


def registry_reference(image: EcrImage, address: str) -> str:
    """The same repository and tag in the emulator's registry: the one registry serves every account and region."""
    return f"{address}/{image.repository}:{image.tag}"


def image_for_job(image: str) -> str:
    """The reference the local Docker engine should run for a job's image; raises ImagePullError."""
    ecr = parse_ecr_image(image)
    if ecr is None:
        return image
    address = registry_address()
    if address is None:
        raise ImagePullError(
            _UNREACHABLE.format(host=ecr.host, why="install docker-registry: scripts/setup-registry.sh")
        )
    reference = registry_reference(ecr, address)
    _pull(reference, ecr)
    return reference


def _pull(reference: str, ecr: EcrImage) -> None:
    """Pull from the registry every time (the ECS agent's default behaviour), replacing any local copy."""
    import docker
    import docker.errors

    client = docker.from_env()
    try:
        repository, _, tag = reference.rpartition(":")
        client.images.pull(repository, tag=tag)
        with _pulled_lock:
            _pulled.add(reference)
    except docker.errors.NotFound:
        raise ImagePullError(_NOT_FOUND.format(image=ecr.reference)) from None
    except docker.errors.APIError as err:
        raise ImagePullError(_pull_failure(err, ecr)) from None
    finally:
        client.close()


def _pull_failure(err: Any, ecr: EcrImage) -> str:
    explanation = str(getattr(err, "explanation", "") or err)
    if "manifest unknown" in explanation or "not found" in explanation:
        return _NOT_FOUND.format(image=ecr.reference)
    if "connection refused" in explanation.lower():
        return _UNREACHABLE.format(
            host=ecr.host, why="connection refused; restart the emulator: batchctl local down; batchctl local up"
        )
    return f"CannotPullContainerError: Error response from daemon: {explanation.splitlines()[0]}"


def remove_pulled_images(address: str | None = None) -> None:
    """Untag the registry references pulled for jobs (the images stay while other tags name them). With ``address``,
    also those of that registry address left by an emulator that crashed (only one registry serves an address)."""
    import docker

    with _pulled_lock:
        references = sorted(_pulled)
        _pulled.clear()
    if address is not None:
        references += _engine_tags_of(address)
    if not references:
        return
    client = docker.from_env()
    try:
        for reference in references:
            with contextlib.suppress(docker.errors.DockerException):
                client.images.remove(reference, noprune=True)
    finally:
        client.close()


def _engine_tags_of(address: str) -> list[str]:
    import docker

    client = docker.from_env()
    try:
        prefix = address + "/"
        return sorted(tag for image in client.images.list() for tag in image.tags if tag.startswith(prefix))
    except docker.errors.DockerException:
        return []
    finally:
        client.close()
