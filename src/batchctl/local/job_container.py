"""What a job's container is launched with: image, command, environment, mounts, limits, log destination.

The executor builds the arguments of the Docker SDK's ``containers.run`` from the job as moto's run loop does
(command with ``Ref::`` parameters substituted, the job's environment, host volumes) and adds what AWS Batch gives
a container: the ``AWS_BATCH_*`` variables, the job's memory as a hard limit and its vCPUs as a CPU quota.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from moto import settings

from batchctl.local import behaviours, moto_adapter, scheduler
from batchctl.local.job_state import state_of
from batchctl.runner import contract

DEFAULT_LOG_GROUP = "/aws/batch/job"
CONTAINER_NAME = "default"  # the container name AWS Batch gives a job's ECS task
DUMMY_CREDENTIAL = "test"
DEFAULT_COMMAND = '/bin/sh -c "for a in `seq 1 10`; do echo Hello World; sleep 1; done"'  # moto's default
MIB = 1024 * 1024


# --- environment --------------------------------------------------------------------------------------------------


def loopback_host() -> str:
    return "http://127.0.0.1"


def container_endpoint() -> str:
    """The emulator's own endpoint as seen from a job container (host networking: the same loopback address)."""
    return f"{loopback_host()}:{settings.moto_server_port()}"


def parent_array_job(job: Any) -> Any:
    if "index" not in job.array_properties or ":" not in job.job_id:
        return None
    return job.all_jobs.get(job.job_id.rsplit(":", 1)[0])


def compute_environment_name(job: Any) -> str | None:
    """The environment the job was placed in; without placement, the first of its queue's order."""
    placed = state_of(job).placement
    if placed is not None:
        return str(placed.name)
    return str(job.job_queue.environments[0].name) if job.job_queue.environments else None


def batch_variables(job: Any) -> dict[str, str]:
    """The ``AWS_BATCH_*`` variables AWS Batch sets in every job container (a reserved prefix: they always win)."""
    variables = {
        contract.AWS_JOB_ID: job.job_id,
        contract.AWS_ATTEMPT: str(state_of(job).attempt_number),
        "AWS_BATCH_JQ_NAME": job.job_queue.name,
    }
    environment_name = compute_environment_name(job)
    if environment_name:
        variables["AWS_BATCH_CE_NAME"] = environment_name
    if "index" in job.array_properties:
        variables[contract.AWS_ARRAY_INDEX] = str(job.array_properties["index"])
        parent = parent_array_job(job)
        if parent is not None and "size" in parent.array_properties:
            variables["AWS_BATCH_JOB_ARRAY_SIZE"] = str(parent.array_properties["size"])
    return variables


def default_variables(job: Any) -> dict[str, str]:
    """What a container needs to call the emulator with an unmodified AWS SDK; the job's own values win."""
    region = job.backend.region_name
    return {
        "AWS_ENDPOINT_URL": container_endpoint(),
        "AWS_ACCESS_KEY_ID": DUMMY_CREDENTIAL,
        "AWS_SECRET_ACCESS_KEY": DUMMY_CREDENTIAL,
        "AWS_DEFAULT_REGION": region,
        "AWS_REGION": region,
    }


def container_environment(job: Any) -> dict[str, str]:
    environment = {entry["name"]: entry["value"] for entry in moto_adapter.container_property(job, "environment", [])}
    if behaviours.SWITCHES.on(behaviours.CONTAINER_ENVIRONMENT):
        for name, value in default_variables(job).items():
            environment.setdefault(name, value)
        environment.update(batch_variables(job))
        host = loopback_host()  # moto would ask the Docker socket for a bridge address; host networking needs none
    else:
        host = settings.moto_server_host()
    environment["MOTO_HOST"] = host
    environment["MOTO_PORT"] = str(settings.moto_server_port())
    environment["MOTO_HTTP_ENDPOINT"] = f"{host}:{settings.moto_server_port()}"
    return environment


