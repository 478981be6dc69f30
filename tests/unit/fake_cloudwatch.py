"""In-memory CloudWatch Logs and Batch answers for the follow tests: FilterLogEvents as AWS documents it
(1-100 stream names, events sorted by timestamp across streams, pages with nextToken, ResourceNotFoundException
when a named stream does not exist), GetLogEvents with forward tokens, and DescribeJobs of jobs whose status a
test script changes poll by poll."""

from __future__ import annotations

import itertools
import math
from datetime import UTC, datetime
from typing import Any

from tests.unit.test_jobs_api import T0, detail

from batchctl.aws.logs import MAX_FILTER_STREAMS, FilterPage, LogEvent, LogPage, StreamEvent

GROUP = "/aws/batch/job"


class FakeLogs:
    def __init__(self, page_size: int = 10_000, clock: Any = None) -> None:
        self.page_size = page_size
        self.clock = clock
        self.streams: dict[str, list[StreamEvent]] = {}
        self.filter_calls: list[float] = []
        self.get_calls: list[float] = []
        self._ids = itertools.count()

    def _now(self) -> float:
        return self.clock.now if self.clock is not None else 0.0

    def create(self, stream: str) -> None:
        self.streams.setdefault(stream, [])

    def put(self, stream: str, timestamp_ms: int, message: str) -> None:
        self.create(stream)
        self.streams[stream].append(StreamEvent(stream, str(next(self._ids)), timestamp_ms, message))

    def filter_events(
        self, group: str, streams: list[str], start_ms: int, token: str | None = None
    ) -> FilterPage | None:
        self.filter_calls.append(self._now())
        assert group == GROUP
        assert 1 <= len(streams) <= MAX_FILTER_STREAMS
        if any(stream not in self.streams for stream in streams):
            return None
        events = sorted(
            (event for stream in streams for event in self.streams[stream] if event.timestamp_ms >= start_ms),
            key=lambda event: event.timestamp_ms,
        )
        offset = int(token or 0)
        end = offset + self.page_size
        return FilterPage(events[offset:end], str(end) if end < len(events) else None)

    def stream_exists(self, group: str, stream: str) -> bool:
        self.get_calls.append(self._now())
        return stream in self.streams

    def get_log_events(self, group: str, stream: str, token: str | None = None) -> LogPage:
        self.get_calls.append(self._now())
        events = sorted(self.streams.get(stream, []), key=lambda event: event.timestamp_ms)
        offset = int(token or 0)
        page = events[offset : offset + self.page_size]
        return LogPage([LogEvent(_when(e.timestamp_ms), e.message) for e in page], str(offset + len(page)))


def _when(timestamp_ms: int) -> datetime:
    return datetime.fromtimestamp(timestamp_ms / 1000, tz=UTC)


class FakeBatch:
    """DescribeJobs of jobs whose status and stream `script(poll)` decides (a dict job id -> (status, stream))."""

    def __init__(self, script: Any, clock: Any = None) -> None:
        self.script = script
        self.clock = clock
        self.calls: list[float] = []
        self.poll = 0

    def describe_jobs(self, job_ids: list[str]) -> list[dict[str, Any]]:
        self.calls += [self.clock.now if self.clock else 0.0] * math.ceil(len(job_ids) / 100)
        states = self.script(self.poll)
        self.poll += 1
        found = []
        for job_id in job_ids:
            status, stream = states[job_id]
            container: dict[str, Any] = {"logConfiguration": {"options": {"awslogs-group": GROUP}}}
            if stream:
                container["logStreamName"] = stream
            found.append({**detail(job_id, status), "createdAt": T0, "container": container})
        return found
