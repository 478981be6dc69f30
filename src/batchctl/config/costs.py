"""The network's fixed monthly cost, so that NAT versus endpoints is visible before deploying.

Prices are on-demand list prices in us-east-1 (USD), taken from the AWS pricing pages on the date
below; other regions differ by a few percent. Only costs that run whether or not a job runs are
counted: per-GB processing and compute are usage, not fixed cost.
"""

from __future__ import annotations

from dataclasses import dataclass

from batchctl.config.models import ClusterConfig, Egress, NatGatewayLayout

PRICES_AS_OF = "2026-11-01"
HOURS_PER_MONTH = 730

# USD per hour.
NAT_GATEWAY_HOUR = 0.045
INTERFACE_ENDPOINT_HOUR_PER_ZONE = 0.01
PUBLIC_IPV4_HOUR = 0.005
NAT_INSTANCE_HOUR = {"t3.nano": 0.0052, "t3.micro": 0.0104, "t3.small": 0.0208, "t4g.nano": 0.0042}
# The interface endpoints the stack creates (see infra/endpoints.py); S3 is a free gateway endpoint.
INTERFACE_ENDPOINTS = ("ecr.api", "ecr.dkr", "ecs", "ecs-agent", "ecs-telemetry", "logs")


@dataclass(frozen=True)
class CostLine:
    item: str
    count: int
    monthly_usd: float


def zone_count(config: ClusterConfig) -> int:
    zones = config.network.availability_zones
    return zones if isinstance(zones, int) else len(zones)


def network_fixed_costs(config: ClusterConfig) -> list[CostLine]:
    network = config.network
    zones = zone_count(config)
    lines: list[CostLine] = []
    if network.egress == Egress.NAT_INSTANCE:
        hourly = NAT_INSTANCE_HOUR.get(network.nat_instance_type)
        label = f"NAT instance {network.nat_instance_type}" + ("" if hourly else " (price unknown, t3.nano shown)")
        lines.append(_line(label, zones, hourly or NAT_INSTANCE_HOUR["t3.nano"]))
        lines.append(_line("public IPv4 address (NAT instance)", zones, PUBLIC_IPV4_HOUR))
    elif network.egress == Egress.NAT_GATEWAY:
        gateways = 1 if network.nat_gateways == NatGatewayLayout.SINGLE else zones
        lines.append(_line("NAT gateway (+ $0.045/GB processed)", gateways, NAT_GATEWAY_HOUR))
        lines.append(_line("public IPv4 address (NAT gateway)", gateways, PUBLIC_IPV4_HOUR))
    if network.endpoints:
        count = len(INTERFACE_ENDPOINTS) * zones
        lines.append(
            _line(
                f"interface endpoints ({len(INTERFACE_ENDPOINTS)} x {zones} zones)",
                count,
                INTERFACE_ENDPOINT_HOUR_PER_ZONE,
            )
        )
        lines.append(CostLine("S3 gateway endpoint", 1, 0.0))
    return lines


def _line(item: str, count: int, hourly: float) -> CostLine:
    return CostLine(item, count, round(count * hourly * HOURS_PER_MONTH, 2))


def total(lines: list[CostLine]) -> float:
    return round(sum(line.monthly_usd for line in lines), 2)
