"""The one place that touches moto's private Batch (and CloudWatch Logs) internals, for the pinned moto version only.

moto keeps the control plane (resources, CloudFormation, API shapes); :mod:`batchctl.local.executor` owns each job's
lifecycle. This module connects the two: it installs the executor's seams into moto's ``Job`` and ``BatchBackend``
(one replacement per method, never stacked), closes the gaps of the Batch API itself (each a named patch with a test
that shows the gap without it), and offers the accessors the executor uses instead of moto's private attributes.

The emulator refuses to start with another moto version (:func:`require_pinned_moto`): the seams rely on the shape
of moto's ``Job`` run loop and ``BatchResponse`` handlers, which change between releases.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from importlib import metadata
from typing import Any

PINNED_MOTO_VERSION = "5.2.5"
"""The moto version this module was written against; pyproject.toml pins the same."""


class MotoVersionError(RuntimeError):
    """The installed moto is not the pinned version; ``str()`` says which and how to fix it."""


def installed_moto_version() -> str:
    try:
        return metadata.version("moto")
    except metadata.PackageNotFoundError:
        return "none"


def require_pinned_moto(version: str | None = None) -> None:
    """Raise :class:`MotoVersionError` unless moto (or ``version``) is the pinned release."""
    found = installed_moto_version() if version is None else version
    if found != PINNED_MOTO_VERSION:
        raise MotoVersionError(
            f"the local emulator needs moto {PINNED_MOTO_VERSION}, found {found}: "
            f'install the pinned version (pip install "moto[server]=={PINNED_MOTO_VERSION}")'
        )


# Imported after the guard's definition so that the guard itself can be tested without moto's Batch models.
from moto.batch.models import BatchBackend, Job, JobQueue, batch_backends  # noqa: E402
from moto.batch.responses import BatchResponse  # noqa: E402
from moto.batch.urls import url_paths  # noqa: E402
from moto.moto_api._internal.managed_state_model import ManagedState  # noqa: E402

from batchctl.local import executor, job_queues  # noqa: E402
from batchctl.local.patching import PatchSet, record_undo, replace_attribute  # noqa: E402
from batchctl.runner import contract  # noqa: E402

# --- accessors for the executor -----------------------------------------------------------------------------------


def backends() -> Iterator[BatchBackend]:
    for account in batch_backends.values():
        yield from account.values()


def jobs_of(backend: Any) -> list[Job]:
    return list(backend._jobs.values())


def find_job(job_id: str) -> Job | None:
    for backend in backends():
        job = backend._jobs.get(job_id)
        if job is not None:
            return job
    return None


def children_of(job: Job) -> list[Job]:
    return list(job._child_jobs or [])


def is_array_parent(job: Job) -> bool:
    return bool(job._child_jobs)


def log_backend(job: Job) -> Any:
    return job._log_backend


def container_property(job: Job, name: str, default: Any) -> Any:
    return job._get_container_property(name, default)


def command_with_parameters(job: Job, command: Any) -> list[str]:
    return list(job._add_parameters_to_command(command))


def scheduling_policy(backend: Any, arn: str | None) -> Any:
    return backend._scheduling_policies.get(arn) if arn else None


def moto_status(job: Job) -> str | None:
    """moto's own status of a job the executor does not run (an array parent)."""
    base: property = vars(ManagedState)["status"]
    return base.fget(job) if base.fget else None


_TIME_LIMIT_ATTRIBUTE = "_batchctl_job_state_time_limit_actions"


def time_limit_actions(queue: JobQueue) -> list[dict[str, Any]]:
    """The queue's jobStateTimeLimitActions (moto drops them; the emulator keeps them on the queue)."""
    return list(getattr(queue, _TIME_LIMIT_ATTRIBUTE, None) or [])


def set_time_limit_actions(queue: JobQueue, actions: list[dict[str, Any]] | None) -> None:
    setattr(queue, _TIME_LIMIT_ATTRIBUTE, list(actions or []))


# A job state time limit action's maxTimeSeconds ranges from 600 to 86400 seconds
# (https://docs.aws.amazon.com/batch/latest/APIReference/API_JobStateTimeLimitAction.html).
TIME_LIMIT_SECONDS = (600, 86400)


