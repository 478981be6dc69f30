"""Log delivery for emulated Batch jobs, as the awslogs driver does it: lines reach the stream while the job runs.

:class:`AttemptLog` copies a container's output to the attempt's log stream, each line once: the executor calls
:meth:`AttemptLog.forward` while the container runs (every poll) and once more after it exited.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from moto.core.parse import default_timestamp_parser
from moto.core.utils import unix_time_millis

logger = logging.getLogger(__name__)


def parse_docker_log(output: bytes) -> list[dict[str, Any]]:
    """Docker's ``timestamps=True`` lines as CloudWatch events, converted exactly as moto converts them."""
    events = []
    for line in output.decode(errors="replace").split("\n"):
        if not line:
            continue
        stamp, _, message = line.partition(" ")
        events.append({"timestamp": unix_time_millis(default_timestamp_parser(stamp)), "message": message.strip()})
    return events


class AttemptLog:
    """One attempt's container output, delivered to ``group``/``stream`` of ``logs`` (the logs backend)."""

    def __init__(self, logs: Any, group: str, stream: str, container: Any) -> None:
        self._logs = logs
        self._group = group
        self._stream = stream
        self._container = container
        self._since: float | None = None
        self._delivered: set[tuple[int, str]] = set()
        self._lock = threading.Lock()

    def create_stream(self) -> None:
        """The awslogs driver creates the stream when the container starts."""
        self._logs.ensure_log_group(self._group)
        self._logs.ensure_log_stream(self._group, self._stream)

    def forward(self) -> None:
        """Send the lines not delivered yet."""
        with self._lock:
            options: dict[str, Any] = {"stdout": True, "stderr": True, "timestamps": True}
            if self._since is not None:
                options["since"] = self._since
            try:
                events = parse_docker_log(self._container.logs(**options))
            except Exception as err:  # the container may be gone already
                logger.debug("no logs from container %s: %s", getattr(self._container, "id", "?"), err)
                return
            new = [event for event in events if (event["timestamp"], event["message"]) not in self._delivered]
            if not new:
                return
            # Docker's "since" has one-second precision in older engines: re-reading a line is harmless.
            self._since = max(event["timestamp"] for event in events) / 1000 - 1
            self._delivered.update((event["timestamp"], event["message"]) for event in new)
            self.create_stream()
            self._logs.put_log_events(self._group, self._stream, sorted(new, key=lambda event: event["timestamp"]))
