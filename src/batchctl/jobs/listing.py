"""`batchctl jobs`: list jobs with details, in as few API calls as AWS allows.

How each queue is read (ListJobs pages hold up to 1000 jobs):
- a name glob with a literal prefix (`hello*`, `hello`): one pass with a JOB_NAME filter, every status at once;
- else, when a finished status (SUCCEEDED, FAILED) is asked for: one pass with an AFTER_CREATED_AT filter (the
  --since time, or the epoch), every status at once; finished jobs are the many, so one pass beats one per status;
- else (only active statuses, the default): one pass per status, because a filter would page through every
  finished job too.
Jobs failing the status, time and name checks are dropped from the summaries before DescribeJobs; the submitter
is only known from the tags DescribeJobs returns, so --user filters after it.

Cost for N jobs kept before the user filter, per queue:
  ListJobs    <= ceil(M / 1000) for a filter pass (M: the queue's jobs matching the filter, any status),
              or sum over the asked statuses s of max(1, ceil(M_s / 1000)) for per-status passes;
  DescribeJobs = ceil(N / 100) in all; ListTagsForResource: never.

A long-lived caller (the dashboard, which lists every few seconds) passes a `FinishedJobs` memo: a job that has
SUCCEEDED or FAILED does not change any more, so a listing that finds it again with the same status reuses its
record, and DescribeJobs is called for new and unfinished jobs only (10,000 finished jobs: 0 calls instead of 100
on each refresh, well within Batch's request rates).
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from batchctl.aws.batch import Batch
from batchctl.errors import BatchctlError
from batchctl.jobs.records import ACTIVE_STATUSES, TERMINAL_STATUSES, JobRecord

_SUBMISSION_SUFFIX = re.compile(r"-[0-9a-f]{8}$")
_GLOB_CHARACTERS = re.compile(r"[*?\[]")
_DURATION = re.compile(r"(\d+(?:\.\d+)?)\s*([smhdw])")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


@dataclass(frozen=True)
class JobQuery:
    statuses: tuple[str, ...] = ACTIVE_STATUSES
    user: str | None = None  # None: every user
    name: str | None = None  # a glob over the job file's name (or the AWS name)
    since: datetime | None = None


class FinishedJobs:
    """Records of finished jobs, by id, from earlier listings (see the module's docstring). Thread-safe enough for
    its use: a dict's get and set are atomic, and two readers at worst describe the same job twice."""

    def __init__(self) -> None:
        self._records: dict[str, JobRecord] = {}

    def get(self, summary: dict[str, Any]) -> JobRecord | None:
        record = self._records.get(summary["jobId"])
        return record if record is not None and record.status == summary.get("status") else None

    def keep(self, records: list[JobRecord]) -> None:
        self._records.update((record.id, record) for record in records if record.terminal)


def list_jobs(
    batch: Batch, queues: list[str], query: JobQuery, finished: FinishedJobs | None = None
) -> list[JobRecord]:
    """Jobs (array parents, not their children) of `queues` matching `query`, oldest first."""
    candidates: dict[str, dict[str, Any]] = {}
    for queue in queues:
        for summary in _scan(batch, queue, query):
            if _summary_matches(summary, query):
                candidates[summary["jobId"]] = summary
    known = {job_id: finished.get(summary) for job_id, summary in candidates.items()} if finished else {}
    unknown = [job_id for job_id in candidates if known.get(job_id) is None]
    described = [JobRecord.from_detail(detail) for detail in batch.describe_jobs(unknown)]
    if finished is not None:
        finished.keep(described)
    records = [record for record in known.values() if record is not None] + described
    kept = [record for record in records if query.user is None or record.user == query.user]
    return sorted(kept, key=lambda record: (record.created or datetime.min.replace(tzinfo=UTC), record.id))


def parse_since(text: str, now: datetime | None = None) -> datetime:
    """`90m`, `24h`, `7d`, `1w`, `1h30m` before now, or an ISO date/time (UTC unless it says otherwise)."""
    now = now or datetime.now(UTC)
    compact = text.strip().lower().replace(" ", "")
    if compact and _DURATION.sub("", compact) == "":
        try:
            delta = timedelta()
            for amount, unit in _DURATION.findall(compact):
                delta += timedelta(**{_UNITS[unit]: float(amount)})
            return now - delta
        except OverflowError:
            raise BatchctlError(
                f"--since {text!r} reaches back before the year 1", hint="give a shorter duration, e.g. 30d"
            ) from None
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise BatchctlError(
            f"cannot read --since {text!r}", hint="give a duration such as 30m, 24h, 7d, or a date like 2026-01-31"
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def name_prefix(glob: str) -> str:
    """The literal start of a glob: what a JOB_NAME filter (a prefix match) can use."""
    match = _GLOB_CHARACTERS.search(glob)
    return glob[: match.start()] if match else glob


def _scan(batch: Batch, queue: str, query: JobQuery) -> list[dict[str, Any]]:
    prefix = name_prefix(query.name) if query.name else ""
    if prefix:
        # batchctl's AWS names are `<name>-<submission id>`: even an exact name is a prefix there.
        return _pages(batch, queue, filters=[{"name": "JOB_NAME", "values": [prefix + "*"]}])
    if any(status in TERMINAL_STATUSES for status in query.statuses):
        after = int(query.since.timestamp() * 1000) if query.since else 0
        return _pages(batch, queue, filters=[{"name": "AFTER_CREATED_AT", "values": [str(after)]}])
    return [summary for status in query.statuses for summary in _pages(batch, queue, status=status)]


def _pages(batch: Batch, queue: str, **kwargs: Any) -> list[dict[str, Any]]:
    return [summary for page in batch.list_jobs(queue, **kwargs) for summary in page]


def _summary_matches(summary: dict[str, Any], query: JobQuery) -> bool:
    if ":" in summary["jobId"]:
        return False  # an array child (AWS lists only parents by queue; the emulator lists both)
    if summary.get("status") not in query.statuses:
        return False
    if query.since and summary.get("createdAt", 0) < query.since.timestamp() * 1000:
        return False
    return query.name is None or name_matches(query.name, summary.get("jobName", ""))


def name_matches(glob: str, aws_name: str) -> bool:
    """Case-insensitive like AWS's JOB_NAME filter; batchctl's submission suffix is optional."""
    pattern = glob.lower()
    name = aws_name.lower()
    return fnmatch.fnmatchcase(name, pattern) or fnmatch.fnmatchcase(_SUBMISSION_SUFFIX.sub("", name), pattern)
