"""A client-side rate limit that backs off when AWS throttles: a token bucket whose rate adapts (AIMD).

AWS Batch allows 50 SubmitJob calls per second per account and Region
(https://docs.aws.amazon.com/batch/latest/userguide/service_limits.html); calls above it are refused with
TooManyRequestsException. Sending just under the quota keeps most calls from being refused at all; when some still
are (other clients share the quota), the rate is cut multiplicatively, at most once per cut interval so that one
burst of refusals counts once, and grows back linearly to the configured rate, as AWS recommends for throttled
clients (https://docs.aws.amazon.com/general/latest/gr/api-retries.html).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

DEFAULT_SUBMIT_RATE = 45.0
"""SubmitJob calls per second: just under AWS's 50 TPS quota, leaving room for other clients of the account."""

CUT_FACTOR = 0.7  # the rate after a throttled call, as a share of the rate before it
CUT_INTERVAL = 1.0  # seconds: refusals closer together than this are one congestion event
RECOVERY_SHARE = 0.1  # of the configured rate, regained per second without throttling
FLOOR_SHARE = 0.05  # the rate never falls below this share of the configured rate


class AdaptiveRateLimiter:
    """Thread-safe: ``acquire`` blocks until a call may be sent; ``throttled`` reports a refusal."""

    def __init__(
        self,
        rate: float = DEFAULT_SUBMIT_RATE,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if rate <= 0:
            raise ValueError("the rate must be above 0 calls per second")
        self.max_rate = rate
        self._rate = rate
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._next_slot = clock()
        self._last_cut = float("-inf")
        self._last_grow = clock()
        self.throttles = 0

    @property
    def rate(self) -> float:
        with self._lock:
            self._grow(self._clock())
            return self._rate

    def acquire(self) -> None:
        """Wait for the next send slot (slots are 1/rate apart; an idle limiter allows one at once)."""
        with self._lock:
            now = self._clock()
            self._grow(now)
            slot = max(self._next_slot, now)
            self._next_slot = slot + 1 / self._rate
        if slot > now:
            self._sleep(slot - now)

    def throttled(self) -> None:
        with self._lock:
            self.throttles += 1
            now = self._clock()
            if now - self._last_cut < CUT_INTERVAL:
                return
            self._last_cut = now
            self._rate = max(self.max_rate * FLOOR_SHARE, self._rate * CUT_FACTOR)
            self._last_grow = now

    def _grow(self, now: float) -> None:
        elapsed = now - self._last_grow
        self._last_grow = now
        if self._rate < self.max_rate:
            self._rate = min(self.max_rate, self._rate + elapsed * self.max_rate * RECOVERY_SHARE)