def check_time_limit_actions(actions: list[dict[str, Any]] | None) -> None:
    """Refuse, as AWS does, a time limit outside what the API accepts (before anything is created or changed)."""
    from moto.batch.exceptions import ClientException

    low, high = TIME_LIMIT_SECONDS
    for action in actions or []:
        seconds = action.get("maxTimeSeconds")
        if not isinstance(seconds, int) or not low <= seconds <= high:
            raise ClientException(
                f"jobStateTimeLimitActions.maxTimeSeconds must be {low} to {high} seconds, got {seconds}"
            )


# --- the executor's seams -----------------------------------------------------------------------------------------

SEAMS = PatchSet()
"""Where moto hands a job's lifecycle to the executor; applied with the compatibility patches."""


@SEAMS.register
def executor_owns_the_job_lifecycle() -> None:
    """moto's ``Job`` thread runs :func:`executor.run`; status, stop and cancel requests go to the executor."""
    moto_run = Job.run

    def run(job: Job) -> None:
        if job.job_definition.container_properties:
            executor.run(job)
        else:  # multi-node parallel jobs keep moto's own loop (not covered by batchctl)
            moto_run(job)

    def status(job: Job) -> str | None:
        return executor.reported_status(job)

    def set_status(job: Job, value: Any) -> None:
        # moto's DescribeJobs marks a parent SUCCEEDED; for the jobs it runs the executor's status wins.
        if job._child_jobs:
            job._status = str(getattr(value, "value", value))

    def mark_stopped(job: Job, success: bool = True) -> None:
        executor.finish(job, success=success)

    def terminate(job: Job, reason: str) -> None:
        executor.stop_for_shutdown(job, reason)  # only the emulator's shutdown calls it

    def cancel_job(backend: BatchBackend, job_id: str, reason: str) -> None:
        _validate_request(job_id, reason)
        job = backend.get_job_by_id(job_id)
        if job is not None:
            executor.cancel(job, reason)

    def terminate_job(backend: BatchBackend, job_id: str, reason: str) -> None:
        _validate_request(job_id, reason)
        job = backend.get_job_by_id(job_id)
        if job is not None:
            executor.terminate(job, reason)

    def submitjob(response: BatchResponse) -> str:
        result = original_submit(response)
        # What moto's handler drops; the job's thread reads none of it before its first step.
        job = response.batch_backend.get_job_by_id(json.loads(result)["jobId"])
        if job is not None:
            for submitted in [job, *children_of(job)]:
                executor.submitted(
                    submitted,
                    retry_strategy=response._get_param("retryStrategy"),
                    share_identifier=response._get_param("shareIdentifier"),
                    scheduling_priority=response._get_param("schedulingPriorityOverride"),
                )
        return result

    original_submit = BatchResponse.submitjob
    replace_attribute(Job, "run", run)
    replace_attribute(Job, "status", property(status, set_status))
    replace_attribute(Job, "_mark_stopped", mark_stopped)  # the one seam through which a job ends
    replace_attribute(Job, "terminate", terminate)
    # moto's own cancel/terminate only flag the job (job.stop); the executor acts instead.
    replace_attribute(BatchBackend, "cancel_job", cancel_job)
    replace_attribute(BatchBackend, "terminate_job", terminate_job)
    replace_attribute(BatchResponse, "submitjob", submitjob)


def _validate_request(job_id: str, reason: str) -> None:
    """moto's checks of CancelJob and TerminateJob (its own handlers would only flag the job)."""
    from moto.batch.exceptions import ClientException

    if job_id == "":
        raise ClientException("'jobId' is a required field (cannot be an empty string)")
    if reason == "":
        raise ClientException("'reason' is a required field (cannot be an empty string)")


# --- gaps of the Batch API itself -----------------------------------------------------------------------------------

API_PATCHES = PatchSet()
"""Gaps of moto's Batch request handlers and descriptions, one patch each, in the order they are applied."""


@API_PATCHES.register
def patch_job_environment_accumulates_on_every_read() -> None:
    """moto 5.2.5: a job's environment is merged into the submit-time override list in place, so every DescribeJobs
    appends the job definition's variables and ``AWS_BATCH_JOB_ID`` again, and array children, which share that list,
    see each other's entries.
    """
    original = Job._get_container_property

    def get_container_property(job: Job, name: str, default: Any) -> Any:
        if name != "environment":
            return original(job, name, default)
        overrides = [dict(entry) for entry in job.container_overrides.get("environment") or []]
        overridden = {entry["name"] for entry in overrides}
        definition = (job.job_definition.container_properties or {}).get("environment") or []
        merged = overrides + [dict(entry) for entry in definition if entry["name"] not in overridden]
        merged.append({"name": contract.AWS_JOB_ID, "value": job.job_id})
        return merged

    replace_attribute(Job, "_get_container_property", get_container_property)


