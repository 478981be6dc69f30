"""Whether any compute environment of a queue can ever run a job: vCPUs, memory (less what ECS keeps), GPUs."""

from __future__ import annotations

import pytest

from batchctl.config.instance_types import describe, largest
from batchctl.jobs.capacity import ComputeCapacity, Needs, never_fits

SPOT = ComputeCapacity("demo-cpu-spot", "SPOT", 16, ("m6i.large", "m6i.xlarge"))
FAMILY = ComputeCapacity("demo-any", "EC2", 256, ("m6i",))
OPTIMAL = ComputeCapacity("demo-optimal", "EC2", 256, ("optimal",))
FARGATE = ComputeCapacity("demo-fargate", "FARGATE", 64, ())
GPU = ComputeCapacity("demo-gpu", "EC2", 64, ("g5.xlarge",))


def test_the_ecs_reserve_keeps_a_job_from_asking_for_the_whole_instance() -> None:
    m4_sized = describe("m6i.large")
    assert m4_sized is not None and m4_sized.memory_mib == 8192
    assert m4_sized.job_memory_mib == 7985 - 32  # AWS's m4.large example, less ECS_RESERVED_MEMORY


@pytest.mark.parametrize(
    ("needs", "environments", "expected"),
    [
        (Needs(32, None, 0), [SPOT], "at most 16 vCPUs (max_vcpus), 32 asked"),
        (Needs(2, 16384, 0), [SPOT], "largest instance type m6i.xlarge gives a job 4 vCPUs, 15938 MiB"),
        (Needs(1, 1024, 1), [SPOT], "0 GPU(s)"),
        (Needs(20, None, 0), [FARGATE], "at most 16 vCPUs on Fargate"),
        (Needs(1, 200_000, 0), [FARGATE], "at most 122880 MiB on Fargate"),
        (Needs(1, 2048, 2), [GPU], "1 GPU(s)"),
        (Needs(1, 600_000, 0), [FAMILY], "m6i.32xlarge"),
    ],
)
def test_a_job_that_can_never_run(needs: Needs, environments: list[ComputeCapacity], expected: str) -> None:
    reasons = never_fits(needs, environments)
    assert reasons is not None and expected in reasons[0]


@pytest.mark.parametrize(
    ("needs", "environments"),
    [
        (Needs(4, 15000, 0), [SPOT]),
        (Needs(32, 1024, 0), [SPOT, FAMILY]),  # the second compute environment can
        (Needs(64, 500_000, 0), [FAMILY]),
        (Needs(200, 10**7, 8), [OPTIMAL]),  # unknown sizes: no refusal
        (Needs(16, 120 * 1024, 0), [FARGATE]),
        (Needs(None, None, 0), [SPOT]),
    ],
)
def test_a_job_that_can_run_or_may(needs: Needs, environments: list[ComputeCapacity]) -> None:
    assert never_fits(needs, environments) is None


def test_families_resolve_to_their_largest_size() -> None:
    found = largest("g5")
    assert found is not None and (found.name, found.gpus) == ("g5.48xlarge", 8)
    assert largest("x2iedn") is None
