"""Reading many log streams of one or more groups with few FilterLogEvents calls: a stream set.

Each read asks CloudWatch Logs once per 100 streams of a group (FilterLogEvents' ``logStreamNames`` limit) for the
events since the oldest point any of them still needs, pages through ``nextToken`` and drops what it has delivered
before (by ``eventId``). So 500 followed streams cost 5 calls a read, where GetLogEvents costs 500. FilterLogEvents
is paced under its quota of 5 calls a second per account and Region
(https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/cloudwatch_limits_cwl.html,
https://repost.aws/knowledge-center/cloudwatch-logs-throttling).

Late events: a read starts :data:`LATE_MS` before the newest event each stream has delivered (or, for a quiet
stream, before the newest event of the streams read with it), so an event that becomes searchable a few seconds
after newer ones is still delivered, once; one later than that is not. Lines of a stream come out in the order
CloudWatch Logs returns them (by timestamp); a line that arrives late comes out late.

A stream that Batch already names but that does not exist yet (the awslogs driver creates it as the container
starts; a job that never started may have none at all) makes CloudWatch Logs refuse the whole call with
ResourceNotFoundException. Then the streams of the set not yet seen to exist are probed one by one with GetLogEvents
(whose quota is 25 calls a second, five times FilterLogEvents'), the set is read without the missing ones, and
those are probed again on each read until they exist (or their job is drained and leaves the set).
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Iterator
from dataclasses import dataclass, field

from batchctl.aws.logs import MAX_FILTER_STREAMS, LogEvent, Logs, StreamEvent
from batchctl.jobs.pacing import AdaptiveRateLimiter

LATE_MS = 5_000
"""How far back each read looks again for events that became searchable after newer ones (milliseconds)."""

FILTER_CALLS_PER_SECOND = 4.0
"""FilterLogEvents calls a second at most: under the quota of 5, leaving room for other readers."""

PROBE_CALLS_PER_SECOND = 20.0
"""GetLogEvents calls a second at most to see whether a stream exists: under its quota of 25."""

MAX_PAGES_PER_READ = 20
"""Pages of one set read at most per read (10,000 events each); the next read goes on from the last page's
``nextToken`` (as long as it asks the same question: same streams, same start)."""


@dataclass
class _Stream:
    key: Hashable
    group: str
    name: str
    since_ms: int  # events older than since_ms - LATE_MS have been delivered (or are too late)
    seen: dict[str, int] = field(default_factory=dict)  # event id -> timestamp, of events within the late window
    missing: bool = False  # CloudWatch Logs said it does not exist (yet)
    exists: bool = False  # a read or a probe found it
    newest_ms: int = 0  # the newest event read of it

    def accept(self, event: StreamEvent) -> bool:
        if event.timestamp_ms < self.since_ms - LATE_MS or event.event_id in self.seen:
            return False
        self.seen[event.event_id] = event.timestamp_ms
        return True

    def advance(self, to_ms: int) -> None:
        if to_ms > self.since_ms:
            self.since_ms = to_ms
            floor = to_ms - LATE_MS
            self.seen = {event_id: stamp for event_id, stamp in self.seen.items() if stamp >= floor}


class StreamSet:
    """The streams being read, by key (e.g. a job id): add one as it starts, remove it once it is drained."""

    def __init__(
        self, logs: Logs, pace: AdaptiveRateLimiter | None = None, probe_pace: AdaptiveRateLimiter | None = None
    ) -> None:
        self._logs = logs
        self._pace = pace or AdaptiveRateLimiter(FILTER_CALLS_PER_SECOND)
        self._probe_pace = probe_pace or AdaptiveRateLimiter(PROBE_CALLS_PER_SECOND)
        self._streams: dict[Hashable, _Stream] = {}
        self._unfinished: dict[tuple[str, tuple[str, ...], int], str] = {}  # query -> where its paging stopped

    def __len__(self) -> int:
        return len(self._streams)

    def __contains__(self, key: Hashable) -> bool:
        return key in self._streams

    def add(self, key: Hashable, group: str, stream: str, since_ms: int = 0) -> None:
        """Read `stream` of `group` from `since_ms` (no event of it is older: e.g. when its job was created)."""
        self._streams[key] = _Stream(key, group, stream, since_ms + LATE_MS)

    def remove(self, key: Hashable) -> None:
        self._streams.pop(key, None)

    def read(self, keys: set[Hashable] | None = None) -> Iterator[tuple[Hashable, LogEvent]]:
        """The events not delivered yet of every stream (or of `keys`), each stream's in order."""
        chosen = [stream for stream in self._streams.values() if keys is None or stream.key in keys]
        groups: dict[str, list[_Stream]] = {}
        for stream in chosen:
            groups.setdefault(stream.group, []).append(stream)
        for group, streams in groups.items():
            self._probe(stream for stream in streams if stream.missing)
            present = [stream for stream in streams if not stream.missing]
            for start in range(0, len(present), MAX_FILTER_STREAMS):
                yield from self._read(group, present[start : start + MAX_FILTER_STREAMS])

    def _read(self, group: str, streams: list[_Stream], narrow: bool = True) -> Iterator[tuple[Hashable, LogEvent]]:
        by_name = {stream.name: stream for stream in streams}
        start = min(stream.since_ms for stream in streams) - LATE_MS
        query = (group, tuple(by_name), start)
        token = self._unfinished.pop(query, None)  # a read cut short goes on where it stopped
        for _ in range(MAX_PAGES_PER_READ):
            self._pace.acquire()
            page = self._logs.filter_events(group, list(by_name), start, token)
            if page is None:
                if narrow:
                    yield from self._narrow(group, streams)
                else:  # refused again: try them again on the next read
                    for stream in streams:
                        stream.missing, stream.exists = True, False
                return
            for stream in streams:
                stream.missing, stream.exists = False, True
            for event in page.events:
                owner = by_name.get(event.stream)
                if owner is None:
                    continue
                owner.newest_ms = max(owner.newest_ms, event.timestamp_ms)
                if owner.accept(event):
                    yield owner.key, event.event
            token = page.next_token
            if token is None:
                break
        if token is not None:
            self._unfinished[query] = token  # the streams move on once the whole question is answered
            return
        # A quiet stream moves on with the streams read with it, once the read is complete: pages need not be
        # interleaved (the emulator returns one stream after the other), so an unread page may hold its events.
        high = max(stream.newest_ms for stream in streams)
        for stream in streams:
            stream.advance(max(stream.newest_ms, high - LATE_MS if high else 0))

    def _narrow(self, group: str, streams: list[_Stream]) -> Iterator[tuple[Hashable, LogEvent]]:
        """One of `streams` does not exist: probe the ones not seen to exist yet, read the others together."""
        unproven = [stream for stream in streams if not stream.exists]
        if not unproven:  # streams seen before are gone (their retention ended): each on its own from now on
            unproven = streams
        self._probe(unproven)
        present = [stream for stream in streams if not stream.missing]
        if present:
            yield from self._read(group, present, narrow=False)

    def _probe(self, streams: Iterable[_Stream]) -> None:
        for stream in streams:
            self._probe_pace.acquire()
            stream.exists = self._logs.stream_exists(stream.group, stream.name)
            stream.missing = not stream.exists
