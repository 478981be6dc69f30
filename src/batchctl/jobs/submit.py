"""Submit a job file's jobs: one SubmitJob per job, in dependency order, never twice.

SubmitJob has no idempotency token. Each job gets a unique name (`<name>-<submission id>`); when a SubmitJob
ends without a clear answer (a timeout, a 5xx) the job is looked up by that name before it is sent again.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from batchctl.aws.batch import Batch, UncertainSubmission
from batchctl.errors import AwsError, BatchctlError
from batchctl.jobs.requests import PlannedJob, with_dependencies

SUBMIT_ATTEMPTS = 5
FIRST_BACKOFF_SECONDS = 1.0

Sleep = Callable[[float], None]


@dataclass(frozen=True)
class SubmittedJob:
    name: str  # the name in the job file
    submission_name: str  # the unique AWS job name
    job_id: str
    array_size: int | None
    queue: str
    definition: str


def submit_planned(batch: Batch, planned: list[PlannedJob], sleep: Sleep = time.sleep) -> list[SubmittedJob]:
    submitted: list[SubmittedJob] = []
    ids: dict[str, str] = {}
    for item in planned:
        request = with_dependencies(item, ids)
        try:
            job_id = submit_once(batch, request, sleep)
        except BatchctlError as exc:
            if not submitted:
                raise
            raise AwsError(
                f"{item.name}: {exc.message}; {len(submitted)} job(s) of this file were submitted before it",
                hint="cancel them with `batchctl cancel " + " ".join(job.job_id for job in submitted) + "`",
                details=[f"{job.name}: {job.job_id}" for job in submitted],
            ) from exc
        ids[item.name] = job_id
        submitted.append(
            SubmittedJob(
                item.name,
                item.submission_name,
                job_id,
                item.job.array_size,
                str(request["jobQueue"]),
                str(request["jobDefinition"]),
            )
        )
    return submitted


def submit_once(batch: Batch, request: dict[str, Any], sleep: Sleep = time.sleep) -> str:
    """Submit, and after an unclear failure find the job by its unique name before trying again."""
    name = str(request["jobName"])
    delay = FIRST_BACKOFF_SECONDS
    for _ in range(SUBMIT_ATTEMPTS - 1):
        try:
            return batch.submit_job(request)
        except UncertainSubmission:
            pass
        # Wait first: a job AWS has just created may take a moment to show up in ListJobs.
        sleep(delay * (1 + random.random() / 2))
        delay *= 2
        existing = find_submitted(batch, str(request["jobQueue"]), name)
        if existing is not None:
            return existing
    try:
        return batch.submit_job(request)
    except UncertainSubmission as exc:
        raise AwsError(
            f"{exc.message}; gave up after {SUBMIT_ATTEMPTS} attempts",
            hint=f"check whether it exists: batchctl jobs --all --all-users --name {name}",
        ) from exc


def find_submitted(batch: Batch, queue: str, name: str) -> str | None:
    """The id of the job named exactly `name` in `queue`, if AWS has it (JOB_NAME filters ignore case)."""
    for page in batch.list_jobs(queue, filters=[{"name": "JOB_NAME", "values": [name]}]):
        for summary in page:
            if summary.get("jobName") == name and ":" not in summary["jobId"]:
                return str(summary["jobId"])
    return None