@API_PATCHES.register
def patch_job_exit_code_missing_from_describe_jobs() -> None:
    """moto 5.2.5: DescribeJobs reports no exit code: ``container.exitCode`` is only in ListJobs, so a failed job
    cannot say how its command ended. As on AWS, the job's ``container`` carries the exit code (each attempt's
    record, written by the executor, carries its own), and a RUNNABLE job its blocked reason.
    """
    original_describe = Job.describe

    def describe(job: Job) -> dict[str, Any]:
        return executor.describe(job, original_describe(job))

    replace_attribute(Job, "describe", describe)


@API_PATCHES.register
def patch_job_container_lacks_resources_and_image() -> None:
    """moto 5.2.5: DescribeJobs shows the job definition's vCPUs and memory and no ``resourceRequirements``, even when
    SubmitJob overrode them with ``containerOverrides.resourceRequirements``, and no ``image``. AWS describes the
    job's own container (https://docs.aws.amazon.com/batch/latest/APIReference/API_ContainerDetail.html): its
    ``container`` carries the image and the VCPU, MEMORY and GPU it runs with, resolved as the scheduler places it.
    """
    original_describe = Job.describe

    def describe(job: Job) -> dict[str, Any]:
        from batchctl.local import scheduler  # it imports this module

        described = original_describe(job)
        if "container" in described:
            requirements = [{"type": "VCPU", "value": f"{scheduler.job_vcpus(job):g}"}]
            memory = scheduler.job_memory_mib(job)
            if memory is not None:
                requirements.append({"type": "MEMORY", "value": f"{memory:g}"})
            gpus = scheduler.job_gpus(job)
            if gpus:
                requirements.append({"type": "GPU", "value": str(gpus)})
            image = (job.job_definition.container_properties or {}).get("image")
            described["container"] = {
                **described["container"],
                "resourceRequirements": requirements,
                **({"image": image} if image else {}),
            }
        return described

    replace_attribute(Job, "describe", describe)


@API_PATCHES.register
def patch_queue_and_environment_have_no_health_reason() -> None:
    """moto 5.2.5: DescribeJobQueues has no ``statusReason`` and DescribeComputeEnvironments says "Compute
    environment is available"; AWS reports "JobQueue Healthy" and "ComputeEnvironment Healthy" for valid ones
    (tools such as lsqueues read the field).
    """
    original_queues = BatchBackend.describe_job_queues
    original_environments = BatchBackend.describe_compute_environments

    def describe_job_queues(backend: BatchBackend, *args: Any, **kwargs: Any) -> list[dict[str, Any]]:
        described = original_queues(backend, *args, **kwargs)
        for entry in described:
            queue = backend.get_job_queue_by_arn(entry["jobQueueArn"])
            entry["statusReason"] = job_queues.QUEUE_HEALTHY
            if queue is not None and time_limit_actions(queue):
                entry["jobStateTimeLimitActions"] = time_limit_actions(queue)
        return described

    def describe_compute_environments(backend: BatchBackend, *args: Any, **kwargs: Any) -> list[dict[str, Any]]:
        described = original_environments(backend, *args, **kwargs)
        for entry in described:
            entry["statusReason"] = job_queues.ENVIRONMENT_HEALTHY
        return described

    replace_attribute(BatchBackend, "describe_job_queues", describe_job_queues)
    replace_attribute(BatchBackend, "describe_compute_environments", describe_compute_environments)


@API_PATCHES.register
def patch_job_queue_time_limit_actions_dropped() -> None:
    """moto 5.2.5: CreateJobQueue and UpdateJobQueue drop ``jobStateTimeLimitActions``, so a queue never cancels
    jobs stuck in RUNNABLE. The emulator keeps them on the queue; the executor acts on them.
    """
    original_create = BatchResponse.createjobqueue
    original_update = BatchResponse.updatejobqueue

    def keep_actions(response: BatchResponse, result: str, name: str | None) -> str:
        actions = response._get_param("jobStateTimeLimitActions")
        queue = response.batch_backend.get_job_queue(name) if name else None
        if queue is not None and actions is not None:
            set_time_limit_actions(queue, actions)
        return result

    def createjobqueue(response: BatchResponse) -> str:
        check_time_limit_actions(response._get_param("jobStateTimeLimitActions"))
        return keep_actions(response, original_create(response), response._get_param("jobQueueName"))

    def updatejobqueue(response: BatchResponse) -> str:
        check_time_limit_actions(response._get_param("jobStateTimeLimitActions"))
        return keep_actions(response, original_update(response), response._get_param("jobQueue"))

    replace_attribute(BatchResponse, "createjobqueue", createjobqueue)
    replace_attribute(BatchResponse, "updatejobqueue", updatejobqueue)


