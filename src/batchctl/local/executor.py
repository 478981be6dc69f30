"""The local job executor: one state machine per Batch job, in named, ordered phases.

moto keeps the control plane (resources, CloudFormation, API shapes) and starts one thread per job; that thread runs
:func:`run`, which walks the job through AWS Batch's states
(https://docs.aws.amazon.com/batch/latest/userguide/job_states.html)::

    SUBMITTED -> PENDING (dependencies) -> RUNNABLE (placement, capacity, blocked reasons, time limits)
              -> STARTING (image, container with limits) -> RUNNING (exit, out of memory, timeout, stop requests)
              -> attempt ended -> RUNNABLE again (retry) | SUCCEEDED | FAILED

A job without dependencies goes from SUBMITTED straight to RUNNABLE, as on AWS. Requests from the API (cancel,
terminate, a Spot interruption) and moto's own calls reach the job through the functions at the end of this module;
a job ends in exactly one place, :func:`finish`. Every behaviour that differs from moto's own run loop has a switch in
:mod:`batchctl.local.behaviours`.
"""

from __future__ import annotations

import logging
import os
import time
from datetime import datetime
from typing import Any

from batchctl.local import (
    attempts,
    behaviours,
    dependencies,
    job_container,
    job_logs,
    moto_adapter,
    registry,
    retries,
    scheduler,
)
from batchctl.local.attempts import Outcome
from batchctl.local.behaviours import SWITCHES
from batchctl.local.job_state import (
    FAILED,
    FINAL_STATUSES,
    NOT_STARTED_STATUSES,
    PENDING,
    RUNNABLE,
    RUNNING,
    STARTING,
    SUBMITTED,
    SUCCEEDED,
    state_of,
)

logger = logging.getLogger(__name__)

STEP_SECONDS = 0.5
"""How often a job's thread looks again (moto's pace): state changes, container status, capacity."""

TIME_LIMIT_SCALE_ENV = "BATCHCTL_LOCAL_TIME_LIMIT_SCALE"
"""Local only: multiplies every queue's ``jobStateTimeLimitActions.maxTimeSeconds`` (e.g. 0.01: 600 s -> 6 s)."""

TIME_LIMIT_REASON = "Canceled by JobStateTimeLimit action due to reason: {reason}"
SHUTDOWN_GRACE_SECONDS = 5
"""The grace containers get when the emulator itself stops (it waits 10 s for its jobs)."""


def time_limit_scale() -> float:
    value = os.environ.get(TIME_LIMIT_SCALE_ENV, "").strip()
    return float(value) if value else 1.0


def submitted(
    job: Any, *, retry_strategy: dict[str, Any] | None, share_identifier: str | None, scheduling_priority: int | None
) -> None:
    """What SubmitJob said beyond moto's own fields: its retry strategy replaces the definition's."""
    state = state_of(job)
    state.retry_strategy = retry_strategy
    state.share_identifier = share_identifier
    state.scheduling_priority = int(scheduling_priority or 0)


def run(job: Any) -> None:
    """The job's thread: every phase in order, until the job has ended."""
    lifecycle = Lifecycle(job)
    try:
        lifecycle.run()
    except Exception as err:  # the emulator's own failure: the job fails rather than hang
        logger.exception("job %s failed in the emulator: %s", job.job_id, err)
        finish(job, Outcome(succeeded=False))


