"""Job dependencies as AWS Batch resolves them, array types included.

- plain ``{"jobId": X}``: after X succeeded; for an array X, after all its children (the parent's status says so);
- ``{"jobId": X, "type": "N_TO_N"}`` on an array child i: after child i of X (X of the same size);
- ``{"type": "SEQUENTIAL"}`` (no job id) on an array child i > 0: after child i - 1 of the same array.

Children of an array share the parent's ``dependsOn``; the resolution happens per child. A dependency that failed
fails its dependents before they start, with the reason AWS gives.
"""

from __future__ import annotations

import time

from moto.batch.models import Job
from moto.batch.utils import JobStatus

DEPENDENCY_FAILED_REASON = "Dependent Job failed"
POLL_SECONDS = 0.5

SEQUENTIAL = "SEQUENTIAL"
N_TO_N = "N_TO_N"


def _array_index(job: Job) -> int | None:
    if "index" not in job.array_properties or ":" not in job.job_id:
        return None
    return int(job.array_properties["index"])


def dependency_ids(job: Job) -> list[str]:
    """The ids of the jobs ``job`` itself waits for."""
    index = _array_index(job)
    parent_id = job.job_id.rsplit(":", 1)[0]
    ids: list[str] = []
    for dependency in job.depends_on or []:
        kind = str(dependency.get("type") or "").upper()
        target = dependency.get("jobId")
        if kind == SEQUENTIAL:
            if index:
                ids.append(f"{parent_id}:{index - 1}")
        elif target and kind == N_TO_N and index is not None and f"{target}:{index}" in job.all_jobs:
            ids.append(f"{target}:{index}")
        elif target:
            ids.append(str(target))
    return ids


def _statuses(job: Job) -> list[str | None]:
    # A dependency the emulator does not know (AWS would have refused the submission) does not block.
    return [job.all_jobs[job_id].status for job_id in dependency_ids(job) if job_id in job.all_jobs]


def has_failed_dependency(job: Job) -> bool:
    return JobStatus.FAILED.value in _statuses(job)


def wait_for_dependencies(job: Job) -> bool:
    """Block until every dependency succeeded (True); False once one failed or the job was cancelled, in which case
    the job has been marked FAILED."""
    while True:
        if job.stop:
            job._mark_stopped(success=False)
            return False
        statuses = _statuses(job)
        if JobStatus.FAILED.value in statuses:
            job._mark_stopped(success=False)
            return False
        if all(status == JobStatus.SUCCEEDED.value for status in statuses):
            return True
        time.sleep(POLL_SECONDS)
