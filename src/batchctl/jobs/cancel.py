"""`batchctl cancel JOB...`: CancelJob or TerminateJob, whichever the job's state needs.

AWS semantics relied on:
- CancelJob ends jobs that have not started (SUBMITTED, PENDING, RUNNABLE); on a STARTING or RUNNING job it
  succeeds but does nothing, so those get TerminateJob (which stops the container).
- An array parent's children follow the parent: cancelling a parent cancels the children that have not started,
  and terminating it also stops the running ones. So a parent with running children is terminated, another
  unfinished parent is cancelled: one call per array, whatever its size. An array child given by its own id
  (`<parent id>:<index>`) is handled alone.
"""

from __future__ import annotations

from dataclasses import dataclass

from batchctl.aws.batch import Batch
from batchctl.errors import NotFoundError
from batchctl.jobs.records import NOT_STARTED_STATUSES, JobRecord

CANCELLED = "cancelled"
TERMINATED = "terminated"
UNCHANGED = "unchanged"
_RUNNING = ("STARTING", "RUNNING")


@dataclass(frozen=True)
class CancelOutcome:
    job_id: str
    name: str
    status: str  # before the call
    action: str  # cancelled | terminated | unchanged
    detail: str


def cancel_jobs(batch: Batch, job_ids: list[str], reason: str, target: str) -> list[CancelOutcome]:
    """Checks that every job exists before touching any."""
    records = {detail["jobId"]: JobRecord.from_detail(detail) for detail in batch.describe_jobs(job_ids)}
    missing = [job_id for job_id in job_ids if job_id not in records]
    if missing:
        raise NotFoundError(
            f"job {', '.join(missing)} not found in {target}",
            hint="nothing was cancelled; list jobs with `batchctl jobs --all`",
        )
    return [_cancel(batch, records[job_id], reason) for job_id in dict.fromkeys(job_ids)]


def _cancel(batch: Batch, job: JobRecord, reason: str) -> CancelOutcome:
    if job.terminal:
        return CancelOutcome(job.id, job.name, job.status, UNCHANGED, f"already {job.status}")
    if job.is_array_parent:
        running = sum(job.children.get(status, 0) for status in _RUNNING)
        waiting = sum(job.children.get(status, 0) for status in NOT_STARTED_STATUSES)
        children = f"array of {job.array_size}: {running} running, {waiting} not started"
        if running:
            batch.terminate_job(job.id, reason)
            return CancelOutcome(job.id, job.name, job.status, TERMINATED, children + " (all end with it)")
        batch.cancel_job(job.id, reason)
        return CancelOutcome(job.id, job.name, job.status, CANCELLED, children + " (all end with it)")
    if job.status in _RUNNING:
        batch.terminate_job(job.id, reason)
        return CancelOutcome(job.id, job.name, job.status, TERMINATED, "its container is stopped")
    batch.cancel_job(job.id, reason)
    return CancelOutcome(job.id, job.name, job.status, CANCELLED, "it will not start")
