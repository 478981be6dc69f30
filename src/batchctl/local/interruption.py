"""Spot interruptions, simulated: the host of a running job is reclaimed.

On AWS a reclaimed Spot instance takes its containers with it and the attempt fails with the status reason
``Host EC2 (instance i-...) terminated.``; retry strategies match that reason (``onStatusReason: "Host EC2*"``) to
retry such attempts and not the job's own failures. The emulator does the same to one running job on request: its
container gets SIGTERM (SIGKILL after the grace period) and the attempt fails with that reason, retryable.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from batchctl.local import attempts, moto_adapter
from batchctl.local.job_state import RUNNING, state_of


class InterruptionError(Exception):
    """Why a job cannot be interrupted; ``str()`` is one line."""


class JobNotFoundError(InterruptionError):
    pass


class JobNotRunningError(InterruptionError):
    pass


@dataclass(frozen=True)
class Interruption:
    job_id: str
    status_reason: str


def host_terminated_reason() -> str:
    """AWS's status reason for an attempt whose instance went away, with an instance id of AWS's form."""
    return f"Host EC2 (instance i-{secrets.token_hex(9)[:17]}) terminated."


def interrupt(job_id: str) -> Interruption:
    """Reclaim the host of running job ``job_id`` (an array child is ``<array id>:<index>``)."""
    job = moto_adapter.find_job(job_id)
    if job is None:
        raise JobNotFoundError(f"job {job_id} not found in the local emulator")
    if moto_adapter.is_array_parent(job):
        raise JobNotRunningError(f"job {job_id} is an array job: interrupt one of its children (<id>:<index>)")
    state = state_of(job)
    if state.status != RUNNING or state.container is None:
        raise JobNotRunningError(
            f"job {job_id} is {job.status}, not RUNNING: only a running job's host can be reclaimed"
        )
    reason = host_terminated_reason()
    if not attempts.stop_attempt(job, reason, retryable=True):
        raise JobNotRunningError(f"job {job_id} is already being stopped")
    return Interruption(job_id=job_id, status_reason=reason)
