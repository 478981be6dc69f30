"""Counting the API calls a long operation makes (following logs, waiting for jobs), to report their rates.

A :class:`CallMeter` listens to botocore's ``before-parameter-build`` event of the clients it watches (emitted once
per API call, before any handler may answer it): one count per call; botocore's own retries of a throttled call are
not counted again.
"""

from __future__ import annotations

import itertools
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

_ids = itertools.count()


class CallMeter:
    """Calls per operation between :meth:`watch` and :meth:`stop` (or now, while still watching)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.calls: Counter[str] = Counter()
        self.streams = 0  # log streams read, set by the log follower
        self._clock = clock
        self._started: float | None = None
        self._stopped: float | None = None
        self._clients: list[Any] = []
        self._id = f"batchctl-call-meter-{next(_ids)}"

    def watch(self, *clients: Any) -> CallMeter:
        if self._started is None:
            self._started = self._clock()
        for client in clients:
            if any(client is known for known in self._clients):
                continue
            client.meta.events.register("before-parameter-build", self._count, unique_id=self._id)
            self._clients.append(client)
        return self

    def stop(self) -> None:
        for client in self._clients:
            client.meta.events.unregister("before-parameter-build", self._count, unique_id=self._id)
        self._clients.clear()
        if self._started is not None and self._stopped is None:
            self._stopped = self._clock()

    def count(self, operation: str) -> None:
        self.calls[operation] += 1

    def _count(self, model: Any = None, **_: Any) -> None:
        if model is not None:
            self.count(model.name)

    @property
    def seconds(self) -> float:
        if self._started is None:
            return 0.0
        return (self._stopped if self._stopped is not None else self._clock()) - self._started

    def rate(self, operation: str) -> float:
        return self.calls[operation] / self.seconds if self.seconds > 0 else 0.0

    def summary(self) -> str:
        """`812 FilterLogEvents calls, 3.1/s; 40 DescribeJobs, 0.2/s` (busiest first); `no API calls` when none."""
        parts = [
            f"{count} {operation}{' calls' if index == 0 else ''}, {self.rate(operation):.1f}/s"
            for index, (operation, count) in enumerate(self.calls.most_common())
        ]
        return "; ".join(parts) or "no API calls"

    def as_dict(self) -> dict[str, Any]:
        """For JSON: {"seconds", "streams", "calls": {operation: {"calls", "per_second"}}}."""
        return {
            "seconds": round(self.seconds, 3),
            "streams": self.streams,
            "calls": {
                operation: {"calls": count, "per_second": round(self.rate(operation), 3)}
                for operation, count in self.calls.most_common()
            },
        }


@contextmanager
def metered(meter: CallMeter | None, *clients: Any) -> Iterator[None]:
    """Count the calls of `clients` on `meter` (when one is given) for the duration of a block."""
    if meter is None:
        yield
        return
    meter.watch(*clients)
    try:
        yield
    finally:
        meter.stop()
