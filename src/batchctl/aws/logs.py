"""CloudWatch Logs: reading a job's log stream forward. Plain data out, no printing."""

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
