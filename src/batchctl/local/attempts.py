"""Job attempts: when one starts and ends, how the emulator stops one, and how a retry begins.

moto runs a job's container once, from a thread that walks the job through SUBMITTED ... RUNNING and marks it
SUCCEEDED or FAILED. For a retry the emulator ends the attempt instead of the job (its record gets stoppedAt, exit
code and status reason), sets the job back to RUNNABLE and runs moto's loop again with a fresh attempt number and log
stream, as AWS places a failed job back in the queue.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from datetime import datetime
from typing import Any

from moto.batch.models import Job
from moto.batch.utils import JobStatus

from batchctl.local import job_container, scheduler
from batchctl.local.job_state import state_of

logger = logging.getLogger(__name__)

ESSENTIAL_CONTAINER_EXITED = "Essential container in task exited"
TIMEOUT_REASON = "Job attempt duration exceeded timeout"
# AWS stops a container with SIGTERM and sends SIGKILL when it still runs this many seconds later.
STOP_GRACE_SECONDS = 30
_WATCH_INTERVAL = 0.5
NOT_STARTED = datetime(1970, 1, 1)  # moto's placeholder for a time not reached yet


# --- an attempt begins --------------------------------------------------------------------------------------------


def record_attempt_start(job: Job, start_attempt: Any) -> None:
    """Record the attempt once per attempt number, stamped now (when its container is launched)."""
    state = state_of(job)
    if state.recorded_attempt == state.attempt_number:
        return
    state.recorded_attempt = state.attempt_number
    state.between_attempts = False
    job.job_started_at = datetime.now()
    start_attempt(job)


# --- an attempt ends ----------------------------------------------------------------------------------------------


def attempt_failed(job: Job, success: bool) -> bool:
    """An attempt the emulator stopped (timeout, interruption) failed, whatever its container's exit code."""
    return not success or bool(state_of(job).stop_reason)


def status_reason(job: Job) -> str:
    return state_of(job).stop_reason or job.job_stopped_reason or ""


def end_attempt_for_retry(job: Job) -> None:
    """Close the current attempt's record and put the job back in the queue (RUNNABLE) for the next one."""
    state = state_of(job)
    job.job_stopped_reason = status_reason(job) or None
    job.job_stopped_at = datetime.now()
    job._stop_attempt()
    scheduler.release(job)
    # RUNNABLE without a tick: not waiting for capacity until moto's loop comes round to it again.
    job._status = JobStatus.RUNNABLE.value
    job._tick = 0
    state.between_attempts = True
    state.attempt_over = True
    state.retry_requested = True


def prepare_next_attempt(job: Job) -> None:
    """Reset what moto's run loop reads, so that it runs the job again from the start, as attempt n + 1."""
    state = state_of(job)
    state.attempt_number += 1
    state.retry_requested = False
    state.attempt_over = False
    state.stop_reason = None
    state.stop_retryable = True
    state.container = None
    state.container_reason = None
    job.exit_code = None
    job.job_stopped_reason = None
    job.job_stopped_at = NOT_STARTED
    # A new attempt is a new ECS task: a new log stream, as on AWS.
    job._stream_name = job_container.log_destination(job, job_container.new_task_id()).stream
    # moto's loop starts by advancing from SUBMITTED; the job reads RUNNABLE meanwhile (between_attempts).
    job._status = JobStatus.SUBMITTED.value
    job._tick = 0


def reported_status(job: Job, status: str | None) -> str | None:
    """Between attempts moto's loop walks SUBMITTED and PENDING again; AWS shows such a job RUNNABLE."""
    if state_of(job).between_attempts and status in (JobStatus.SUBMITTED.value, JobStatus.PENDING.value):
        return JobStatus.RUNNABLE.value
    return status


# --- the emulator stops an attempt --------------------------------------------------------------------------------


def stop_attempt(job: Job, reason: str, *, retryable: bool, grace: int = STOP_GRACE_SECONDS) -> bool:
    """Stop the running attempt's container (SIGTERM, then SIGKILL after ``grace``) and fail the attempt with
    ``reason``. False when the attempt was already being stopped."""
    state = state_of(job)
    with state.lock:
        if state.stop_reason:
            return False
        state.stop_reason = reason
        state.stop_retryable = retryable
        container = state.container
    if container is not None:
        threading.Thread(
            target=_stop_container, args=(container, grace), name=f"stop-{job.job_id}", daemon=True
        ).start()
    return True


def _stop_container(container: Any, grace: int) -> None:
    try:
        container.stop(timeout=math.ceil(grace))  # the Docker API takes whole seconds
    except Exception as err:  # the container may already be gone: moto removes it once the job ends
        logger.warning("could not stop container %s: %s", getattr(container, "id", "?"), err)


# --- attempt timeouts ---------------------------------------------------------------------------------------------


def attempt_duration(job: Job) -> int | None:
    """attemptDurationSeconds from SubmitJob, else from the job definition."""
    for timeout in (job.timeout, job.job_definition.timeout):
        if timeout and timeout.get("attemptDurationSeconds"):
            return int(timeout["attemptDurationSeconds"])
    return None


class AttemptTimer(threading.Thread):
    """Stops the attempt that was current when it started, once its duration has passed."""

    def __init__(self, job: Job, seconds: float) -> None:
        super().__init__(name=f"timeout-{job.job_id}", daemon=True)
        self._job = job
        self._attempt = state_of(job).attempt_number
        self._deadline = time.monotonic() + seconds

    def _attempt_over(self) -> bool:
        state = state_of(self._job)
        return self._job.job_stopped or state.attempt_over or state.attempt_number != self._attempt

    def run(self) -> None:
        while not self._attempt_over():
            remaining = self._deadline - time.monotonic()
            if remaining <= 0:
                stop_attempt(self._job, TIMEOUT_REASON, retryable=False)
                return
            time.sleep(min(remaining, _WATCH_INTERVAL))


def start_attempt_timer(job: Job, container: Any) -> None:
    seconds = attempt_duration(job)
    if seconds:
        AttemptTimer(job, seconds).start()


# --- where the containers are -------------------------------------------------------------------------------------


def remember_container(job: Job, container: Any) -> None:
    state = state_of(job)
    with state.lock:
        state.container = container
    if state.stop_reason:  # stopped while its container was being created
        threading.Thread(target=_stop_container, args=(container, STOP_GRACE_SECONDS), daemon=True).start()


def refuse_stopped_job(job: Job, client: Any, kwargs: dict[str, Any]) -> None:
    """A job cancelled (or stopped by a reset) before its container started never starts it."""
    if job.stop or job.job_stopped:
        raise JobCancelledError(f"job {job.job_id} was cancelled before it started")


class JobCancelledError(RuntimeError):
    pass
