"""Live log delivery for emulated Batch jobs.

moto copies a container's output to CloudWatch Logs once the container has exited. On AWS the awslogs driver sends
lines as they are written, so ``logs --follow`` shows a running job. :class:`LiveLogForwarder` polls the running
container and sends new lines; :class:`DeduplicatingLogs` stands between moto and the logs backend so that moto's
copy at the end adds only the lines the forwarder has not sent.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from moto.batch.models import Job
from moto.core.parse import default_timestamp_parser
from moto.core.utils import unix_time_millis

logger = logging.getLogger(__name__)

POLL_INTERVAL = 0.5


class DeduplicatingLogs:
    """The logs backend as seen by one job: events already delivered to a stream are not delivered again."""

    def __init__(self, backend: Any) -> None:
        self._backend = backend
        self._delivered: set[tuple[str, str, int, str]] = set()
        self._lock = threading.Lock()

    def put_log_events(self, group: str, stream: str, events: list[dict[str, Any]]) -> Any:
        with self._lock:
            new = [e for e in events if (group, stream, e["timestamp"], e["message"]) not in self._delivered]
            if not new:
                return None
            self._delivered.update((group, stream, e["timestamp"], e["message"]) for e in new)
            return self._backend.put_log_events(group, stream, new)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._backend, name)


def parse_docker_log(output: bytes) -> list[dict[str, Any]]:
    """Docker's ``timestamps=True`` lines as CloudWatch events, converted exactly as moto converts them."""
    events = []
    for line in output.decode(errors="replace").split("\n"):
        if not line:
            continue
        stamp, _, message = line.partition(" ")
        events.append({"timestamp": unix_time_millis(default_timestamp_parser(stamp)), "message": message.strip()})
    return events


class LiveLogForwarder(threading.Thread):
    """Sends a running container's new output to the job's log stream until the container stops."""

    def __init__(self, job: Job, container: Any, interval: float = POLL_INTERVAL) -> None:
        super().__init__(name=f"logs-{job.job_id}", daemon=True)
        self._job = job
        self._container = container
        self._interval = interval
        self._since: float | None = None
        # The attempt's stream: a retry gives the job a new one while this container's last lines still arrive.
        self._group = job._log_group
        self._stream = job._stream_name

    def run(self) -> None:
        try:
            while True:
                running = self._container_running()
                self.forward()
                if not running or self._job.stop:
                    return
                time.sleep(self._interval)
        except Exception as err:  # the container may be removed under us once the job ends; moto copies the rest
            logger.debug("live log forwarding for job %s ended: %s", self._job.job_id, err)

    def _container_running(self) -> bool:
        self._container.reload()
        return bool(self._container.status == "running")

    def forward(self) -> None:
        options: dict[str, Any] = {"stdout": True, "stderr": True, "timestamps": True}
        if self._since is not None:
            options["since"] = self._since
        events = parse_docker_log(self._container.logs(**options))
        if not events:
            return
        # Docker's "since" has one-second precision in older engines: re-reading a line is harmless, the
        # deduplicating backend drops it.
        self._since = max(event["timestamp"] for event in events) / 1000 - 1
        logs = self._job._log_backend
        logs.ensure_log_group(self._group)
        logs.ensure_log_stream(self._group, self._stream)
        logs.put_log_events(self._group, self._stream, events)
