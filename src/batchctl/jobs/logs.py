"""`batchctl logs JOB [--index N] [--attempt N] [-f]`: which log stream a job writes, and reading it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from batchctl.aws.batch import Batch
from batchctl.aws.logs import LogEvent, Logs
from batchctl.errors import BatchctlError
from batchctl.jobs.follow import drain
from batchctl.jobs.lookups import describe_job, log_group_of
from batchctl.jobs.records import JobRecord
from batchctl.jobs.resolve import Resolver


@dataclass(frozen=True)
class LogSource:
    job: JobRecord  # the job whose stream this is (an array child when --index was given)
    group: str
    stream: str | None  # None: the job has not started (or never did)

    @property
    def waiting_message(self) -> str:
        """Why there is nothing to read yet: `job X is RUNNABLE: no logs yet`."""
        if self.job.terminal:
            reason = f" ({self.job.status_reason})" if self.job.status_reason else ""
            return f"job {self.job.id} is {self.job.status} and never started: no logs{reason}"
        return f"job {self.job.id} is {self.job.status}: no logs yet"


def log_source(
    batch: Batch, resolver: Resolver, job_id: str, target: str, index: int | None = None, attempt: int | None = None
) -> LogSource:
    job = describe_job(batch, job_id, target)
    if job.is_array_parent:
        size = job.array_size or 0
        if index is None:
            raise BatchctlError(
                f"job {job_id} is an array of {size} children: choose one", hint=f"pass --index 0..{size - 1}"
            )
        if not 0 <= index < size:
            raise BatchctlError(f"--index {index} is out of range: job {job_id} has children 0..{size - 1}")
        job = describe_job(batch, f"{job.id}:{index}", target)
    elif index is not None and job.array_index != index:
        raise BatchctlError(f"job {job_id} is not an array job", hint="drop --index")
    return LogSource(job, log_group_of(job, resolver), _stream(job, attempt))


def follow_units(batch: Batch, job_id: str, target: str) -> list[tuple[str, str]]:
    """What `logs -f JOB` follows, as (job id, label) pairs: the job itself, or every child of an array parent
    (labelled `name[index]`; each is read as soon as its stream starts)."""
    job = describe_job(batch, job_id, target)
    if job.is_array_parent:
        return [(f"{job.id}:{index}", f"{job.name}[{index}]") for index in range(job.array_size or 0)]
    return [(job.id, job.id)]


def read_logs(logs: Logs, source: LogSource) -> Iterator[LogEvent]:
    """Everything the stream holds now."""
    if source.stream is None:
        return
    for event, _ in drain(logs, source.group, source.stream):
        yield event


def _stream(job: JobRecord, attempt: int | None) -> str | None:
    if attempt is None:
        return job.log_stream or next((a.log_stream for a in reversed(job.attempts) if a.log_stream), None)
    if not 1 <= attempt <= len(job.attempts):
        raise BatchctlError(
            f"job {job.id} has {len(job.attempts)} attempt(s): --attempt {attempt} does not exist",
            hint=f"pass --attempt 1..{len(job.attempts)}" if job.attempts else "it has not started yet",
        )
    return job.attempts[attempt - 1].log_stream or None