class Lifecycle:
    """The phases of one job, in order."""

    def __init__(self, job: Any) -> None:
        self.job = job
        self.state = state_of(job)
        self.record: dict[str, Any] | None = None  # the current attempt's entry in job.attempts

    def run(self) -> None:
        self.submitted()
        if not self.pending():
            return
        while self.runnable():
            outcome = self.attempt()
            if outcome is None:  # ended (cancelled) while it was being started
                return
            if not self.retry(outcome):
                finish(self.job, outcome)
                return

    # --- SUBMITTED ------------------------------------------------------------------------------------------------

    def submitted(self) -> None:
        time.sleep(STEP_SECONDS)

    # --- PENDING: dependencies ------------------------------------------------------------------------------------

    def pending(self) -> bool:
        """True once every dependency succeeded; a failed one fails the job, which never starts."""
        if not self.job.depends_on:
            return not self.job.job_stopped
        with self.state.lock:
            if self.job.job_stopped:
                return False
            self.state.status = PENDING
        while True:
            if self.job.job_stopped:
                return False
            if self.job.stop:  # moto's flag (a reset, or cancel without its behaviour)
                finish(self.job, Outcome(succeeded=False, status_reason=self.job.job_stopped_reason))
                return False
            resolution = dependencies.resolve(self.job)
            if resolution is dependencies.Resolution.MET:
                return True
            if resolution is dependencies.Resolution.FAILED:
                reason = (
                    dependencies.DEPENDENCY_FAILED_REASON if SWITCHES.on(behaviours.DEPENDENCY_FAILED_REASON) else None
                )
                finish(self.job, Outcome(succeeded=False, status_reason=reason))
                return False
            time.sleep(STEP_SECONDS)

    # --- RUNNABLE: placement, capacity, blocked reasons, time limits ----------------------------------------------

    def runnable(self) -> bool:
        """True once the job holds capacity in a compute environment; False when it ended meanwhile."""
        with self.state.lock:
            if self.job.job_stopped:
                return False
            self.state.status = RUNNABLE
            self.state.runnable_since = datetime.now()
            self.state.queued = True
        if not SWITCHES.on(behaviours.ATTEMPT_AT_LAUNCH):
            self.open_record(datetime.now())  # moto: the attempt "starts" when the job is RUNNABLE
        try:
            while True:
                with self.state.lock:
                    if self.job.job_stopped:
                        return False
                    if self.job.stop:  # moto's flag: a reset, or a cancel without its behaviour
                        if SWITCHES.on(behaviours.CANCEL_BEFORE_START):
                            finish(self.job, Outcome(succeeded=False, status_reason=self.job.job_stopped_reason))
                            return False
                        scheduler.place_without_bounds(self.job)  # moto starts it anyway, and kills it
                        return True
                    if not SWITCHES.on(behaviours.CAPACITY):
                        scheduler.place_without_bounds(self.job)
                        return True
                    if scheduler.admit(self.job):
                        self.set_blocked(None)
                        return True
                reason = scheduler.blocked_reason(self.job) if SWITCHES.on(behaviours.BLOCKED_REASONS) else None
                self.set_blocked(reason)
                if reason and self.time_limit_reached(reason):
                    return False
                time.sleep(STEP_SECONDS)
        finally:
            self.state.queued = False

    def set_blocked(self, reason: str | None) -> None:
        """A RUNNABLE job's statusReason says why it is not placed (DescribeJobs and ListJobs)."""
        with self.state.lock:
            if self.job.job_stopped:
                return
            if reason != self.state.blocked_reason:
                self.state.blocked_reason = reason
                self.state.blocked_since = time.monotonic() if reason else None
                self.job.job_stopped_reason = reason

    def time_limit_reached(self, reason: str) -> bool:
        """The queue's jobStateTimeLimitActions: CANCEL a job blocked with the action's reason for maxTimeSeconds
        (https://docs.aws.amazon.com/batch/latest/userguide/job_stuck_in_runnable.html). True when it cancelled."""
        since = self.state.blocked_since
        if since is None:
            return False
        for action in moto_adapter.time_limit_actions(self.job.job_queue):
            code = str(action.get("reason") or "")
            if str(action.get("state") or RUNNABLE).upper() != RUNNABLE or not code or not reason.startswith(code):
                continue
            if str(action.get("action") or "CANCEL").upper() != "CANCEL":
                continue
            if time.monotonic() - since >= float(action.get("maxTimeSeconds") or 0) * time_limit_scale():
                finish(self.job, Outcome(succeeded=False, status_reason=TIME_LIMIT_REASON.format(reason=code)))
                return True
        return False

    # --- STARTING and RUNNING: one attempt ------------------------------------------------------------------------

    def attempt(self) -> Outcome | None:
        job, state = self.job, self.state
        with state.lock:
            if job.job_stopped:
                return None
            state.status = STARTING
        destination = job_container.log_destination(job, job_container.new_task_id())
        state.log_group, state.log_stream = destination.group, destination.stream
        client = job.docker_client
        try:
            image = registry.image_for_job(job_container.job_image(job))
            ensure_image(client, image)
        except registry.ImagePullError as err:
            # AWS: the job says "Task failed to start"; the pull error is the attempt's container reason.
            return self.not_started(str(err), status_reason=registry.STATUS_REASON)
        arguments = job_container.launch_arguments(job, image)
        with state.lock:
            if job.job_stopped:
                return None
            try:
                container = client.containers.run(**arguments)
            except Exception as err:  # the engine refused the container (a bad mount, a device it lacks, ...)
                return self.not_started(f"CannotStartContainerError: {err}")
            state.container = container
            started = datetime.now()
            job.job_started_at = started
            live_stream = SWITCHES.on(behaviours.LOG_CONFIGURATION)
            if live_stream:
                job.log_stream_name = destination.stream
            if SWITCHES.on(behaviours.ATTEMPT_AT_LAUNCH):
                self.open_record(started)
            state.status = RUNNING
            stopped_while_starting = state.stop_reason is not None
        log = job_logs.AttemptLog(moto_adapter.log_backend(job), destination.group, destination.stream, container)
        if live_stream:
            log.create_stream()
        if stopped_while_starting:
            attempts.stop_container(container, attempts.stop_grace_seconds())
        return self.watch(container, log, started)

    def not_started(self, reason: str, status_reason: str | None = None) -> Outcome:
        """The attempt failed before its container ran (AWS records it, with the container's reason)."""
        if self.record is None:
            self.open_record(datetime.now())
        return Outcome(succeeded=False, status_reason=status_reason or reason, container_reason=reason)

    def open_record(self, started: datetime) -> None:
        stream = self.state.log_stream if SWITCHES.on(behaviours.LOG_CONFIGURATION) else None
        self.record = attempts.new_record(self.job, started, stream)
        self.job.attempts.append(self.record)
        self.job.latest_attempt = self.record

    def deadline(self, started: datetime) -> float | None:
        seconds = attempts.attempt_duration(self.job)
        if not seconds:
            return None
        counted_from = started
        if not SWITCHES.on(behaviours.ATTEMPT_TIMEOUT) and self.state.runnable_since is not None:
            counted_from = self.state.runnable_since  # moto counts from RUNNABLE
        return counted_from.timestamp() + seconds

    def watch(self, container: Any, log: job_logs.AttemptLog, started: datetime) -> Outcome:
        job, state = self.job, self.state
        deadline = self.deadline(started)
        while True:
            container.reload()
            if container.status != "running":
                break
            if job.stop and state.stop_reason is None:  # moto's flag (a reset, or cancel without its behaviour)
                attempts.stop_attempt(job, job.job_stopped_reason, retryable=False, grace=0)
            if deadline is not None and time.time() >= deadline and state.stop_reason is None:
                if SWITCHES.on(behaviours.ATTEMPT_TIMEOUT):
                    attempts.stop_attempt(job, attempts.TIMEOUT_REASON, retryable=False)
                else:
                    attempts.stop_attempt(job, None, retryable=True, grace=0)
            if SWITCHES.on(behaviours.LIVE_LOGS):
                log.forward()
            time.sleep(STEP_SECONDS)
        log.forward()
        if not SWITCHES.on(behaviours.LOG_CONFIGURATION):
            job.log_stream_name = state.log_stream
        exit_code = int((container.wait() or {}).get("StatusCode", 0))
        out_of_memory = bool((container.attrs.get("State") or {}).get("OOMKilled"))
        remove_container(container)
        with state.lock:
            state.container = None
            stop_reason = state.stop_reason
            if stop_reason is None and job.stop:  # flagged by moto, whatever the container's exit code
                stop_reason = job.job_stopped_reason or ""
        return self.outcome(exit_code, out_of_memory, stop_reason)

    def outcome(self, exit_code: int, out_of_memory: bool, stop_reason: str | None) -> Outcome:
        if stop_reason is not None:
            return Outcome(succeeded=False, status_reason=stop_reason or None, exit_code=exit_code)
        if out_of_memory and SWITCHES.on(behaviours.RESOURCE_LIMITS):
            return Outcome(
                succeeded=False,
                status_reason=attempts.OUT_OF_MEMORY,
                exit_code=attempts.OUT_OF_MEMORY_EXIT_CODE,
                container_reason=attempts.OUT_OF_MEMORY,
            )
        reason = attempts.ESSENTIAL_CONTAINER_EXITED if SWITCHES.on(behaviours.EXIT_REASON) else None
        return Outcome(succeeded=exit_code == 0, status_reason=reason, exit_code=exit_code)

    # --- the attempt ended: retry or end ---------------------------------------------------------------------------

    def retry(self, outcome: Outcome) -> bool:
        """Put a failed job back in the queue (RUNNABLE) for its next attempt, if its retry strategy says so."""
        job, state = self.job, self.state
        if outcome.succeeded:
            return False
        state.container_reason = outcome.container_reason
        if not retries.should_retry(job, outcome.exit_code, outcome.status_reason or ""):
            return False
        with state.lock:
            if job.job_stopped:
                return False
            if self.record is not None:
                attempts.close_record(self.record, outcome, datetime.now())
                self.record = None
            scheduler.release(job)
            state.attempt_number += 1
            state.stop_reason = None
            state.stop_retryable = True
            state.container_reason = None
            job.exit_code = outcome.exit_code
            job.job_stopped_reason = outcome.status_reason
        return True


