"""The fixed monthly cost of the network, from the dated price table."""

from __future__ import annotations

from typing import Any

import pytest
from tests.helpers import DEMO_CONFIG

from batchctl.config import ClusterConfig
from batchctl.config.costs import HOURS_PER_MONTH, network_fixed_costs, total


def _cost(network: dict[str, Any]) -> float:
    return total(network_fixed_costs(ClusterConfig.model_validate({**DEMO_CONFIG, "network": network})))


def test_demo_nat_instance_is_a_few_dollars() -> None:
    assert _cost({}) == round((0.0052 + 0.005) * HOURS_PER_MONTH, 2)


def test_nat_instances_scale_with_zones() -> None:
    assert _cost({"availability_zones": 3}) == pytest.approx(3 * _cost({}), abs=0.02)


def test_single_nat_gateway_versus_one_per_zone() -> None:
    single = _cost({"availability_zones": 3, "egress": "nat-gateway", "nat_gateways": "single"})
    per_zone = _cost({"availability_zones": 3, "egress": "nat-gateway"})
    assert single == round(0.05 * HOURS_PER_MONTH, 2)
    assert per_zone == pytest.approx(3 * single, abs=0.02)


def test_endpoints_cost_per_endpoint_and_zone() -> None:
    lines = network_fixed_costs(
        ClusterConfig.model_validate(
            {**DEMO_CONFIG, "network": {"availability_zones": 2, "egress": "none", "endpoints": True}}
        )
    )
    interface = next(line for line in lines if line.item.startswith("interface endpoints"))
    assert interface.count == 12  # 6 endpoints (ECR x2, ECS x3, Logs) in 2 zones
    assert interface.monthly_usd == round(12 * 0.01 * HOURS_PER_MONTH, 2)
    assert total(lines) == interface.monthly_usd