# --- limits -------------------------------------------------------------------------------------------------------


def resource_limits(job: Any) -> dict[str, Any]:
    """The job's memory as the container's hard limit and its vCPUs as a CPU quota, as ECS sets them
    (https://docs.aws.amazon.com/batch/latest/userguide/job_definition_parameters.html#ContainerProperties-resourceRequirements);
    GPUs are passed through when the job asks for them (it is placed only on a machine that has them)."""
    if not behaviours.SWITCHES.on(behaviours.RESOURCE_LIMITS):
        return {}
    limits: dict[str, Any] = {"nano_cpus": int(scheduler.job_vcpus(job) * 1e9)}
    memory = scheduler.job_memory_mib(job)
    if memory:
        limits["mem_limit"] = int(memory) * MIB
        limits["memswap_limit"] = int(memory) * MIB  # no swap beyond the limit: the kernel kills, as on ECS
    gpus = scheduler.job_gpus(job)
    if gpus:
        import docker.types

        limits["device_requests"] = [docker.types.DeviceRequest(count=gpus, capabilities=[["gpu"]])]
    return limits


# --- the container ------------------------------------------------------------------------------------------------


def container_name(job: Any) -> str:
    return f"{job.job_name}-{job.job_id.replace(':', '-')}"


def launch_arguments(job: Any, image: str) -> dict[str, Any]:
    """Keyword arguments of ``containers.run`` for the job's current attempt."""
    import docker.types

    properties = job.job_definition.container_properties or {}
    volumes = {volume["name"]: volume["host"] for volume in moto_adapter.container_property(job, "volumes", [])}
    mounts = [
        docker.types.Mount(
            mount["containerPath"], volumes[mount["sourceVolume"]]["sourcePath"], type="bind",
            read_only=mount.get("readOnly", False),
        )
        for mount in moto_adapter.container_property(job, "mountPoints", [])
    ]  # fmt: skip
    arguments: dict[str, Any] = {
        "image": image,
        "privileged": properties.get("privileged", False),
        "command": moto_adapter.command_with_parameters(
            job, moto_adapter.container_property(job, "command", DEFAULT_COMMAND)
        ),
        "environment": container_environment(job),
        "mounts": mounts,
        "name": container_name(job),
        "detach": True,
        "log_config": docker.types.LogConfig(type=docker.types.LogConfig.types.JSON),
    }
    network_mode = settings.moto_network_mode()
    if network_mode:
        arguments["network_mode"] = network_mode
    arguments.update(resource_limits(job))
    return arguments


def job_image(job: Any) -> str:
    return str((job.job_definition.container_properties or {}).get("image", "alpine:latest"))


# --- logs ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LogDestination:
    group: str
    stream: str


def log_destination(job: Any, task_id: str) -> LogDestination:
    """Where AWS Batch sends a container job's output: ``<group>/<prefix>/default/<ECS task id>``.

    With the awslogs driver the group and stream prefix come from ``logConfiguration.options``; unset, Batch uses
    ``/aws/batch/job`` and the job definition's name. With the behaviour off: moto's fixed group and stream.
    """
    if not behaviours.SWITCHES.on(behaviours.LOG_CONFIGURATION):
        return LogDestination(group=DEFAULT_LOG_GROUP, stream=f"{job.job_definition.name}/default/{job.job_id}")
    properties = job.job_definition.container_properties or {}
    log_configuration = properties.get("logConfiguration") or {}
    options = (log_configuration.get("options") or {}) if log_configuration.get("logDriver") == "awslogs" else {}
    group = options.get("awslogs-group") or DEFAULT_LOG_GROUP
    prefix = options.get("awslogs-stream-prefix") or job.job_definition.name
    return LogDestination(group=group, stream=f"{prefix}/{CONTAINER_NAME}/{task_id}")


def new_task_id() -> str:
    return uuid.uuid4().hex
