"""Job attempts: their records (DescribeJobs ``attempts``), how one ends, and how the emulator stops one.

AWS's reasons (https://docs.aws.amazon.com/batch/latest/userguide/troubleshooting.html and job_timeouts.html):
a container that ended on its own: "Essential container in task exited"; one killed for memory: exit code 137 and
"OutOfMemoryError: Container killed due to memory usage"; a timed-out attempt: "Job attempt duration exceeded
timeout". A stop (timeout, terminate, Spot reclaim) sends SIGTERM, then SIGKILL after the ECS stop timeout (30 s).
"""

from __future__ import annotations

import logging
import math
import os
import threading
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from batchctl.local.job_state import state_of

logger = logging.getLogger(__name__)

ESSENTIAL_CONTAINER_EXITED = "Essential container in task exited"
OUT_OF_MEMORY = "OutOfMemoryError: Container killed due to memory usage"
OUT_OF_MEMORY_EXIT_CODE = 137
TIMEOUT_REASON = "Job attempt duration exceeded timeout"
STOP_GRACE_SECONDS = 30
STOP_GRACE_ENV = "BATCHCTL_LOCAL_STOP_GRACE_SECONDS"
"""Local only: a shorter SIGTERM-to-SIGKILL grace for tests; unset, AWS's 30 seconds."""
NOT_STARTED = datetime(1970, 1, 1)  # moto's placeholder for a time not reached yet


def stop_grace_seconds() -> int:
    value = os.environ.get(STOP_GRACE_ENV, "").strip()
    return int(value) if value else STOP_GRACE_SECONDS


def millis(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


@dataclass
class Outcome:
    """How an attempt (or a job that never got one) ended."""

    succeeded: bool
    status_reason: str | None = None
    exit_code: int | None = None
    container_reason: str | None = None


# --- records ------------------------------------------------------------------------------------------------------


def new_record(job: Any, started_at: datetime, log_stream: str | None) -> dict[str, Any]:
    """The attempt's entry in DescribeJobs ``attempts`` once its container is launched."""
    return {
        "container": {
            "containerInstanceArn": "TBD",
            "taskArn": job.job_definition.arn,
            "logStreamName": log_stream,
            "networkInterfaces": [],
        },
        "startedAt": millis(started_at),
    }


def close_record(record: dict[str, Any], outcome: Outcome, stopped_at: datetime) -> None:
    record["stoppedAt"] = millis(stopped_at)
    if outcome.exit_code is not None:
        record["container"]["exitCode"] = outcome.exit_code
    if outcome.status_reason:
        record["statusReason"] = outcome.status_reason
    if outcome.container_reason:
        record["container"]["reason"] = outcome.container_reason


# --- the emulator stops an attempt --------------------------------------------------------------------------------


def stop_attempt(job: Any, reason: str | None, *, retryable: bool, grace: int | None = None) -> bool:
    """Stop the running attempt's container (SIGTERM, then SIGKILL after ``grace``) and fail the attempt with
    ``reason``. False when the attempt was already being stopped."""
    state = state_of(job)
    with state.lock:
        if state.stop_reason is not None:
            return False
        state.stop_reason = reason or ""
        state.stop_retryable = retryable
        container = state.container
    if container is not None:
        stop_container(container, stop_grace_seconds() if grace is None else grace)
    return True


def stop_container(container: Any, grace: int) -> None:
    """SIGTERM now, SIGKILL ``grace`` seconds later (0: SIGKILL at once), without blocking the caller."""

    def stop() -> None:
        try:
            if grace <= 0:
                container.kill()
            else:
                container.stop(timeout=math.ceil(grace))  # the Docker API takes whole seconds
        except Exception as err:  # the container may already be gone
            logger.warning("could not stop container %s: %s", getattr(container, "id", "?"), err)

    threading.Thread(target=stop, name=f"stop-{getattr(container, 'id', '?')}", daemon=True).start()


def attempt_duration(job: Any) -> int | None:
    """attemptDurationSeconds from SubmitJob, else from the job definition."""
    for timeout in (job.timeout, job.job_definition.timeout):
        if timeout and timeout.get("attemptDurationSeconds"):
            return int(timeout["attemptDurationSeconds"])
    return None
