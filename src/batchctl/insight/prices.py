"""A dated, region-aware price table for cost estimates (Linux, on-demand, USD), and the cost of one job.

Prices of 2026-11-01 from https://aws.amazon.com/ec2/pricing/on-demand/ and https://aws.amazon.com/fargate/pricing/.
Within the families below the price grows with the size exactly as the vCPUs do (an m6i.2xlarge costs four
m6i.large), so one price per family's `large` (2 vCPUs) gives every size. Other regions: the ratio of their
m6i.large price to us-east-1's, applied to every type (an estimate; real ratios differ by a few percent).

Spot: a stated discount off on-demand (Spot prices move; https://aws.amazon.com/ec2/spot/pricing/ shows the day's).
Fargate bills vCPU-hours and GB-hours per second, with a one-minute minimum; Fargate Spot at a stated discount.

The cost of a job on EC2 or Spot is the instance's hourly price times the job's hours times its share of the
instance: the larger of its vCPU share and its memory share (what it keeps others from using). The instance is
taken to be the smallest allowed type the job fits (the one Batch's best-fit strategies would pick first).
"""

from __future__ import annotations

from dataclasses import dataclass

from batchctl.config import instance_types

PRICE_DATE = "2026-11-01"
CURRENCY = "USD"
# Hourly price of <family>.large (2 vCPUs) in us-east-1; sizes scale with their vCPUs.
LARGE_PRICE_US_EAST_1 = {
    "m5": 0.096, "c5": 0.085, "r5": 0.126,
    "m6i": 0.096, "c6i": 0.085, "r6i": 0.126,
    "m7i": 0.1008, "c7i": 0.08925, "r7i": 0.1323,
}  # fmt: skip
# GPU types priced one by one (us-east-1).
TYPE_PRICE_US_EAST_1 = {
    "g4dn.xlarge": 0.526, "g4dn.2xlarge": 0.752, "g4dn.4xlarge": 1.204, "g4dn.8xlarge": 2.176,
    "g4dn.12xlarge": 3.912, "g4dn.16xlarge": 4.352,
    "g5.xlarge": 1.006, "g5.2xlarge": 1.212, "g5.4xlarge": 1.624, "g5.8xlarge": 2.448,
    "g5.12xlarge": 5.672, "g5.16xlarge": 4.096, "g5.24xlarge": 8.144, "g5.48xlarge": 16.288,
    "p3.2xlarge": 3.06, "p3.8xlarge": 12.24, "p3.16xlarge": 24.48,
}  # fmt: skip
# m6i.large in the region / in us-east-1 (0.096).
REGION_FACTOR = {
    "us-east-1": 1.0, "us-east-2": 1.0, "us-west-2": 1.0, "us-west-1": 1.167,
    "ca-central-1": 1.115, "eu-west-1": 1.115, "eu-west-2": 1.156, "eu-west-3": 1.167, "eu-central-1": 1.198,
    "eu-north-1": 1.063, "ap-southeast-1": 1.25, "ap-southeast-2": 1.25, "ap-northeast-1": 1.292,
    "ap-south-1": 1.053, "sa-east-1": 1.594,
}  # fmt: skip
SPOT_DISCOUNT = 0.65  # Spot taken at 35% of on-demand
FARGATE_VCPU_HOUR = 0.04048
FARGATE_GB_HOUR = 0.004445
FARGATE_SPOT_DISCOUNT = 0.70
FARGATE_MINIMUM_SECONDS = 60
DEFAULT_TYPES = ("m6i", "c6i", "r6i")  # batchctl's default instance_types, for "optimal" and unknown entries


@dataclass(frozen=True)
class Estimate:
    usd: float
    basis: str  # how it was computed, e.g. "m6i.large SPOT, vCPU share 0.50"


def on_demand_hourly(instance_type: str, region: str) -> float | None:
    factor = REGION_FACTOR.get(region)
    if factor is None:
        return None
    if instance_type in TYPE_PRICE_US_EAST_1:
        return TYPE_PRICE_US_EAST_1[instance_type] * factor
    size = instance_types.describe(instance_type)
    large = LARGE_PRICE_US_EAST_1.get(instance_types.family(instance_type))
    if size is None or large is None:
        return None
    return large * size.vcpus / 2 * factor


def smallest_fitting(vcpus: float, memory_mib: int, allowed: tuple[str, ...]) -> instance_types.InstanceType | None:
    """The cheapest-per-hour allowed type the job fits (families expand to their sizes from large up)."""
    candidates: list[instance_types.InstanceType] = []
    for entry in [item for item in allowed if item != "optimal"] or list(DEFAULT_TYPES):
        names = [entry] if "." in entry else [f"{entry}.{size}" for size in _SIZES]
        for name in names:
            size = instance_types.describe(name)
            if size is not None and size.vcpus >= vcpus and size.job_memory_mib >= memory_mib:
                candidates.append(size)
    priced = [(on_demand_hourly(size.name, "us-east-1") or float("inf"), size) for size in candidates]
    return min(priced, key=lambda item: item[0])[1] if priced else None


_SIZES = ("large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge", "24xlarge", "32xlarge")


def ec2_cost(
    vcpus: float, memory_mib: int, seconds: float, allowed: tuple[str, ...], region: str, spot: bool
) -> Estimate | None:
    size = smallest_fitting(vcpus, memory_mib, allowed)
    if size is None:
        return None
    hourly = on_demand_hourly(size.name, region)
    if hourly is None:
        return None
    share = max(vcpus / size.vcpus, memory_mib / size.job_memory_mib)
    price = hourly * (1 - SPOT_DISCOUNT) if spot else hourly
    kind = "SPOT" if spot else "EC2"
    return Estimate(price * seconds / 3600 * share, f"{size.name} {kind} ${price:.4f}/h, share {share:.2f}")


def fargate_cost(vcpus: float, memory_mib: int, seconds: float, region: str, spot: bool) -> Estimate | None:
    factor = REGION_FACTOR.get(region)
    if factor is None:
        return None
    hours = max(seconds, FARGATE_MINIMUM_SECONDS) / 3600
    hourly = (vcpus * FARGATE_VCPU_HOUR + memory_mib / 1024 * FARGATE_GB_HOUR) * factor
    if spot:
        hourly *= 1 - FARGATE_SPOT_DISCOUNT
    return Estimate(hourly * hours, f"{'FARGATE_SPOT' if spot else 'FARGATE'} ${hourly:.5f}/h")


def job_cost(
    environment_type: str,
    vcpus: float,
    memory_mib: int,
    seconds: float,
    allowed: tuple[str, ...],
    region: str,
) -> Estimate | None:
    """The estimated cost of one job on a compute environment of `environment_type` (EC2, SPOT, FARGATE, ...)."""
    if environment_type in ("FARGATE", "FARGATE_SPOT"):
        return fargate_cost(vcpus, memory_mib, seconds, region, environment_type == "FARGATE_SPOT")
    return ec2_cost(vcpus, memory_mib, seconds, allowed, region, environment_type == "SPOT")
