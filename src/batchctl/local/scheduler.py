"""Placement and capacity for emulated jobs, as AWS Batch places RUNNABLE jobs on its compute environments.

- A compute environment's ``maxvCpus`` bounds the vCPUs of its running jobs; a placed job holds its vCPUs until its
  attempt ends. Only a job's own executor thread takes capacity: reading a job's status never starts it.
- Order: queues sharing environments by priority (higher first); within a FIFO queue by submission, then array
  index; within a fair-share queue by share (below). Each job that fits goes to the first environment of its queue's
  order with room; a job that does not fit does not hold back smaller ones behind it (first fit).
- Fair share (https://docs.aws.amazon.com/batch/latest/userguide/fair-share-scheduling.html): the next job is taken
  from the share that uses least, weighted: a share's running vCPUs times its ``weightFactor`` (default 1; a lower
  factor gets more), then higher ``schedulingPriority`` first, then submission order. Approximations: usage counts
  what runs now (``shareDecaySeconds`` as 0), and ``computeReservation`` is not held back.
- Blocked reasons (https://docs.aws.amazon.com/batch/latest/userguide/job_stuck_in_runnable.html): a job that no
  environment of its queue can ever run is RUNNABLE with AWS's MISCONFIGURATION reason; one that fits its
  environment's maxvCpus but not this machine (``BATCHCTL_LOCAL_MAX_VCPUS``, the local stand-in for EC2 running out of
  instances) with the CAPACITY reason. A job waiting for running jobs to free their environment has no reason, as on
  AWS.

The machine itself can be bounded: with ``BATCHCTL_LOCAL_MAX_VCPUS=N`` in the emulator's environment, the jobs of
all compute environments together hold at most N vCPUs (a job larger than N still runs, alone).
"""

from __future__ import annotations

import glob
import os
import threading
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from batchctl.config import instance_types
from batchctl.local import behaviours, moto_adapter
from batchctl.local.job_state import RUNNABLE, SUBMITTED, state_of

MACHINE_VCPUS_ENV = "BATCHCTL_LOCAL_MAX_VCPUS"
MACHINE_GPUS_ENV = "BATCHCTL_LOCAL_GPUS"
DEFAULT_JOB_VCPUS = 1.0
_PLAN_ATTRIBUTE = "_batchctl_capacity_plan"

# AWS's statusReason texts for blocked RUNNABLE jobs (job_stuck_in_runnable_*.html); the part before " - " is the
# reason a jobStateTimeLimitActions entry names.
COMPUTE_ENVIRONMENT_MAX_RESOURCE = (
    "MISCONFIGURATION:COMPUTE_ENVIRONMENT_MAX_RESOURCE - CE(s) associated with the job queue cannot meet the CPU "
    "requirement of the job."
)
JOB_RESOURCE_REQUIREMENT = (
    "MISCONFIGURATION:JOB_RESOURCE_REQUIREMENT - The job resource requirement ({resource}) is higher than that can "
    "be met by the CE(s) attached to the job queue."
)
INSUFFICIENT_INSTANCE_CAPACITY = (
    "CAPACITY:INSUFFICIENT_INSTANCE_CAPACITY - Service cannot fulfill the capacity requested for instance type "
    "[{instance_type}]"
)

_lock = threading.RLock()


# --- what a job needs, what an environment offers -----------------------------------------------------------------


def _requirement(requirements: list[dict[str, Any]] | None, kind: str) -> float | None:
    for requirement in requirements or []:
        if str(requirement.get("type", "")).upper() == kind:
            return float(requirement["value"])
    return None


def _resource(job: Any, kind: str, legacy: str) -> float | None:
    """A job's VCPU, MEMORY or GPU: submit-time overrides first, then the job definition, as AWS resolves them."""
    overrides = job.container_overrides or {}
    properties = job.job_definition.container_properties or {}
    for source in (overrides, properties):
        value = _requirement(source.get("resourceRequirements"), kind)
        if value is not None:
            return value
        if legacy and source.get(legacy):
            return float(source[legacy])
    return None


def job_vcpus(job: Any) -> float:
    return _resource(job, "VCPU", "vcpus") or DEFAULT_JOB_VCPUS


def job_memory_mib(job: Any) -> float | None:
    return _resource(job, "MEMORY", "memory")


def job_gpus(job: Any) -> int:
    return int(_resource(job, "GPU", "") or 0)


