"""What the executor knows about one Batch job beyond moto's own fields: status, attempt, placement, stop requests.

moto's ``Job`` object stays the record the API describes; the executor keeps the job's lifecycle here, in one
object per job, and writes the fields DescribeJobs reads (status reason, exit code, attempts) through the adapter.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

_STATE_ATTRIBUTE = "_batchctl_local_state"
_create_lock = threading.Lock()

SUBMITTED = "SUBMITTED"
PENDING = "PENDING"
RUNNABLE = "RUNNABLE"
STARTING = "STARTING"
RUNNING = "RUNNING"
SUCCEEDED = "SUCCEEDED"
FAILED = "FAILED"
NOT_STARTED_STATUSES = frozenset({SUBMITTED, PENDING, RUNNABLE})
FINAL_STATUSES = frozenset({SUCCEEDED, FAILED})


@dataclass
class LocalJobState:
    status: str = SUBMITTED
    attempt_number: int = 1  # AWS_BATCH_JOB_ATTEMPT of the current (or next) attempt; the first is 1
    container: Any = None  # the current attempt's Docker container, once started
    placement: Any = None  # the compute environment whose capacity the job holds while it runs
    vcpus: float = 0.0  # the vCPUs it holds there
    queued: bool = False  # RUNNABLE and asking for capacity
    runnable_since: datetime | None = None  # when the job last became RUNNABLE (time-limit actions, snapshot)
    blocked_reason: str | None = None  # why a RUNNABLE job cannot be placed (its statusReason meanwhile)
    blocked_since: float | None = None  # monotonic time the current blocked reason was first seen
    retry_strategy: dict[str, Any] | None = None  # SubmitJob's retryStrategy, which replaces the definition's
    share_identifier: str | None = None  # SubmitJob's shareIdentifier (fair-share queues)
    scheduling_priority: int = 0  # SubmitJob's schedulingPriorityOverride, else the definition's
    container_reason: str | None = None  # why the container could not run, or was killed (attempt container.reason)
    stop_reason: str | None = None  # set when the attempt is stopped from outside (timeout, terminate, interruption)
    stop_retryable: bool = True  # whether an attempt stopped that way may be retried
    log_group: str = "/aws/batch/job"
    log_stream: str = ""
    lock: threading.RLock = field(default_factory=threading.RLock, repr=False)


def state_of(job: Any) -> LocalJobState:
    """The job's executor state, created on first use."""
    state = getattr(job, _STATE_ATTRIBUTE, None)
    if state is None:
        with _create_lock:
            state = getattr(job, _STATE_ATTRIBUTE, None)
            if state is None:
                state = LocalJobState()
                setattr(job, _STATE_ATTRIBUTE, state)
    return state
