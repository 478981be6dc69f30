"""Follow jobs as they run: their status until they finish, and their log streams as they start.

Each poll costs ceil(k / 100) DescribeJobs for the k jobs still followed, plus the log reads. Up to
:data:`SMALL_SET` jobs, each started stream is read with GetLogEvents (paced at 20 a second under CloudWatch Logs'
quota of 25); above that, the started streams form one stream set (:mod:`batchctl.jobs.stream_set`) read with one
FilterLogEvents call per 100 streams (paced at 4 a second under its quota of 5;
https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/cloudwatch_limits_cwl.html). The crossing point: a poll
of k streams uses k/25 of GetLogEvents' quota but ceil(k/100)/5 of FilterLogEvents', so a set pays from 6 streams.
Polls back off while nothing moves (no status change, no new line: x1.5 up to 4 times the interval) and come back
to the interval as soon as something does. A job's logs are drained once more after it finishes (CloudWatch Logs
may receive its last lines a moment after the job's status changes).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable, Iterator
from dataclasses import dataclass, field
from typing import Literal, Protocol

from batchctl.aws.batch import Batch
from batchctl.aws.logs import LogEvent, Logs
from batchctl.jobs.call_meter import CallMeter
from batchctl.jobs.lookups import log_group_of
from batchctl.jobs.pacing import AdaptiveRateLimiter
from batchctl.jobs.records import JobRecord, job_not_found
from batchctl.jobs.resolve import Resolver
from batchctl.jobs.stream_set import FILTER_CALLS_PER_SECOND, StreamSet

POLL_SECONDS = 2.0
POLL_BACKOFF = 1.5
MAX_POLL_FACTOR = 4.0  # a quiet follow polls at most every 4 x the interval (8 s by default)
LOG_READS_PER_SECOND = 20.0  # GetLogEvents: under the 25 TPS quota, leaving room for other readers
SMALL_SET = 5  # jobs followed with GetLogEvents per stream; more: one FilterLogEvents stream set
CLOCK_SLACK_MS = 60_000  # a new stream is read from its job's creation minus this (clocks of other hosts)

Reads = Literal["per-stream", "stream-set"]


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
    status: str = ""
    finishing: bool = False
    record: JobRecord | None = field(default=None, repr=False)

    @property
    def key(self) -> Hashable:
        return (self.job_id, self.stream)


class _Reader(Protocol):
    def add(self, key: Hashable, group: str, stream: str, since_ms: int = 0) -> None: ...
    def remove(self, key: Hashable) -> None: ...
    def read(self, keys: set[Hashable] | None = None) -> Iterator[tuple[Hashable, LogEvent]]: ...


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


class PerStream:
    """One GetLogEvents loop per stream, each remembering its forward token."""

    def __init__(self, logs: Logs, pace: AdaptiveRateLimiter) -> None:
        self._logs = logs
        self._pace = pace
        self._streams: dict[Hashable, list[str | None]] = {}  # key -> [group, stream, token]

    def add(self, key: Hashable, group: str, stream: str, since_ms: int = 0) -> None:
        self._streams[key] = [group, stream, None]

    def remove(self, key: Hashable) -> None:
        self._streams.pop(key, None)

    def read(self, keys: set[Hashable] | None = None) -> Iterator[tuple[Hashable, LogEvent]]:
        for key, state in list(self._streams.items()):
            if keys is not None and key not in keys:
                continue
            group, stream, start = state
            assert group is not None and stream is not None
            for event, token in drain(self._logs, group, stream, start, self._pace):
                state[2] = token
                yield key, event


def reader_for(
    logs: Logs, jobs: int, reads: Reads | None, sleep: Callable[[float], None], pace: AdaptiveRateLimiter | None
) -> _Reader:
    if (reads or ("per-stream" if jobs <= SMALL_SET else "stream-set")) == "per-stream":
        return PerStream(logs, pace or AdaptiveRateLimiter(LOG_READS_PER_SECOND, sleep=sleep))
    return StreamSet(logs, pace or AdaptiveRateLimiter(FILTER_CALLS_PER_SECOND, sleep=sleep))


class FollowStopped(Exception):
    """The caller stopped a follow (its stop event was set), e.g. the dashboard page that showed it was closed."""


def stoppable_sleep(stop: threading.Event) -> Callable[[float], None]:
    """A sleep that wakes as soon as `stop` is set and then ends the follow (FollowStopped), so a follow running in
    a worker thread does not outlive the reader who asked for it."""

    def sleep(seconds: float) -> None:
        if stop.wait(seconds):
            raise FollowStopped

    return sleep


def follow(
    batch: Batch,
    logs: Logs,
    resolver: Resolver,
    jobs: list[tuple[str, str]],
    target: str,
    poll: float = POLL_SECONDS,
    sleep: Callable[[float], None] = time.sleep,
    pace: AdaptiveRateLimiter | None = None,
    *,
    reads: Reads | None = None,
    meter: CallMeter | None = None,
) -> Iterator[LogLine | Notice]:
    """Stream the logs of `jobs` ((job id, label) pairs) until every one has finished and been drained.

    reads: GetLogEvents per stream or one FilterLogEvents stream set (default: by the number of jobs); pace: the
    log reads' rate limit; meter: counts the log streams read (its `streams`)."""
    reader = reader_for(logs, len(jobs), reads, sleep, pace)
    tails = {job_id: _Tail(job_id, label) for job_id, label in jobs}
    interval = poll
    while tails:
        moved = False
        records = {detail["jobId"]: JobRecord.from_detail(detail) for detail in batch.describe_jobs(list(tails))}
        for job_id, tail in tails.items():
            record = records.get(job_id)
            if record is None:
                raise job_not_found(job_id, target)
            for item in _advance(tail, record, reader, resolver, meter):
                moved = True
                yield item
        for key, event in reader.read():
            moved = True
            yield LogLine(tails[key[0]].label, event)  # type: ignore[index]
        for job_id, tail in list(tails.items()):
            record = records[job_id]
            if tail.finishing and record.terminal:
                reader.remove(tail.key)
                del tails[job_id]
                yield Notice(tail.label, _ending(record))
            elif record.terminal:
                tail.finishing = True  # drain once more on the next poll
        if tails:
            interval = poll if moved else min(poll * MAX_POLL_FACTOR, interval * POLL_BACKOFF)
            sleep(interval)


