"""What the emulator knows about a Batch job beyond moto's own fields: attempt number, placement, stop requests.

moto's ``Job`` is a thread that runs one container once. The compatibility patches that add capacity, retries,
timeouts and interruptions keep their per-job facts here, in one object per job, instead of scattering attributes.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

_STATE_ATTRIBUTE = "_batchctl_local_state"
_create_lock = threading.Lock()


@dataclass
class LocalJobState:
    attempt_number: int = 1  # AWS_BATCH_JOB_ATTEMPT of the current (or next) attempt; the first is 1
    recorded_attempt: int = 0  # the attempt number last recorded in the job's attempts
    container: Any = None  # the current attempt's Docker container, once started
    placement: Any = None  # the compute environment whose capacity the job holds while it runs
    vcpus: float = 0.0  # the vCPUs it holds there
    retry_strategy: dict[str, Any] | None = None  # SubmitJob's retryStrategy, which replaces the definition's
    container_reason: str | None = None  # why the container could not run (the attempt's container.reason)
    stop_reason: str | None = None  # set when the emulator itself stops the attempt (timeout, host interruption)
    stop_retryable: bool = True  # whether an attempt stopped by the emulator may be retried
    between_attempts: bool = False  # a failed attempt will be retried: the job reads RUNNABLE until it runs again
    attempt_over: bool = False  # the current attempt has been ended for a retry; moto's later stop calls are moot
    retry_requested: bool = False
    lock: threading.RLock = field(default_factory=threading.RLock, repr=False)


def state_of(job: Any) -> LocalJobState:
    """The job's emulator state, created on first use."""
    state = getattr(job, _STATE_ATTRIBUTE, None)
    if state is None:
        with _create_lock:
            state = getattr(job, _STATE_ATTRIBUTE, None)
            if state is None:
                state = LocalJobState()
                setattr(job, _STATE_ATTRIBUTE, state)
    return state
