"""How the emulator launches a Batch job's container: environment, image, log destination.

moto's ``Job.run`` builds the container arguments and calls ``docker_client.containers.run``. The emulator hands each
job a Docker client whose ``containers.run`` first passes the arguments through the registered launch hooks, so each
compatibility patch changes one aspect of the launch without copying moto's run loop; :data:`STARTED_HOOKS` see
the started container.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from moto import settings
from moto.batch.models import Job

from batchctl.local.job_state import state_of

LaunchHook = Callable[[Job, Any, dict[str, Any]], None]
"""A hook receives the job, the real Docker client and the keyword arguments of ``containers.run`` (mutable)."""

LAUNCH_HOOKS: list[LaunchHook] = []

StartedHook = Callable[[Job, Any], None]
"""Called with the job and the Docker container object once its container has been started."""

STARTED_HOOKS: list[StartedHook] = []

DEFAULT_LOG_GROUP = "/aws/batch/job"
CONTAINER_NAME = "default"  # the container name AWS Batch gives a job's ECS task
DUMMY_CREDENTIAL = "test"


class JobDockerClient:
    """A Docker client for one job: ``containers.run`` calls the hooks; the rest is the real client."""

    def __init__(self, client: Any, job: Job) -> None:
        self._client = client
        self._job = job

    @property
    def containers(self) -> _JobContainers:
        return _JobContainers(self._client, self._job)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)


class _JobContainers:
    def __init__(self, client: Any, job: Job) -> None:
        self._client = client
        self._job = job

    def run(self, **kwargs: Any) -> Any:
        for hook in list(LAUNCH_HOOKS):
            hook(self._job, self._client, kwargs)
        container = self._client.containers.run(**kwargs)
        for started in list(STARTED_HOOKS):
            started(self._job, container)
        return container

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client.containers, name)


# --- environment --------------------------------------------------------------------------------------------------


def loopback_host() -> str:
    return "http://127.0.0.1"


def container_endpoint() -> str:
    """The emulator's own endpoint as seen from a job container (host networking: the same loopback address)."""
    return f"{loopback_host()}:{settings.moto_server_port()}"


def parent_array_job(job: Job) -> Job | None:
    if "index" not in job.array_properties or ":" not in job.job_id:
        return None
    return job.all_jobs.get(job.job_id.rsplit(":", 1)[0])


def compute_environment_name(job: Job) -> str | None:
    """The environment the job was placed in; without placement, the first of its queue's order."""
    placed = state_of(job).placement
    if placed is not None:
        return str(placed.name)
    return str(job.job_queue.environments[0].name) if job.job_queue.environments else None


def batch_variables(job: Job) -> dict[str, str]:
    """The ``AWS_BATCH_*`` variables AWS Batch sets in every job container (a reserved prefix: they always win)."""
    variables = {
        "AWS_BATCH_JOB_ID": job.job_id,
        "AWS_BATCH_JOB_ATTEMPT": str(state_of(job).attempt_number),
        "AWS_BATCH_JQ_NAME": job.job_queue.name,
    }
    environment_name = compute_environment_name(job)
    if environment_name:
        variables["AWS_BATCH_CE_NAME"] = environment_name
    if "index" in job.array_properties:
        variables["AWS_BATCH_JOB_ARRAY_INDEX"] = str(job.array_properties["index"])
        parent = parent_array_job(job)
        if parent is not None and "size" in parent.array_properties:
            variables["AWS_BATCH_JOB_ARRAY_SIZE"] = str(parent.array_properties["size"])
    return variables


def default_variables(job: Job) -> dict[str, str]:
    """What a container needs to call the emulator with an unmodified AWS SDK; the job's own values win."""
    region = job.backend.region_name
    return {
        "AWS_ENDPOINT_URL": container_endpoint(),
        "AWS_ACCESS_KEY_ID": DUMMY_CREDENTIAL,
        "AWS_SECRET_ACCESS_KEY": DUMMY_CREDENTIAL,
        "AWS_DEFAULT_REGION": region,
        "AWS_REGION": region,
    }


def set_container_environment(job: Job, client: Any, kwargs: dict[str, Any]) -> None:
    environment = dict(kwargs.get("environment") or {})
    for name, value in default_variables(job).items():
        environment.setdefault(name, value)
    environment.update(batch_variables(job))
    kwargs["environment"] = environment


# --- image --------------------------------------------------------------------------------------------------------


class ImageNotPresentError(RuntimeError):
    pass


def require_local_image(job: Job, client: Any, kwargs: dict[str, Any]) -> None:
    """ECR images come from the emulator's registry; others from the local engine, never pulled. An image that
    cannot be had fails the job with AWS's reason."""
    import docker.errors

    from batchctl.local import registry

    try:
        kwargs["image"] = registry.image_for_job(kwargs.get("image", ""))
    except registry.ImagePullError as err:
        job.job_stopped_reason = registry.STATUS_REASON
        state_of(job).container_reason = str(err)
        raise ImageNotPresentError(str(err)) from None
    image = kwargs["image"]
    try:
        client.images.get(image)
    except docker.errors.ImageNotFound:
        reason = (
            f"CannotPullContainerError: image {image} is not in the local Docker engine "
            "(the local emulator never pulls; build or tag the image locally)"
        )
        job.job_stopped_reason = reason
        state_of(job).container_reason = reason
        raise ImageNotPresentError(reason) from None


# --- logs ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LogDestination:
    group: str
    stream: str


def log_destination(job: Job, task_id: str) -> LogDestination:
    """Where AWS Batch sends a container job's output: ``<group>/<prefix>/default/<ECS task id>``.

    With the awslogs driver the group and stream prefix come from ``logConfiguration.options``; unset, Batch uses
    ``/aws/batch/job`` and the job definition's name.
    """
    properties = job.job_definition.container_properties or {}
    log_configuration = properties.get("logConfiguration") or {}
    options = (log_configuration.get("options") or {}) if log_configuration.get("logDriver") == "awslogs" else {}
    group = options.get("awslogs-group") or DEFAULT_LOG_GROUP
    prefix = options.get("awslogs-stream-prefix") or job.job_definition.name
    return LogDestination(group=group, stream=f"{prefix}/{CONTAINER_NAME}/{task_id}")


def new_task_id() -> str:
    return uuid.uuid4().hex


def ensure_log_stream(job: Job, client: Any, kwargs: dict[str, Any]) -> None:
    """Create the job's log stream when its container starts, as the awslogs driver does."""
    logs = job._log_backend
    logs.ensure_log_group(job._log_group)
    logs.ensure_log_stream(job._log_group, job._stream_name)