def _advance(
    tail: _Tail, record: JobRecord, reader: _Reader, resolver: Resolver, meter: CallMeter | None
) -> Iterator[LogLine | Notice]:
    if record.status != tail.status and not record.terminal:
        tail.status = record.status
        yield Notice(tail.label, record.status)
    stream = record.log_stream
    # A job that never ran (no startedAt: it did not reach RUNNING, e.g. its image could not be pulled) may be named
    # a stream that never comes (https://docs.aws.amazon.com/batch/latest/APIReference/API_JobDetail.html).
    ran = record.started is not None or record.status == "RUNNING"
    if stream and stream != tail.stream and ran:
        if tail.stream:
            for _, event in reader.read({tail.key}):  # the previous attempt's last lines
                yield LogLine(tail.label, event)
            reader.remove(tail.key)
            yield Notice(tail.label, f"attempt {len(record.attempts) or 1}")
        tail.stream = stream
        created_ms = int(record.created.timestamp() * 1000) if record.created else 0
        reader.add(tail.key, log_group_of(record, resolver), stream, max(0, created_ms - CLOCK_SLACK_MS))
        if meter is not None:
            meter.streams += 1


def _ending(record: JobRecord) -> str:
    if record.status == "SUCCEEDED":
        return "SUCCEEDED"
    detail = record.status_reason or (f"exit code {record.exit_code}" if record.exit_code is not None else "")
    return f"{record.status}{': ' + detail if detail else ''}"
