"""The VPC's address plan: one public and one private subnet per zone, without overlaps.

Pure functions (no CDK) so that configuration checks can ask the same questions the stack does.

Layout: the VPC is cut into `slots` equal blocks. Zone i's private subnet is block i; the last
block is cut again into `slots` pieces, and zone i's public subnet is piece i (public subnets only
hold NAT instances or gateways). `slots` is at least 4, so growing a cluster from one zone to two or
three keeps every existing subnet's CIDR: a renumbered subnet would be replaced, and with it every
compute environment using it.
"""

from __future__ import annotations

from dataclasses import dataclass
from ipaddress import IPv4Network

MIN_SLOTS = 4
# AWS sizes: a VPC is at most a /16; a subnet is at least a /28.
LARGEST_VPC_PREFIX = 16
SMALLEST_SUBNET_PREFIX = 28


class CidrPlanError(ValueError):
    """The VPC CIDR cannot hold the requested zones."""


@dataclass(frozen=True)
class ZoneSubnets:
    zone_index: int
    public: str
    private: str


def slot_count(zone_count: int) -> int:
    """Blocks the VPC is cut into: a power of two with room for every private subnet plus the public block."""
    if zone_count < 1:
        raise CidrPlanError("at least one zone is needed")
    slots = MIN_SLOTS
    while slots < zone_count + 1:
        slots *= 2
    return slots


def _slot_bits(zone_count: int) -> int:
    return slot_count(zone_count).bit_length() - 1


def private_prefix_length(vpc_prefix_length: int, zone_count: int) -> int:
    return vpc_prefix_length + _slot_bits(zone_count)


def public_prefix_length(vpc_prefix_length: int, zone_count: int) -> int:
    return vpc_prefix_length + 2 * _slot_bits(zone_count)


def smallest_vpc_prefix_length(zone_count: int) -> int:
    """The prefix length of the smallest VPC that holds `zone_count` zones (22 means /22 or larger)."""
    return SMALLEST_SUBNET_PREFIX - 2 * _slot_bits(zone_count)


def plan_subnets(vpc_cidr: str, zone_count: int) -> list[ZoneSubnets]:
    """Public and private subnet CIDRs of each zone, in zone order."""
    vpc = IPv4Network(vpc_cidr, strict=True)
    if vpc.prefixlen < LARGEST_VPC_PREFIX:
        raise CidrPlanError(f"{vpc_cidr} is larger than the /16 AWS allows for a VPC")
    smallest = smallest_vpc_prefix_length(zone_count)
    if vpc.prefixlen > smallest:
        raise CidrPlanError(f"{vpc_cidr} is too small for {zone_count} zone(s): use a /{smallest} or larger VPC CIDR")
    slots = list(vpc.subnets(new_prefix=private_prefix_length(vpc.prefixlen, zone_count)))
    public_pieces = list(slots[-1].subnets(new_prefix=public_prefix_length(vpc.prefixlen, zone_count)))
    return [
        ZoneSubnets(zone_index=index, public=str(public_pieces[index]), private=str(slots[index]))
        for index in range(zone_count)
    ]
