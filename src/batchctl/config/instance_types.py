"""What batchctl knows of EC2 instance types without asking AWS: memory, vCPUs, GPUs.

A small table on purpose: it serves config checks and the submit preflight ("this job cannot fit anywhere"),
so an unknown type or family ("optimal", "x2iedn") means "unknown" and no check is made.
Figures from the EC2 instance type pages (https://docs.aws.amazon.com/ec2/latest/instancetypes/), 2026-11.

Not all of an instance's memory reaches jobs: the kernel and platform keep some (an m4.large with 8192 MiB
installed registers 7985 MiB) and the ECS agent of the Batch AMI reserves 32 MiB more (ECS_RESERVED_MEMORY).
https://docs.aws.amazon.com/batch/latest/userguide/memory-management.html
https://docs.aws.amazon.com/batch/latest/userguide/ecs-reserved-memory.html
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# GiB of memory per vCPU by family class letter, for the general-purpose families.
_GIB_PER_VCPU = {"m": 4, "c": 2, "r": 8}
_SIZE_VCPUS = {"medium": 1, "large": 2, "xlarge": 4}
GPU_FAMILIES = ("p2", "p3", "p4d", "p4de", "p5", "p5e", "g3", "g4dn", "g5", "g5g", "g6", "g6e", "gr6", "g4ad")
# Sizes of GPU types whose memory does not follow a per-vCPU rule.
_GPU_TYPES_MIB = {
    "g4dn.xlarge": 16384, "g4dn.2xlarge": 32768, "g4dn.4xlarge": 65536, "g4dn.8xlarge": 131072,
    "g4dn.12xlarge": 196608, "g4dn.16xlarge": 262144,
    "g5.xlarge": 16384, "g5.2xlarge": 32768, "g5.4xlarge": 65536, "g5.8xlarge": 131072,
    "g5.12xlarge": 196608, "g5.16xlarge": 262144, "g5.24xlarge": 393216, "g5.48xlarge": 786432,
    "p3.2xlarge": 62464, "p3.8xlarge": 249856, "p3.16xlarge": 499712,
}  # fmt: skip


# GPUs per GPU instance type (the ones whose size is in _GPU_TYPES_MIB).
_GPUS = {
    "g4dn.xlarge": 1, "g4dn.2xlarge": 1, "g4dn.4xlarge": 1, "g4dn.8xlarge": 1, "g4dn.12xlarge": 4, "g4dn.16xlarge": 1,
    "g5.xlarge": 1, "g5.2xlarge": 1, "g5.4xlarge": 1, "g5.8xlarge": 1, "g5.12xlarge": 4, "g5.16xlarge": 1,
    "g5.24xlarge": 4, "g5.48xlarge": 8,
    "p3.2xlarge": 1, "p3.8xlarge": 4, "p3.16xlarge": 8,
}  # fmt: skip
# The largest size of a family, for compute environments that list a family (Batch may pick any size of it).
_LARGEST_IN_FAMILY = {
    "m5": "m5.24xlarge", "c5": "c5.24xlarge", "r5": "r5.24xlarge",
    "m6i": "m6i.32xlarge", "c6i": "c6i.32xlarge", "r6i": "r6i.32xlarge",
    "m7i": "m7i.48xlarge", "c7i": "c7i.48xlarge", "r7i": "r7i.48xlarge",
    "g4dn": "g4dn.12xlarge", "g5": "g5.48xlarge", "p3": "p3.16xlarge",
}  # fmt: skip
# What the OS of an m4.large reports of its 8192 MiB (the AWS example above), applied to every type.
_REGISTERED_FRACTION = 7985 / 8192
ECS_RESERVED_MEMORY_MIB = 32


@dataclass(frozen=True)
class InstanceType:
    name: str
    vcpus: int
    memory_mib: int
    gpus: int = 0

    @property
    def job_memory_mib(self) -> int:
        """Memory a job can ask for on this type: what the ECS agent registers, less its reserve."""
        return int(self.memory_mib * _REGISTERED_FRACTION) - ECS_RESERVED_MEMORY_MIB


def largest(instance_type_or_family: str) -> InstanceType | None:
    """The largest instance a compute environment entry can launch: the type itself, or a family's largest."""
    if "." in instance_type_or_family:
        return describe(instance_type_or_family)
    largest_type = _LARGEST_IN_FAMILY.get(instance_type_or_family)
    return describe(largest_type) if largest_type else None


def family(instance_type: str) -> str:
    return instance_type.split(".", 1)[0]


def is_gpu(instance_type: str) -> bool:
    return family(instance_type) in GPU_FAMILIES


def describe(instance_type: str) -> InstanceType | None:
    """Size of an explicit instance type such as "m6i.2xlarge"; None for families or unknown types."""
    if "." not in instance_type:
        return None
    if instance_type in _GPU_TYPES_MIB:
        gpu_vcpus = _vcpus(instance_type.split(".", 1)[1]) or 0
        return InstanceType(instance_type, gpu_vcpus, _GPU_TYPES_MIB[instance_type], _GPUS[instance_type])
    match = re.fullmatch(r"([mcr])(\d+)([a-z]*)\.(\w+)", instance_type)
    if not match:
        return None
    vcpus = _vcpus(match.group(4))
    if vcpus is None:
        return None
    return InstanceType(instance_type, vcpus, vcpus * _GIB_PER_VCPU[match.group(1)] * 1024)


def _vcpus(size: str) -> int | None:
    if size in _SIZE_VCPUS:
        return _SIZE_VCPUS[size]
    match = re.fullmatch(r"(\d+)xlarge", size)
    return int(match.group(1)) * 4 if match else None