def ensure_image(client: Any, image: str) -> None:
    """The image must be in the local engine, or in a registry on this machine (pulled from there); nothing is
    ever pulled from elsewhere."""
    import docker.errors

    try:
        client.images.get(image)
        return
    except docker.errors.ImageNotFound:
        pass
    if image.startswith(("127.0.0.1:", "localhost:")):
        try:
            client.images.pull(image)
            return
        except docker.errors.APIError as err:
            raise registry.ImagePullError(f"CannotPullContainerError: {err.explanation or err}") from None
    raise registry.ImagePullError(
        f"CannotPullContainerError: image {image} is not in the local Docker engine (the local emulator pulls from "
        "its own registry only: push the image, or build it locally)"
    )


def remove_container(container: Any) -> None:
    try:
        container.remove(force=True)
    except TypeError:  # a stand-in engine without the force flag
        container.remove()
    except Exception as err:
        logger.debug("could not remove container %s: %s", getattr(container, "id", "?"), err)


# --- the one place a job ends -------------------------------------------------------------------------------------


def finish(job: Any, outcome: Outcome | None = None, *, success: bool = True) -> None:
    """End the job: SUCCEEDED or FAILED with the outcome's reason and exit code; what it held is free again."""
    if outcome is None:
        outcome = Outcome(succeeded=success, status_reason=job.job_stopped_reason)
    state = state_of(job)
    with state.lock:
        if job.job_stopped:
            return
        now = datetime.now()
        latest = job.latest_attempt
        if latest is not None and "stoppedAt" not in latest:
            attempts.close_record(latest, outcome, now)
        if outcome.exit_code is not None:
            job.exit_code = outcome.exit_code
        job.job_stopped_reason = outcome.status_reason
        job.job_stopped_at = now
        job.job_stopped = True
        state.blocked_reason = None
        state.status = SUCCEEDED if outcome.succeeded else FAILED
    scheduler.release(job)


