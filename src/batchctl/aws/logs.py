"""CloudWatch Logs: reading a job's log stream forward, or many streams at once. Plain data out, no printing.

FilterLogEvents reads up to 100 streams of one group a call (``logStreamNames``: 1-100 names, the API's own
constraint, https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_FilterLogEvents.html); its
events carry an ``eventId`` (unique within the group) and come sorted by timestamp; a page may be empty while a
``nextToken`` says that more is to come.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError

from batchctl.aws.errors import aws_call, error_code


@dataclass(frozen=True)
class LogEvent:
    timestamp: datetime
    message: str


@dataclass(frozen=True)
class LogPage:
    events: list[LogEvent]
    next_token: str | None  # pass back to read on; None when the stream does not exist (yet)


MAX_FILTER_STREAMS = 100
"""FilterLogEvents' ``logStreamNames`` takes 1 to 100 names."""


@dataclass(frozen=True)
class StreamEvent:
    """A FilterLogEvents event: which stream it is from and its id (to drop it when read twice)."""

    stream: str
    event_id: str
    timestamp_ms: int
    message: str

    @property
    def event(self) -> LogEvent:
        return LogEvent(datetime.fromtimestamp(self.timestamp_ms / 1000, tz=UTC), self.message)


@dataclass(frozen=True)
class FilterPage:
    events: list[StreamEvent]
    next_token: str | None  # None: nothing more after this page


class Logs:
    def __init__(self, client: Any) -> None:
        self._client = client

    @aws_call
    def get_log_events(self, group: str, stream: str, token: str | None = None) -> LogPage:
        """One GetLogEvents page, oldest first. The token stays the same once the stream is drained."""
        kwargs: dict[str, Any] = {"logGroupName": group, "logStreamName": stream, "startFromHead": True}
        if token:
            kwargs["nextToken"] = token
        try:
            response = self._client.get_log_events(**kwargs)
        except ClientError as exc:
            if error_code(exc) == "ResourceNotFoundException":
                return LogPage([], token)
            raise
        events = [
            LogEvent(datetime.fromtimestamp(item["timestamp"] / 1000, tz=UTC), item.get("message", ""))
            for item in response.get("events", [])
        ]
        return LogPage(events, response.get("nextForwardToken"))

    @aws_call
    def filter_events(
        self, group: str, streams: list[str], start_ms: int, token: str | None = None
    ) -> FilterPage | None:
        """One FilterLogEvents page of the events of `streams` (1-100 of `group`) from `start_ms` on; None when the
        group or one of the streams does not exist (CloudWatch Logs refuses the whole call with
        ResourceNotFoundException, so the caller narrows the set down)."""
        if not 1 <= len(streams) <= MAX_FILTER_STREAMS:
            raise ValueError(f"FilterLogEvents reads 1 to {MAX_FILTER_STREAMS} streams a call, not {len(streams)}")
        kwargs: dict[str, Any] = {"logGroupName": group, "logStreamNames": streams, "startTime": max(0, start_ms)}
        if token:
            kwargs["nextToken"] = token
        try:
            response = self._client.filter_log_events(**kwargs)
        except ClientError as exc:
            if error_code(exc) == "ResourceNotFoundException":
                return None
            raise
        events = [
            StreamEvent(item["logStreamName"], str(item["eventId"]), int(item["timestamp"]), item.get("message", ""))
            for item in response.get("events", [])
        ]
        return FilterPage(events, response.get("nextToken") or None)

    @aws_call
    def stream_exists(self, group: str, stream: str) -> bool:
        """Whether the stream exists (one GetLogEvents call asking for one event)."""
        try:
            self._client.get_log_events(logGroupName=group, logStreamName=stream, startFromHead=True, limit=1)
        except ClientError as exc:
            if error_code(exc) == "ResourceNotFoundException":
                return False
            raise
        return True

    @aws_call
    def tail(self, group: str, stream: str, limit: int) -> list[LogEvent]:
        """The last `limit` events of a stream (one GetLogEvents call from the end), oldest first; none when the
        stream does not exist."""
        try:
            response = self._client.get_log_events(
                logGroupName=group, logStreamName=stream, startFromHead=False, limit=limit
            )
        except ClientError as exc:
            if error_code(exc) == "ResourceNotFoundException":
                return []
            raise
        return [
            LogEvent(datetime.fromtimestamp(item["timestamp"] / 1000, tz=UTC), item.get("message", ""))
            for item in response.get("events", [])
        ]