_SNAPSHOT_PATH = "{0}/v1/getjobqueuesnapshot$"


@API_PATCHES.register
def patch_job_queue_snapshot_missing() -> None:
    """moto 5.2.5: GetJobQueueSnapshot is not implemented (HTTP 404). AWS answers with the front of the queue: the
    first RUNNABLE jobs in the order they will be placed, each with ``earliestTimeAtPosition``.
    """

    def getjobqueuesnapshot(response: BatchResponse) -> str:
        queue = response.batch_backend.get_job_queue(response._get_param("jobQueue") or "")
        if queue is None:
            from moto.batch.exceptions import ClientException

            raise ClientException("jobQueue does not exist")
        return json.dumps({"frontOfQueue": job_queues.front_of_queue(queue, jobs_of(response.batch_backend))})

    replace_attribute(BatchResponse, "getjobqueuesnapshot", getjobqueuesnapshot)
    if _SNAPSHOT_PATH not in url_paths:
        url_paths[_SNAPSHOT_PATH] = BatchResponse.dispatch

        def undo() -> None:
            url_paths.pop(_SNAPSHOT_PATH, None)

        record_undo(undo)


@API_PATCHES.register
def patch_list_jobs_by_queue_lists_array_children() -> None:
    """moto 5.2.5: ListJobs by queue lists every array child beside its parent, no summary has
    ``arrayProperties``, and without ``jobStatus`` or ``filters`` it lists jobs of every status. AWS lists the parent
    (with ``arrayProperties.size``) by queue and the children (with ``arrayProperties.index``) only with
    ``arrayJobId``, and without a status or filter only RUNNING jobs
    (https://docs.aws.amazon.com/batch/latest/APIReference/API_ListJobs.html).
    """
    original_list = BatchBackend.list_jobs
    original_short = Job.describe_short

    def list_jobs(
        backend: BatchBackend,
        job_queue_name: str | None,
        array_job_id: str | None,
        job_status: str | None = None,
        filters: list[dict[str, Any]] | None = None,
    ) -> list[Job]:
        if job_status is None and filters is None:
            job_status = "RUNNING"
        jobs = original_list(backend, job_queue_name, array_job_id, job_status, filters)
        if array_job_id:
            return jobs
        return [job for job in jobs if "index" not in job.array_properties]

    def describe_short(job: Job) -> dict[str, Any]:
        summary = original_short(job)
        if job._child_jobs:
            summary["arrayProperties"] = {"size": len(job._child_jobs)}
        elif "index" in job.array_properties:
            summary["arrayProperties"] = {"index": int(job.array_properties["index"])}
        return summary

    replace_attribute(BatchBackend, "list_jobs", list_jobs)
    replace_attribute(Job, "describe_short", describe_short)


@API_PATCHES.register
def patch_filter_log_events_accepts_any_stream_names() -> None:
    """moto 5.2.5: FilterLogEvents with ``logStreamNames`` takes any number of names and skips the ones that do not
    exist. AWS takes 1 to 100 names (InvalidParameterException above,
    https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_FilterLogEvents.html) and refuses the
    whole call with ResourceNotFoundException "The specified log stream does not exist." when one named stream is
    missing (as seen by readers of a stream that is not there yet, e.g. https://github.com/percona/rds_exporter/issues/81),
    which is what a follower of a job whose stream is about to start meets.
    """
    from moto.logs.exceptions import InvalidParameterException, ResourceNotFoundException
    from moto.logs.models import LogsBackend

    original = LogsBackend.filter_log_events

    def filter_log_events(backend: LogsBackend, log_group_name: str, log_stream_names: list[str], *args: Any) -> Any:
        if log_stream_names and len(log_stream_names) > 100:
            raise InvalidParameterException(
                constraint="Member must have length less than or equal to 100",
                parameter="logStreamNames",
                value=log_stream_names,
            )
        group = backend.groups.get(log_group_name)
        if group is not None and any(name not in group.streams for name in log_stream_names or []):
            raise ResourceNotFoundException("The specified log stream does not exist.")
        return original(backend, log_group_name, log_stream_names, *args)

    replace_attribute(LogsBackend, "filter_log_events", filter_log_events)
