"""Follow jobs as they run: their status until they finish, and their log streams as they start.

Each poll costs ceil(k / 100) DescribeJobs for the k jobs still followed, plus GetLogEvents pages for each
started stream. GetLogEvents calls are paced under CloudWatch Logs' quota of 25 per second per account and Region
(https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/cloudwatch_limits_cwl.html), so following the 500
children of an array reads their streams in turn rather than being throttled. A job's logs are drained once more
after it finishes (CloudWatch Logs may receive its last lines a moment after the job's status changes).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from batchctl.aws.batch import Batch
from batchctl.aws.logs import LogEvent, Logs
from batchctl.jobs.lookups import log_group_of
from batchctl.jobs.pacing import AdaptiveRateLimiter
from batchctl.jobs.records import JobRecord, job_not_found
from batchctl.jobs.resolve import Resolver

POLL_SECONDS = 2.0
LOG_READS_PER_SECOND = 20.0  # GetLogEvents: under the 25 TPS quota, leaving room for other readers


@dataclass(frozen=True)
class LogLine:
    label: str
    event: LogEvent


@dataclass(frozen=True)
class Notice:
    label: str
    text: str


@dataclass
class _Tail:
    job_id: str
    label: str
    stream: str | None = None
    group: str = ""
    token: str | None = None
    status: str = ""
    finishing: bool = False
    record: JobRecord | None = field(default=None, repr=False)


def drain(
    logs: Logs, group: str, stream: str, token: str | None = None, pace: AdaptiveRateLimiter | None = None
) -> Iterator[tuple[LogEvent, str | None]]:
    """Every event after `token`, with the token to read on from (the same token once drained)."""
    while True:
        if pace is not None:
            pace.acquire()
        page = logs.get_log_events(group, stream, token)
        for event in page.events:
            yield event, page.next_token
        if not page.events or page.next_token in (None, token):
            return
        token = page.next_token


def follow(
    batch: Batch,
    logs: Logs,
    resolver: Resolver,
    jobs: list[tuple[str, str]],
    target: str,
    poll: float = POLL_SECONDS,
    sleep: Callable[[float], None] = time.sleep,
    pace: AdaptiveRateLimiter | None = None,
) -> Iterator[LogLine | Notice]:
    """Stream the logs of `jobs` ((job id, label) pairs) until every one has finished and been drained."""
    pace = pace or AdaptiveRateLimiter(LOG_READS_PER_SECOND, sleep=sleep)
    tails = {job_id: _Tail(job_id, label) for job_id, label in jobs}
    while tails:
        records = {detail["jobId"]: JobRecord.from_detail(detail) for detail in batch.describe_jobs(list(tails))}
        for job_id, tail in list(tails.items()):
            record = records.get(job_id)
            if record is None:
                raise job_not_found(job_id, target)
            yield from _advance(tail, record, logs, resolver, pace)
            if tail.finishing and record.terminal:
                del tails[job_id]
                yield Notice(tail.label, _ending(record))
            elif record.terminal:
                tail.finishing = True  # drain once more on the next poll
        if tails:
            sleep(poll)


def _advance(
    tail: _Tail, record: JobRecord, logs: Logs, resolver: Resolver, pace: AdaptiveRateLimiter
) -> Iterator[LogLine | Notice]:
    if record.status != tail.status and not record.terminal:
        tail.status = record.status
        yield Notice(tail.label, record.status)
    stream = record.log_stream
    if stream and stream != tail.stream:
        if tail.stream:
            yield from _read(tail, logs, pace)  # the previous attempt's last lines
            yield Notice(tail.label, f"attempt {len(record.attempts) or 1}")
        tail.stream, tail.group, tail.token = stream, log_group_of(record, resolver), None
    if tail.stream:
        yield from _read(tail, logs, pace)


def _read(tail: _Tail, logs: Logs, pace: AdaptiveRateLimiter) -> Iterator[LogLine]:
    assert tail.stream is not None
    for event, token in drain(logs, tail.group, tail.stream, tail.token, pace):
        tail.token = token
        yield LogLine(tail.label, event)


def _ending(record: JobRecord) -> str:
    if record.status == "SUCCEEDED":
        return "SUCCEEDED"
    detail = record.status_reason or (f"exit code {record.exit_code}" if record.exit_code is not None else "")
    return f"{record.status}{': ' + detail if detail else ''}"