# --- requests from the API and from moto --------------------------------------------------------------------------


def _not_started(job: Any) -> bool:
    state = state_of(job)
    return state.status in NOT_STARTED_STATUSES or (state.status == STARTING and state.container is None)


def cancel(job: Any, reason: str) -> None:
    """CancelJob: a job that has not started fails at once with the reason; a started one runs on, as on AWS
    (https://docs.aws.amazon.com/batch/latest/APIReference/API_CancelJob.html). An array: its children."""
    if moto_adapter.is_array_parent(job):
        _flag_parent(job, reason)
        if SWITCHES.on(behaviours.ARRAY_CANCEL):
            for child in moto_adapter.children_of(job):
                cancel(child, reason)
        return
    with state_of(job).lock:
        if not job.job_stopped and _not_started(job):
            _end_before_start(job, reason)


def terminate(job: Any, reason: str, *, grace: int | None = None) -> None:
    """TerminateJob: as CancelJob for a job that has not started; a running one gets SIGTERM, then SIGKILL after the
    grace period, and fails with the reason (https://docs.aws.amazon.com/batch/latest/APIReference/API_TerminateJob.html)."""
    if moto_adapter.is_array_parent(job):
        _flag_parent(job, reason)
        if SWITCHES.on(behaviours.ARRAY_CANCEL):
            for child in moto_adapter.children_of(job):
                terminate(child, reason, grace=grace)
        return
    with state_of(job).lock:
        if job.job_stopped:
            return
        if _not_started(job):
            _end_before_start(job, reason)
            return
        job.stop = True
        job.job_stopped_reason = reason
    if grace is None:
        grace = attempts.stop_grace_seconds() if SWITCHES.on(behaviours.TERMINATE_GRACE) else 0
    attempts.stop_attempt(job, reason, retryable=False, grace=grace)


