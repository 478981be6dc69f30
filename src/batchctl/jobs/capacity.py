"""Can any compute environment of a queue ever run a job of this size? (vCPUs, memory, GPUs)

A job no compute environment of its queue can place stays RUNNABLE forever (AWS Batch reports
MISCONFIGURATION:COMPUTE_ENVIRONMENT_MAX_RESOURCE or MISCONFIGURATION:JOB_RESOURCE_REQUIREMENT):
https://docs.aws.amazon.com/batch/latest/userguide/job_stuck_in_runnable.html
A job must fit one instance: its vCPUs within the compute environment's maxvCpus and the largest instance type
it may launch, its memory within what that instance gives jobs (instance_types.py), its GPUs on it too.
Fargate tasks have at most 16 vCPUs and 120 GiB, and no GPUs:
https://docs.aws.amazon.com/batch/latest/userguide/fargate.html
"""

from __future__ import annotations

from dataclasses import dataclass

from batchctl.config import instance_types

FARGATE_MAX_VCPUS = 16.0
FARGATE_MAX_MEMORY_MIB = 120 * 1024
FARGATE_TYPES = ("FARGATE", "FARGATE_SPOT")


@dataclass(frozen=True)
class Needs:
    vcpus: float | None
    memory_mib: int | None
    gpus: int


@dataclass(frozen=True)
class ComputeCapacity:
    name: str
    type: str  # EC2, SPOT, FARGATE, FARGATE_SPOT
    max_vcpus: float
    instance_types: tuple[str, ...]

    def shortfall(self, needs: Needs) -> str | None:
        """Why this compute environment can never run the job, or None if it can (or cannot tell)."""
        if self.type in FARGATE_TYPES:
            return _first(
                _over("vCPUs", needs.vcpus, min(self.max_vcpus, FARGATE_MAX_VCPUS), "on Fargate"),
                _over("MiB", needs.memory_mib, FARGATE_MAX_MEMORY_MIB, "on Fargate"),
                f"{needs.gpus} GPU(s) asked, Fargate has none" if needs.gpus else None,
            )
        if needs.vcpus is not None and needs.vcpus > self.max_vcpus:
            return f"at most {self.max_vcpus:g} vCPUs (max_vcpus), {needs.vcpus:g} asked"
        sizes = [instance_types.largest(name) for name in self.instance_types]
        if not sizes or any(size is None for size in sizes):
            return None  # "optimal" or a type the table does not know: it may be large enough
        known = [size for size in sizes if size is not None]
        if any(_fits(size, needs) for size in known):
            return None
        biggest = max(known, key=lambda size: (size.gpus, size.job_memory_mib, size.vcpus))
        return (
            f"its largest instance type {biggest.name} gives a job {biggest.vcpus} vCPUs, "
            f"{biggest.job_memory_mib} MiB and {biggest.gpus} GPU(s); asked: {_describe(needs)}"
        )


def _fits(size: instance_types.InstanceType, needs: Needs) -> bool:
    return (
        (needs.vcpus is None or needs.vcpus <= size.vcpus)
        and (needs.memory_mib is None or needs.memory_mib <= size.job_memory_mib)
        and needs.gpus <= size.gpus
    )


def _over(unit: str, asked: float | None, most: float, where: str) -> str | None:
    if asked is not None and asked > most:
        return f"at most {most:g} {unit} {where}, {asked:g} asked"
    return None


def _first(*reasons: str | None) -> str | None:
    return next((reason for reason in reasons if reason), None)


def _describe(needs: Needs) -> str:
    parts = []
    if needs.vcpus is not None:
        parts.append(f"{needs.vcpus:g} vCPUs")
    if needs.memory_mib is not None:
        parts.append(f"{needs.memory_mib} MiB")
    parts.append(f"{needs.gpus} GPU(s)")
    return ", ".join(parts)


def never_fits(needs: Needs, environments: list[ComputeCapacity]) -> list[str] | None:
    """One reason per compute environment when none can ever run the job; None when one can (or may)."""
    reasons = [(environment.name, environment.shortfall(needs)) for environment in environments]
    if not environments or any(reason is None for _, reason in reasons):
        return None
    return [f"{name}: {reason}" for name, reason in reasons]