def max_vcpus(environment: Any) -> float | None:
    """None when the environment sets no bound (an unmanaged environment)."""
    value = (environment.compute_resources or {}).get("maxvCpus")
    return float(value) if value is not None else None


def largest_instance_memory_mib(environment: Any) -> int | None:
    """The memory of the largest instance type an environment may launch; None when unknown ("optimal", families)."""
    names = (environment.compute_resources or {}).get("instanceTypes") or []
    sizes = [instance_types.describe(str(name)) for name in names]
    if not sizes or any(size is None for size in sizes):
        return None
    return max(size.memory_mib for size in sizes if size is not None)


def machine_vcpus() -> float | None:
    value = os.environ.get(MACHINE_VCPUS_ENV, "").strip()
    return float(value) if value else None


def machine_gpus() -> int:
    """GPUs this machine can give containers: ``BATCHCTL_LOCAL_GPUS``, else the NVIDIA devices present."""
    value = os.environ.get(MACHINE_GPUS_ENV, "").strip()
    if value:
        return int(value)
    return len(glob.glob("/dev/nvidia[0-9]*"))


def _enabled(resource: Any) -> bool:
    return str(getattr(resource, "state", "ENABLED")).upper() == "ENABLED"


def never_placeable_reason(job: Any) -> str | None:
    """AWS's MISCONFIGURATION reason when no environment of the job's queue can ever run it, else None."""
    environments = [environment for environment in job.job_queue.environments if _enabled(environment)]
    if not environments:
        return None
    limits = [max_vcpus(environment) for environment in environments]
    if all(limit is not None and job_vcpus(job) > limit for limit in limits):
        return COMPUTE_ENVIRONMENT_MAX_RESOURCE
    memory = job_memory_mib(job)
    largest = [largest_instance_memory_mib(environment) for environment in environments]
    if memory is not None and all(size is not None and memory > size for size in largest):
        return JOB_RESOURCE_REQUIREMENT.format(resource="memory")
    if job_gpus(job) > machine_gpus():
        return JOB_RESOURCE_REQUIREMENT.format(resource="GPU")
    return None


def _instance_type_name(job: Any) -> str:
    names = (job.job_queue.environments[0].compute_resources or {}).get("instanceTypes") or ["optimal"]
    return str(names[0])


# --- the queue ----------------------------------------------------------------------------------------------------


def waiting_for_capacity(job: Any) -> bool:
    """RUNNABLE and asking for capacity, but not placed yet."""
    state = state_of(job)
    return state.status == RUNNABLE and state.queued and state.placement is None and not job.job_stopped


def about_to_queue(job: Any) -> bool:
    """SUBMITTED without dependencies: RUNNABLE within a step. It keeps its place in the order (submission before
    its later siblings), so a job submitted after it cannot take the capacity first by asking sooner."""
    state = state_of(job)
    return (
        state.status == SUBMITTED
        and not job.depends_on
        and "size" not in job.array_properties  # an array's parent never runs
        and not job.job_stopped
        and not job.stop
    )


def _index(job: Any) -> int:
    return int(job.array_properties.get("index", 0)) if "index" in job.array_properties else 0


@dataclass
class _Shares:
    """A fair-share queue's policy: weight factors by share identifier (a trailing ``*`` matches by prefix)."""

    weights: dict[str, float]

    @classmethod
    def of(cls, queue: Any) -> _Shares | None:
        if not behaviours.SWITCHES.on(behaviours.FAIR_SHARE):
            return None
        policy = moto_adapter.scheduling_policy(queue.backend, queue.schedule_policy)
        if policy is None:
            return None
        distribution = (policy.fairshare_policy or {}).get("shareDistribution") or []
        return cls({str(entry["shareIdentifier"]): float(entry.get("weightFactor") or 1.0) for entry in distribution})

    def weight(self, share: str) -> float:
        if share in self.weights:
            return self.weights[share]
        for identifier, weight in self.weights.items():
            if identifier.endswith("*") and share.startswith(identifier[:-1]):
                return weight
        return 1.0


