"""SubmitJob requests built from a job file: names, overrides, inputs, dependencies, tags. No AWS calls."""

from __future__ import annotations

import functools
import re
import secrets
from dataclasses import dataclass
from typing import Any

from batchctl import outputs as keys
from batchctl.errors import BatchctlError, ConfigError
from batchctl.jobs import limits
from batchctl.jobs.jobfile import JobFile
from batchctl.jobs.models import MAX_SHARE_LENGTH, DependencyType, Job
from batchctl.jobs.resolve import Resolver
from batchctl.jobs.tags import JOB_TAG, SUBMISSION_TAG, SUBMITTER_TAG
from batchctl.retry_rules import definition_rules, retry_strategy
from batchctl.runner import contract

MAX_TAGS = limits.MAX_TAGS  # AWS limit per resource
_PLACEHOLDER_ID = "00000000-0000-0000-0000-000000000000"
# The share of a user whose name has no letter or digit at all.
FALLBACK_SHARE = "default"


def new_submission_id() -> str:
    """8 random hex characters shared by one submit's jobs: it makes each job's AWS name unique."""
    return secrets.token_hex(4)


def submission_name(job_name: str, submission_id: str) -> str:
    return f"{job_name}-{submission_id}"


def user_share(user: str) -> str:
    """A user name as a fair-share identifier: AWS Batch allows only letters and digits, at most 255."""
    return re.sub(r"[^A-Za-z0-9]", "", user)[:MAX_SHARE_LENGTH] or FALLBACK_SHARE


def queue_has_fair_share(resolver: Resolver, queue: str) -> bool | None:
    """Whether a queue has a fair-share policy: from the stack outputs (batchctl.yaml in a dry run).

    None for a queue given by ARN: it is not this cluster's, so batchctl cannot tell.
    """
    if queue.startswith("arn:"):
        return None
    if resolver.outputs is None:
        configured = next((item for item in resolver.settings.queues if item.name == queue), None)
        return bool(configured and configured.fair_share)
    return resolver.outputs.get(keys.output_key(keys.FAIR_SHARE_QUEUE, queue)) == "true"


@dataclass(frozen=True)
class PlannedJob:
    job: Job
    request: dict[str, Any]  # SubmitJob arguments; dependsOn job ids are filled in at submission

    @property
    def name(self) -> str:
        return self.job.name

    @property
    def submission_name(self) -> str:
        return str(self.request["jobName"])


def plan_submission(job_file: JobFile, resolver: Resolver, user: str, submission_id: str) -> list[PlannedJob]:
    """One request per job, in submission order. Names that do not resolve are errors located in the file."""
    planned = []
    for index in job_file.order:
        job = canonical_job(job_file, index, resolver)
        try:
            queue = resolver.queue(job.queue)
        except BatchctlError as exc:
            raise _located(exc, job_file.locate(index, "queue")) from None
        try:
            definition = resolver.job_definition(job.definition)
        except BatchctlError as exc:
            raise _located(exc, job_file.locate(index, "definition")) from None
        tags = {**job_file.tags, **job.tags, SUBMITTER_TAG: user, JOB_TAG: job.name, SUBMISSION_TAG: submission_id}
        try:
            overrides = _overrides(job, resolver)
        except BatchctlError as exc:
            raise _located(exc, job_file.locate(index, "inputs")) from None
        request: dict[str, Any] = {
            "jobName": submission_name(job.name, submission_id),
            "jobQueue": queue,
            "jobDefinition": definition,
            "containerOverrides": overrides,
            "tags": tags,
            "propagateTags": True,
        }
        if job.array_size:
            request["arrayProperties"] = {"size": job.array_size}
        if job.parameters:
            request["parameters"] = dict(job.parameters)
        if job.timeout:
            request["timeout"] = {"attemptDurationSeconds": job.timeout}
        if job.retries or job.retry_on:
            try:
                request["retryStrategy"] = _retry_strategy(job, resolver)
            except BatchctlError as exc:
                raise _located(exc, job_file.locate(index, "retry_on")) from None
        try:
            request.update(_fair_share(job, queue_has_fair_share(resolver, job.queue), user))
        except BatchctlError as exc:
            raise _located(exc, job_file.locate(index, "share" if job.share else "scheduling_priority")) from None
        item = PlannedJob(job, request)
        # Job ids are UUIDs: the placeholders give the request the size it will have when sent.
        sized = with_dependencies(item, {other.name: _PLACEHOLDER_ID for other in job_file.jobs})
        limits.check_request(sized, functools.partial(job_file.locate, index))
        planned.append(item)
    return planned


