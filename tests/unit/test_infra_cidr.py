"""The VPC address plan: no overlaps, inside the VPC, stable as zones are added, honest about small VPCs."""

from __future__ import annotations

from ipaddress import IPv4Network
from itertools import combinations

import pytest

from batchctl.infra.cidr import CidrPlanError, plan_subnets, smallest_vpc_prefix_length


def _networks(vpc_cidr: str, zones: int) -> list[IPv4Network]:
    return [IPv4Network(cidr) for zone in plan_subnets(vpc_cidr, zones) for cidr in (zone.public, zone.private)]


FITTING = [
    (vpc_cidr, zones)
    for vpc_cidr in ("10.0.0.0/16", "172.16.0.0/20", "10.1.4.0/22", "10.1.2.0/24")
    for zones in range(1, 7)
    if IPv4Network(vpc_cidr).prefixlen <= smallest_vpc_prefix_length(zones)
]


@pytest.mark.parametrize(("vpc_cidr", "zones"), FITTING)
def test_subnets_lie_inside_the_vpc_and_never_overlap(vpc_cidr: str, zones: int) -> None:
    vpc = IPv4Network(vpc_cidr)
    networks = _networks(vpc_cidr, zones)
    assert len(networks) == 2 * zones
    assert all(network.subnet_of(vpc) for network in networks)
    assert not [(a, b) for a, b in combinations(networks, 2) if a.overlaps(b)]
    assert all(16 <= network.prefixlen <= 28 for network in networks)


def test_demo_plan() -> None:
    (zone,) = plan_subnets("10.0.0.0/16", 1)
    assert (zone.zone_index, zone.private, zone.public) == (0, "10.0.0.0/18", "10.0.192.0/20")


def test_three_zones_in_a_slash_24() -> None:
    assert [(zone.private, zone.public) for zone in plan_subnets("10.1.2.0/24", 3)] == [
        ("10.1.2.0/26", "10.1.2.192/28"),
        ("10.1.2.64/26", "10.1.2.208/28"),
        ("10.1.2.128/26", "10.1.2.224/28"),
    ]


def test_private_subnets_are_the_large_ones() -> None:
    for zone in plan_subnets("10.0.0.0/16", 6):
        assert IPv4Network(zone.private).num_addresses == 8 * IPv4Network(zone.public).num_addresses


@pytest.mark.parametrize(("before", "after"), [(1, 2), (1, 3), (2, 3), (4, 6)])
def test_adding_zones_keeps_the_existing_subnets(before: int, after: int) -> None:
    assert plan_subnets("10.0.0.0/16", after)[:before] == plan_subnets("10.0.0.0/16", before)


def test_growing_past_three_zones_renumbers() -> None:
    # Documented: the plan switches from 4 to 8 blocks; existing subnets change.
    assert plan_subnets("10.0.0.0/16", 4)[0] != plan_subnets("10.0.0.0/16", 3)[0]


@pytest.mark.parametrize(("zones", "prefix"), [(1, 24), (2, 24), (3, 24), (4, 22), (5, 22), (6, 22), (7, 22), (8, 20)])
def test_smallest_vpc_prefix_length(zones: int, prefix: int) -> None:
    assert smallest_vpc_prefix_length(zones) == prefix
    plan_subnets(f"10.0.0.0/{prefix}", zones)  # fits exactly
    with pytest.raises(CidrPlanError, match=f"use a /{prefix} or larger"):
        plan_subnets(f"10.0.0.0/{prefix + 1}", zones)


def test_rejects_a_vpc_larger_than_aws_allows() -> None:
    with pytest.raises(CidrPlanError, match="larger than the /16"):
        plan_subnets("10.0.0.0/15", 1)


def test_rejects_zero_zones() -> None:
    with pytest.raises(CidrPlanError):
        plan_subnets("10.0.0.0/16", 0)
