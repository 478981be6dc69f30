"""Per-behaviour switches of the local job executor.

Each switch names the moto 5.2.5 gap that the executor's behaviour closes. All are on in the emulator; a test turns
one off (``SWITCHES.without(name)``) to show the gap that remains without it, so every behaviour keeps a test that
fails without it. An off switch makes the executor behave as moto's own job loop does in that respect.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager


class Switches:
    def __init__(self) -> None:
        self._gaps: dict[str, str] = {}
        self._off: set[str] = set()
        self._lock = threading.Lock()

    def register(self, name: str, gap: str) -> str:
        self._gaps[name] = gap
        return name

    @property
    def names(self) -> list[str]:
        return list(self._gaps)

    def gap(self, name: str) -> str:
        return self._gaps[name]

    def on(self, name: str) -> bool:
        return name not in self._off

    @contextmanager
    def without(self, name: str) -> Iterator[None]:
        """Run a block with behaviour ``name`` off (moto's own behaviour in that respect)."""
        if name not in self._gaps:
            raise KeyError(f"unknown executor behaviour: {name}")
        with self._lock:
            self._off.add(name)
        try:
            yield
        finally:
            with self._lock:
                self._off.discard(name)


SWITCHES = Switches()

CONTAINER_ENVIRONMENT = SWITCHES.register(
    "job_container_lacks_aws_environment",
    "job containers get neither an endpoint nor credentials to reach the emulator, and of the AWS Batch variables "
    "only AWS_BATCH_JOB_ID (array children get no AWS_BATCH_JOB_ARRAY_INDEX)",
)
LOG_CONFIGURATION = SWITCHES.register(
    "job_log_configuration_ignored",
    "job output always goes to /aws/batch/job, ignoring the job definition's logConfiguration, and DescribeJobs "
    "reports logStreamName only after the job ended",
)
LIVE_LOGS = SWITCHES.register(
    "job_logs_arrive_only_when_job_ends",
    "a job's output reaches CloudWatch Logs only after its container has exited",
)
ATTEMPT_AT_LAUNCH = SWITCHES.register(
    "job_attempt_recorded_when_runnable",
    "a job's attempt, and its startedAt, are recorded when the job becomes RUNNABLE, before it has capacity",
)
CAPACITY = SWITCHES.register(
    "compute_environment_max_vcpus_ignored",
    "every job starts as soon as it is RUNNABLE: a compute environment's maxvCpus never holds a job back",
)
DEPENDENCY_TYPES = SWITCHES.register(
    "job_dependency_types_ignored",
    "a dependency is a plain job id: SEQUENTIAL fails every child (KeyError 'jobId'), N_TO_N waits for the whole "
    "other array",
)
DEPENDENCY_FAILED_REASON = SWITCHES.register(
    "failed_dependency_has_no_status_reason",
    "a job whose dependency failed is FAILED without a statusReason",
)
RETRIES = SWITCHES.register(
    "job_retry_strategy_ignored",
    "a job gets one attempt whatever its retry strategy (moto drops SubmitJob's and never reads the definition's)",
)
EXIT_REASON = SWITCHES.register(
    "container_exit_has_no_status_reason",
    "a job whose container exited has no statusReason, on the job or its attempt",
)
ATTEMPT_TIMEOUT = SWITCHES.register(
    "job_timeout_fails_without_reason",
    "at attemptDurationSeconds the job fails with no statusReason, counted from RUNNABLE, and a retry strategy "
    "retries the timed-out attempt",
)
CANCEL_BEFORE_START = SWITCHES.register(
    "cancelled_job_still_starts",
    "cancelling a job that has not started only flags it: moto still starts its container, then kills it",
)
ARRAY_CANCEL = SWITCHES.register(
    "array_job_cancel_ignores_children",
    "CancelJob and TerminateJob on an array job only flag the parent: its children go on running",
)
ARRAY_PARENT_STATUS = SWITCHES.register(
    "array_job_parent_never_fails",
    "an array job's parent stays SUBMITTED forever if any child fails",
)
RESOURCE_LIMITS = SWITCHES.register(
    "job_resources_are_not_limits",
    "a container gets no memory or CPU limit from the job's memory and vCPUs, so a job that needs more memory than "
    "it asked for passes locally and is killed on AWS",
)
BLOCKED_REASONS = SWITCHES.register(
    "runnable_job_never_says_why",
    "a job that no compute environment of its queue can run stays RUNNABLE forever without a statusReason, and "
    "queues' jobStateTimeLimitActions never act",
)
TERMINATE_GRACE = SWITCHES.register(
    "terminate_kills_at_once",
    "TerminateJob kills a running job's container at once (SIGKILL) instead of SIGTERM and SIGKILL 30 s later",
)
FAIR_SHARE = SWITCHES.register(
    "fair_share_policy_ignored",
    "a queue's fair-share scheduling policy is ignored: jobs start in submission order",
)
