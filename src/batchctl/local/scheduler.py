"""Compute capacity for emulated jobs: a compute environment's ``maxvCpus`` bounds the vCPUs of its running jobs.

A job that is RUNNABLE waits until a compute environment of its queue has room for its vCPUs. Waiting jobs are
considered in queue-priority order (higher first), then submission order, then array index; each one that fits is
placed in the first compute environment of its queue's order with room (a job that does not fit does not hold back
smaller ones behind it). A placed job holds its vCPUs until its attempt ends. Only a job's own thread (moto's run
loop) takes capacity: reading a job's status from an API call never starts it.

The machine itself can be bounded too: with ``BATCHCTL_LOCAL_MAX_VCPUS=N`` in the emulator's environment, the jobs of
all compute environments together hold at most N vCPUs (a job larger than N still runs, alone). Unset, only
``maxvCpus`` counts: Docker shares the machine's cores between the containers, which then run slower.
"""

from __future__ import annotations

import os
import threading
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from moto.batch.models import ComputeEnvironment, Job
from moto.batch.utils import JobStatus

from batchctl.local.job_state import state_of

MACHINE_VCPUS_ENV = "BATCHCTL_LOCAL_MAX_VCPUS"
DEFAULT_JOB_VCPUS = 1.0
_PLAN_ATTRIBUTE = "_batchctl_capacity_plan"

_lock = threading.RLock()


# --- what a job needs, what an environment offers -----------------------------------------------------------------


def _vcpu_requirement(requirements: list[dict[str, Any]] | None) -> float | None:
    for requirement in requirements or []:
        if str(requirement.get("type", "")).upper() == "VCPU":
            return float(requirement["value"])
    return None


def job_vcpus(job: Job) -> float:
    """The vCPUs a job asks for: submit-time overrides first, then the job definition, as AWS resolves them."""
    overrides = job.container_overrides or {}
    properties = job.job_definition.container_properties or {}
    for source in (overrides, properties):
        from_requirements = _vcpu_requirement(source.get("resourceRequirements"))
        if from_requirements is not None:
            return from_requirements
        if source.get("vcpus"):
            return float(source["vcpus"])
    return DEFAULT_JOB_VCPUS


def max_vcpus(environment: ComputeEnvironment) -> float | None:
    """None when the environment sets no bound (an unmanaged environment)."""
    value = (environment.compute_resources or {}).get("maxvCpus")
    return float(value) if value is not None else None


def machine_vcpus() -> float | None:
    value = os.environ.get(MACHINE_VCPUS_ENV, "").strip()
    return float(value) if value else None


# --- the queue ----------------------------------------------------------------------------------------------------


def waiting_for_capacity(job: Job) -> bool:
    """RUNNABLE, and its own thread is ready to move on (moto advanced it), but not placed yet.

    Reads moto's raw status fields: reading ``status`` would itself try to place the job.
    """
    return (
        job._status == JobStatus.RUNNABLE.value
        and job._tick >= 1
        and not job._child_jobs
        and not job.job_stopped
        and not job.stop
        and state_of(job).placement is None
    )


def _rank(job: Job) -> tuple[int, Any, int]:
    index = job.array_properties.get("index", 0) if "index" in job.array_properties else 0
    return (-int(job.job_queue.priority or 0), job.job_created_at, int(index))


def _enabled(resource: Any) -> bool:
    return str(getattr(resource, "state", "ENABLED")).upper() == "ENABLED"


class _Usage:
    """vCPUs held per compute environment and on the machine, during one placement round."""

    def __init__(self, running: list[Job]) -> None:
        self.by_environment: dict[str, float] = defaultdict(float)
        self.total = 0.0
        for job in running:
            state = state_of(job)
            self.add(state.placement, state.vcpus)

    def add(self, environment: ComputeEnvironment, vcpus: float) -> None:
        self.by_environment[environment.arn] += vcpus
        self.total += vcpus

    def place(self, job: Job, vcpus: float, machine_limit: float | None) -> ComputeEnvironment | None:
        if not _enabled(job.job_queue):
            return None
        if machine_limit is not None and self.total > 0 and self.total + vcpus > machine_limit:
            return None
        for environment in job.job_queue.environments:
            limit = max_vcpus(environment)
            if _enabled(environment) and (limit is None or self.by_environment[environment.arn] + vcpus <= limit):
                return environment
        return None


@dataclass
class _Plan:
    """Which waiting jobs may start, from one pass over the queue; valid until capacity frees or a job joins."""

    considered: set[str] = field(default_factory=set)
    admitted: dict[str, tuple[ComputeEnvironment, float]] = field(default_factory=dict)
    valid: bool = False


def _plan_of(backend: Any) -> _Plan:
    # Kept on the backend: moto's reset clears it along with the jobs.
    plan = getattr(backend, _PLAN_ATTRIBUTE, None)
    if plan is None:
        plan = _Plan()
        setattr(backend, _PLAN_ATTRIBUTE, plan)
    return plan


def _replan(backend: Any, asking: Job) -> _Plan:
    """Place every waiting job in rank order on what the running ones leave."""
    jobs = list(backend._jobs.values())
    usage = _Usage([job for job in jobs if state_of(job).placement is not None])
    waiting = [job for job in jobs if waiting_for_capacity(job)]
    if asking not in waiting:
        waiting.append(asking)
    plan = _Plan(considered={job.job_id for job in waiting}, valid=True)
    machine_limit = machine_vcpus()
    for candidate in sorted(waiting, key=_rank):
        vcpus = job_vcpus(candidate)
        environment = usage.place(candidate, vcpus, machine_limit)
        if environment is not None:
            usage.add(environment, vcpus)
            plan.admitted[candidate.job_id] = (environment, vcpus)
    setattr(backend, _PLAN_ATTRIBUTE, plan)
    return plan


def admit(job: Job) -> bool:
    """True when ``job`` may start now; it then holds its vCPUs in the environment chosen for it.

    ``job`` gets capacity only if what the waiting jobs ranked before it need leaves enough. The plan is recomputed
    only when it may have changed (a job stopped, or one not seen before asks), so polling jobs cost little.
    """
    with _lock:
        state = state_of(job)
        if state.placement is not None:
            return True
        plan = _plan_of(job.backend)
        if not plan.valid or job.job_id not in plan.considered:
            plan = _replan(job.backend, job)
        placement = plan.admitted.pop(job.job_id, None)
        if placement is None:
            return False
        state.placement, state.vcpus = placement
        return True


def release(job: Job) -> None:
    """The job's attempt is over (or the job ended before starting): what it held or was promised is free again."""
    with _lock:
        state = state_of(job)
        state.placement, state.vcpus = None, 0.0
        _plan_of(job.backend).valid = False
