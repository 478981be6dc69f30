"""Failure classes: what ended a FAILED job, from its status reasons, every attempt's container reason and exit code.

AWS's reasons (https://docs.aws.amazon.com/batch/latest/userguide/troubleshooting.html,
https://docs.aws.amazon.com/batch/latest/userguide/job_timeouts.html,
https://docs.aws.amazon.com/batch/latest/userguide/memory-management.html):
- a Spot reclaim or a lost host: the attempt's statusReason "Host EC2 (instance i-...) terminated."
- out of memory: "OutOfMemoryError: Container killed due to memory usage", exit code 137
- image pull: the container reason "CannotPullContainerError: ..." (the job says "Task failed to start")
- timeout: "Job attempt duration exceeded timeout"
- dependency failed: "Dependent Job failed"
- a queue's time-limit action: "Canceled by JobStateTimeLimit action due to reason: ..."
- agent and host errors: CannotStartContainerError, CannotCreateContainerError, CannotInspectContainerError,
  DockerTimeoutError, ResourceInitializationError, CannotStopContainerError
"""

from __future__ import annotations

from dataclasses import dataclass

from batchctl.jobs.records import Attempt, JobRecord

SPOT_RECLAIM = "spot reclaim"
OUT_OF_MEMORY = "out of memory"
IMAGE_PULL = "image pull"
TIMEOUT = "timeout"
DEPENDENCY_FAILED = "dependency failed"
CANCELLED = "cancelled/terminated"
HOST_ERROR = "host/agent error"
EXIT_CODE = "exit code"

HOST_TERMINATED_PREFIX = "Host EC2"
OUT_OF_MEMORY_REASON = "OutOfMemoryError"
OUT_OF_MEMORY_EXIT_CODE = 137
PULL_ERROR = "CannotPullContainerError"
TIMEOUT_REASON = "Job attempt duration exceeded timeout"
DEPENDENCY_REASON = "Dependent Job failed"
TIME_LIMIT_REASON = "Canceled by JobStateTimeLimit action"
ESSENTIAL_CONTAINER_EXITED = "Essential container in task exited"
AGENT_ERRORS = (
    "CannotStartContainerError",
    "CannotCreateContainerError",
    "CannotInspectContainerError",
    "CannotStopContainerError",
    "DockerTimeoutError",
    "ResourceInitializationError",
    "CannotPullECRContainerError",
)
# Exit codes of a command stopped by SIGTERM (143) or SIGKILL (137): what terminate and cancel leave behind.
STOPPED_EXIT_CODES = (137, 143)


@dataclass(frozen=True)
class Failure:
    label: str  # one of the classes above
    evidence: str  # the reason or code it was read from
    attempt: int | None = None  # the attempt it comes from (None: the job itself)

    @property
    def retry_name(self) -> str | None:
        """The retry_on name (batchctl.retry_rules) that retries this class, if any does."""
        return {SPOT_RECLAIM: "spot-loss", HOST_ERROR: "host-error", OUT_OF_MEMORY: "out-of-memory"}.get(self.label)


def attempt_failure(attempt: Attempt) -> Failure | None:
    """The class of one attempt's end; None when it succeeded (exit 0 with no failure reason)."""
    reasons = f"{attempt.status_reason} {attempt.reason}"
    number = attempt.number
    if attempt.status_reason.startswith(HOST_TERMINATED_PREFIX) or attempt.reason.startswith(HOST_TERMINATED_PREFIX):
        return Failure(SPOT_RECLAIM, attempt.status_reason or attempt.reason, number)
    if OUT_OF_MEMORY_REASON in reasons:
        return Failure(OUT_OF_MEMORY, _first(attempt.reason, attempt.status_reason), number)
    if PULL_ERROR in reasons:
        return Failure(IMAGE_PULL, _first(attempt.reason, attempt.status_reason), number)
    if TIMEOUT_REASON in reasons:
        return Failure(TIMEOUT, TIMEOUT_REASON, number)
    agent = next((name for name in AGENT_ERRORS if name in reasons), None)
    if agent:
        return Failure(HOST_ERROR, _first(attempt.reason, attempt.status_reason), number)
    if attempt.exit_code == 0:
        return None
    if attempt.exit_code is None and not attempt.status_reason:
        return None
    if (
        attempt.status_reason
        and not attempt.status_reason.startswith(ESSENTIAL_CONTAINER_EXITED)
        and attempt.exit_code in (*STOPPED_EXIT_CODES, None)
    ):
        return Failure(CANCELLED, attempt.status_reason, number)
    return Failure(EXIT_CODE, f"the command exited with {attempt.exit_code}", number)


def classify(job: JobRecord) -> Failure | None:
    """The class of a FAILED job's failure: its last attempt's, or the job's own reason when no attempt ran."""
    if job.status != "FAILED":
        return None
    reason = job.status_reason
    if reason.startswith(DEPENDENCY_REASON):
        return Failure(DEPENDENCY_FAILED, reason)
    if reason.startswith(TIME_LIMIT_REASON):
        return Failure(CANCELLED, reason)
    for attempt in reversed(job.attempts):
        failure = attempt_failure(attempt)
        if failure is not None:
            return failure
    if job.is_array_parent:
        failed = job.children.get("FAILED", 0)
        return Failure(EXIT_CODE, f"{failed} of {job.array_size} children failed") if failed else None
    if not job.attempts:
        return Failure(CANCELLED, reason or "cancelled before it started")
    if job.exit_code not in (None, 0):
        return Failure(EXIT_CODE, f"the command exited with {job.exit_code}")
    return Failure(CANCELLED, reason) if reason else None


def attempt_failures(job: JobRecord) -> list[Failure]:
    return [failure for failure in map(attempt_failure, job.attempts) if failure is not None]


def _first(*texts: str) -> str:
    return next((text for text in texts if text), "")