def canonical_job(job_file: JobFile, index: int, resolver: Resolver) -> Job:
    """The job with its queue and definition as batchctl.yaml names them (full AWS names of the cluster's own are
    mapped back onto short names; ARNs stay)."""
    job = job_file.jobs[index]
    try:
        queue = resolver.canonical_queue(job.queue)
    except BatchctlError as exc:
        raise _located(exc, job_file.locate(index, "queue")) from None
    try:
        definition = resolver.canonical_job_definition(job.definition)
    except BatchctlError as exc:
        raise _located(exc, job_file.locate(index, "definition")) from None
    return job.model_copy(update={"queue": queue, "definition": definition})


def _retry_strategy(job: Job, resolver: Resolver) -> dict[str, Any]:
    """The job's attempts with its own retry_on rules, else its definition's rules (SubmitJob replaces them all)."""
    configured = next((jd for jd in resolver.settings.job_definitions if jd.name == job.definition), None)
    attempts = job.retries or (configured.retries if configured else 1)
    if job.retry_on and attempts <= 1:
        raise BatchctlError(
            f"retry_on needs a second attempt: the job definition {job.definition} has retries: {attempts}",
            hint="add retries: 2 or more to the job",
        )
    if job.retry_on:
        return retry_strategy(attempts, definition_rules(attempts, job.retry_on))
    return retry_strategy(attempts, _definition_rules(resolver, job.definition))


def _definition_rules(resolver: Resolver, definition: str) -> list[dict[str, str]]:
    """The evaluateOnExit rules of one of this cluster's job definitions (none known for a definition's ARN)."""
    configured = next((jd for jd in resolver.settings.job_definitions if jd.name == definition), None)
    return definition_rules(configured.retries, configured.retry_on) if configured else []


def _fair_share(job: Job, fair_share: bool | None, user: str) -> dict[str, Any]:
    """SubmitJob's share arguments: a fair-share queue requires a share identifier, any other queue refuses one."""
    if fair_share is False:
        if job.share is not None or job.scheduling_priority is not None:
            raise ConfigError(
                f"queue {job.queue!r} has no fair-share policy: share and scheduling_priority apply to "
                "fair-share queues only",
                hint="remove them, or set fair_share: true on the queue in batchctl.yaml and deploy",
            )
        return {}
    arguments: dict[str, Any] = {}
    if fair_share or job.share is not None:
        arguments["shareIdentifier"] = job.share if job.share is not None else user_share(user)
    if job.scheduling_priority is not None:
        arguments["schedulingPriorityOverride"] = job.scheduling_priority
    return arguments


def with_dependencies(planned: PlannedJob, job_ids: dict[str, str]) -> dict[str, Any]:
    """The request with dependsOn filled in from the ids of the jobs submitted before it (by file name)."""
    depends_on: list[dict[str, str]] = []
    for dependency in planned.job.depends_on:
        if dependency.type == DependencyType.SEQUENTIAL:
            depends_on.append({"type": "SEQUENTIAL"})  # no job id: the array's children run in index order
            continue
        assert dependency.name is not None
        entry = {"jobId": job_ids[dependency.name]}
        if dependency.type == DependencyType.N_TO_N:
            entry["type"] = "N_TO_N"
        depends_on.append(entry)
    return {**planned.request, "dependsOn": depends_on} if depends_on else dict(planned.request)


def input_url(location: str, resolver: Resolver) -> str:
    """A bare key means an object (or a prefix, ending in '/') of the cluster's inputs bucket."""
    if location.startswith("s3://"):
        return location
    bucket = resolver.bucket("inputs")
    if not bucket:
        raise ConfigError(
            f"input {location!r} is a bare key but the cluster has no inputs bucket",
            hint="give a full s3:// URL",
        )
    return f"s3://{bucket}/{location.lstrip('/')}"


def _overrides(job: Job, resolver: Resolver) -> dict[str, Any]:
    environment = {**job.environment, contract.JOB_NAME: job.name}
    for name, location in job.inputs.items():
        environment[contract.input_variable(name)] = input_url(location, resolver)
    overrides: dict[str, Any] = {"environment": [{"name": key, "value": value} for key, value in environment.items()]}
    if job.command is not None:
        overrides["command"] = list(job.command)
    requirements = [
        {"type": kind, "value": value}
        for kind, value in (
            ("VCPU", f"{job.vcpus:g}" if job.vcpus is not None else None),
            ("MEMORY", str(job.memory) if job.memory is not None else None),
            ("GPU", str(job.gpus) if job.gpus else None),
        )
        if value is not None
    ]
    if requirements:
        overrides["resourceRequirements"] = requirements
    return overrides


def _located(exc: BatchctlError, where: str) -> BatchctlError:
    return type(exc)(f"{where}: {exc.message}", hint=exc.hint, details=exc.details)