def stop_for_shutdown(job: Any, reason: str) -> None:
    """moto's ``Job.terminate``, which only the emulator's shutdown calls: a short grace, then SIGKILL."""
    terminate(job, reason, grace=SHUTDOWN_GRACE_SECONDS)


def _end_before_start(job: Any, reason: str) -> None:
    if SWITCHES.on(behaviours.CANCEL_BEFORE_START):
        finish(job, Outcome(succeeded=False, status_reason=reason))
    else:  # moto: only a flag; the job still starts, and is then killed
        job.stop = True
        job.job_stopped_reason = reason


def _flag_parent(job: Any, reason: str) -> None:
    if not job.stop:
        job.stop = True
        job.job_stopped_reason = reason


# --- what the API reads -------------------------------------------------------------------------------------------


def reported_status(job: Any) -> str | None:
    if moto_adapter.is_array_parent(job):
        if SWITCHES.on(behaviours.ARRAY_PARENT_STATUS):
            return _array_parent_status(job, moto_adapter.children_of(job))
        return moto_adapter.moto_status(job)
    return state_of(job).status


def _array_parent_status(parent: Any, children: list[Any]) -> str:
    """AWS: a parent is SUBMITTED, PENDING once a child is RUNNABLE, then SUCCEEDED if every child succeeded,
    else FAILED once every child has finished."""
    statuses = [state_of(child).status for child in children]
    if all(status in FINAL_STATUSES for status in statuses):
        if not parent.job_stopped:
            started = [child.job_started_at for child in children if child.job_started_at > attempts.NOT_STARTED]
            parent.job_started_at = min(started) if started else parent.job_started_at
            parent.job_stopped_at = max(child.job_stopped_at for child in children)
            parent.job_stopped = True
        return SUCCEEDED if all(status == SUCCEEDED for status in statuses) else FAILED
    if any(status not in (SUBMITTED, PENDING) for status in statuses):
        return PENDING
    return SUBMITTED


def describe(job: Any, described: dict[str, Any]) -> dict[str, Any]:
    """DescribeJobs as AWS answers it: the job's ``container`` carries its exit code."""
    if job.exit_code is not None and "container" in described:
        described["container"] = {**described["container"], "exitCode": job.exit_code}
    return described
