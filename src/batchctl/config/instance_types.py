"""What batchctl knows of EC2 instance types without asking AWS: memory, vCPUs, GPUs.

A small table on purpose: it serves config checks ("this job cannot fit anywhere"), so an
unknown type or a bare family ("m6i", "optimal") means "unknown" and no check is made.
Figures from the EC2 instance type pages, 2026-11.
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


@dataclass(frozen=True)
class InstanceType:
    name: str
    vcpus: int
    memory_mib: int


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
        return InstanceType(instance_type, gpu_vcpus, _GPU_TYPES_MIB[instance_type])
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
