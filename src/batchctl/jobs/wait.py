"""`submit --wait`: poll the submitted jobs until every one has finished (ceil(k / 100) DescribeJobs a poll).

Polls back off while nothing changes (x1.5 up to half a minute) and come back to the first interval when a job moves,
so waiting for 1000 long jobs costs about 20 DescribeJobs a minute rather than 120.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable

from batchctl.aws.batch import Batch
from batchctl.errors import BatchctlError
from batchctl.jobs.records import JobRecord, job_not_found

POLL_SECONDS = 5.0
MAX_POLL_SECONDS = 30.0
POLL_BACKOFF = 1.5


class JobsFailedError(BatchctlError):
    """Some jobs waited for did not succeed (exit code 1)."""


def wait_for(
    batch: Batch,
    job_ids: list[str],
    target: str,
    on_update: Callable[[list[JobRecord]], None] = lambda records: None,
    poll: float = POLL_SECONDS,
    sleep: Callable[[float], None] = time.sleep,
) -> list[JobRecord]:
    """The jobs' final records, in the order of `job_ids`."""
    finished: dict[str, JobRecord] = {}
    interval = poll
    seen: dict[str, str] = {}
    while True:
        pending = [job_id for job_id in job_ids if job_id not in finished]
        current = {detail["jobId"]: JobRecord.from_detail(detail) for detail in batch.describe_jobs(pending)}
        for job_id in pending:
            if job_id not in current:
                raise job_not_found(job_id, target)
            if current[job_id].terminal:
                finished[job_id] = current[job_id]
        on_update([finished.get(job_id) or current[job_id] for job_id in job_ids])
        if len(finished) == len(job_ids):
            return [finished[job_id] for job_id in job_ids]
        statuses = {job_id: record.status for job_id, record in current.items()}
        moved = any(seen.get(job_id) != status for job_id, status in statuses.items())
        seen.update(statuses)
        interval = poll if moved else min(max(poll, MAX_POLL_SECONDS), interval * POLL_BACKOFF)
        sleep(interval)


def count_by_status(records: list[JobRecord]) -> dict[str, int]:
    return dict(Counter(record.status for record in records))


def require_success(records: list[JobRecord]) -> None:
    failed = [record for record in records if record.status != "SUCCEEDED"]
    if failed:
        raise JobsFailedError(
            f"{len(failed)} of {len(records)} job(s) failed: " + ", ".join(f"{r.name} ({r.id})" for r in failed),
            hint=f"see why: batchctl show {failed[0].id}",
        )