class _Usage:
    """vCPUs held per compute environment, per fair share and on the machine, during one placement round."""

    def __init__(self, running: list[Any]) -> None:
        self.by_environment: dict[str, float] = defaultdict(float)
        self.by_share: dict[tuple[str, str], float] = defaultdict(float)
        self.total = 0.0
        for job in running:
            state = state_of(job)
            self.add(job, state.placement, state.vcpus)

    def add(self, job: Any, environment: Any, vcpus: float) -> None:
        self.by_environment[environment.arn] += vcpus
        self.by_share[(job.job_queue.arn, state_of(job).share_identifier or "")] += vcpus
        self.total += vcpus

    def environment_for(self, job: Any, vcpus: float) -> Any:
        """The first environment of the job's queue with room for it, without the machine's bound."""
        for environment in job.job_queue.environments:
            limit = max_vcpus(environment)
            if _enabled(environment) and (limit is None or self.by_environment[environment.arn] + vcpus <= limit):
                return environment
        return None

    def machine_full(self, vcpus: float, machine_limit: float | None) -> bool:
        return machine_limit is not None and self.total > 0 and self.total + vcpus > machine_limit


def _rank(job: Any, usage: _Usage, shares: dict[str, _Shares | None]) -> tuple[Any, ...]:
    state = state_of(job)
    queue = job.job_queue
    policy = shares.get(queue.arn)
    fair = 0.0
    priority = 0
    if policy is not None:
        share = state.share_identifier or ""
        fair = usage.by_share[(queue.arn, share)] * policy.weight(share)
        priority = -state.scheduling_priority
    return (-int(queue.priority or 0), fair, priority, job.job_created_at, _index(job))


@dataclass
class _Plan:
    """Which waiting jobs may start, from one pass over the queue; valid until capacity frees or a job joins."""

    considered: set[str] = field(default_factory=set)
    admitted: dict[str, tuple[Any, float]] = field(default_factory=dict)
    capacity_blocked: set[str] = field(default_factory=set)
    order: list[str] = field(default_factory=list)  # every waiting job, in the order it was considered
    valid: bool = False


def _plan_of(backend: Any) -> _Plan:
    # Kept on the backend: moto's reset clears it along with the jobs.
    plan = getattr(backend, _PLAN_ATTRIBUTE, None)
    if plan is None:
        plan = _Plan()
        setattr(backend, _PLAN_ATTRIBUTE, plan)
    return plan


def _replan(backend: Any, asking: Any) -> _Plan:
    """Place every waiting job in rank order on what the running ones leave."""
    jobs = moto_adapter.jobs_of(backend)
    usage = _Usage([job for job in jobs if state_of(job).placement is not None])
    waiting = [job for job in jobs if waiting_for_capacity(job) or about_to_queue(job)]
    if asking is not None and asking not in waiting:
        waiting.append(asking)
    plan = _Plan(considered={job.job_id for job in waiting}, valid=True)
    shares = {job.job_queue.arn: _Shares.of(job.job_queue) for job in waiting}
    machine_limit = machine_vcpus()
    remaining = list(waiting)
    while remaining:
        candidate = min(remaining, key=lambda job: _rank(job, usage, shares))
        remaining.remove(candidate)
        plan.order.append(candidate.job_id)
        if not _enabled(candidate.job_queue) or never_placeable_reason(candidate):
            continue
        vcpus = job_vcpus(candidate)
        environment = usage.environment_for(candidate, vcpus)
        if environment is None:
            continue
        if usage.machine_full(vcpus, machine_limit):
            plan.capacity_blocked.add(candidate.job_id)
            continue
        usage.add(candidate, environment, vcpus)
        plan.admitted[candidate.job_id] = (environment, vcpus)
    setattr(backend, _PLAN_ATTRIBUTE, plan)
    return plan


def admit(job: Any) -> bool:
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


def place_without_bounds(job: Any) -> None:
    """Capacity off (moto's behaviour): the job starts in its queue's first environment whatever runs there."""
    state = state_of(job)
    environments = job.job_queue.environments
    state.placement, state.vcpus = (environments[0] if environments else None), 0.0


def blocked_reason(job: Any) -> str | None:
    """Why a waiting job is not placed, in AWS's words; None while it only waits its turn."""
    reason = never_placeable_reason(job)
    if reason:
        return reason
    with _lock:
        if job.job_id in _plan_of(job.backend).capacity_blocked:
            return INSUFFICIENT_INSTANCE_CAPACITY.format(instance_type=_instance_type_name(job))
    return None


def placement_order(backend: Any) -> list[str]:
    """The ids of the waiting jobs in the order the scheduler considers them."""
    with _lock:
        return list(_replan(backend, None).order)


def release(job: Any) -> None:
    """The job's attempt is over (or the job ended before starting): what it held or was promised is free again."""
    with _lock:
        state = state_of(job)
        state.placement, state.vcpus = None, 0.0
        _plan_of(job.backend).valid = False
