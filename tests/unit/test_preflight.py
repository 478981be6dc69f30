"""The preflight: which config changes AWS makes in place, and which it refuses (named resources replaced)."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from tests.unit.infra_fixtures import DEMO, ONE_ZONE, config, template_of

from batchctl.cluster.preflight import create_only_properties, named_replacements
from batchctl.cluster.refusals import refusal_error, refusal_lines
from batchctl.config.models import ClusterConfig

TWO_ZONES = ["us-east-1a", "us-east-1b"]
CE = DEMO["compute_environments"][0]
QUEUE = DEMO["queues"][0]


def _refusals(before: ClusterConfig, after: ClusterConfig, zones_after: list[str] = ONE_ZONE) -> list[str]:
    return refusal_lines(after, named_replacements(template_of(before, ONE_ZONE), template_of(after, zones_after)))


def test_create_only_properties_come_from_the_resource_schemas() -> None:
    assert {"ComputeEnvironmentName", "Type", "Tags", "ComputeResources/SpotIamFleetRole"} <= set(
        create_only_properties("AWS::Batch::ComputeEnvironment")
    )
    assert "JobQueueName" in create_only_properties("AWS::Batch::JobQueue")
    assert create_only_properties("AWS::Nothing::Here") == []


@pytest.mark.parametrize(
    ("name", "change"),
    [
        ("instance types", {"compute_environments": [{**CE, "instance_types": ["c7i", "m7i"]}]}),
        ("max_vcpus", {"compute_environments": [{**CE, "max_vcpus": 64}]}),
        ("root_volume_gb", {"compute_environments": [{**CE, "root_volume_gb": 100}]}),
        ("bid percentage", {"compute_environments": [{**CE, "bid_percentage": 60}]}),
        ("tags", {"tags": {"team": "research"}}),
        ("SPOT -> EC2", {"compute_environments": [{**CE, "type": "EC2"}]}),
        ("gpu image", {"compute_environments": [{**CE, "gpu": True, "instance_types": ["g5"]}]}),
    ],
)
def test_changes_aws_makes_in_place(name: str, change: dict[str, Any]) -> None:
    """Infrastructure updates (SPOT_PRICE_CAPACITY_OPTIMIZED supports them) and scaling updates."""
    assert _refusals(config(DEMO), config(DEMO, **change)) == [], name


def test_a_second_zone_is_added_in_place() -> None:
    two = config(DEMO, network={**DEMO["network"], "availability_zones": 2})
    assert _refusals(config(DEMO), two, TWO_ZONES) == []


def test_switching_to_fargate_is_refused_with_the_key_and_the_reason() -> None:
    fargate = {"name": "cpu-spot", "type": "FARGATE", "max_vcpus": 16}
    after = config(
        DEMO, compute_environments=[fargate], job_definitions=[{**DEMO["job_definitions"][0], "platform": "FARGATE"}]
    )
    (line,) = _refusals(config(DEMO), after)
    assert line.startswith("compute_environments[0].type: SPOT -> FARGATE")
    assert "would replace compute environment demo-cpu-spot" in line
    assert "Batch cannot switch between EC2/SPOT and Fargate capacity" in line
    assert line.endswith("which AWS refuses for a named resource")


def test_best_fit_supports_no_infrastructure_update() -> None:
    best_fit = {**CE, "allocation_strategy": "BEST_FIT"}
    before = config(DEMO, compute_environments=[best_fit])
    (line,) = _refusals(before, config(DEMO, compute_environments=[{**best_fit, "type": "EC2"}]))
    assert line.startswith("compute_environments[0].type: SPOT -> EC2 (with ")
    assert "allocation strategy BEST_FIT supports no infrastructure update" in line
    (line,) = _refusals(before, config(DEMO, compute_environments=[{**best_fit, "root_volume_gb": 60}]))
    assert line.startswith("compute_environments[0].root_volume_gb: changed (a new launch template version)")
    # Scaling updates stay possible.
    assert _refusals(before, config(DEMO, compute_environments=[{**best_fit, "max_vcpus": 8}])) == []


@pytest.mark.parametrize(("before", "after"), [(False, True), (True, False)])
def test_fair_share_cannot_be_toggled_on_an_existing_queue(before: bool, after: bool) -> None:
    (line,) = _refusals(
        config(DEMO, queues=[{**QUEUE, "fair_share": before}]), config(DEMO, queues=[{**QUEUE, "fair_share": after}])
    )
    assert line.startswith(f"queues[0].fair_share: {str(before).lower()} -> {str(after).lower()} would replace")
    assert "job queue demo-cpu" in line and "cannot gain or lose a fair-share scheduling policy" in line


def test_an_environment_deployed_with_replace_compute_environment_true_is_replaced_by_infrastructure_changes() -> None:
    deployed = template_of(config(DEMO), ONE_ZONE)
    for resource in deployed["Resources"].values():
        if resource["Type"] == "AWS::Batch::ComputeEnvironment":
            del resource["Properties"]["ReplaceComputeEnvironment"]
    new = template_of(config(DEMO, compute_environments=[{**CE, "instance_types": ["c7i"]}]), ONE_ZONE)
    (replacement,) = [item for item in named_replacements(deployed, new) if item.path.endswith("InstanceTypes")]
    assert "ReplaceComputeEnvironment true" in replacement.reason


def test_a_renamed_resource_may_be_replaced() -> None:
    renamed = config(
        DEMO,
        compute_environments=[{**CE, "name": "cpu-new", "type": "FARGATE", "instance_types": []}],
        queues=[{**QUEUE, "compute_environments": ["cpu-new"]}],
        job_definitions=[],
    )
    assert _refusals(config(DEMO, job_definitions=[]), renamed) == []


def test_create_only_change_of_another_named_type_is_refused_generically() -> None:
    deployed = template_of(config(DEMO), ONE_ZONE)
    new = copy.deepcopy(deployed)
    (group,) = [
        resource
        for resource in new["Resources"].values()
        if resource["Type"] == "AWS::EC2::SecurityGroup" and resource["Properties"].get("GroupName") == "demo-compute"
    ]
    group["Properties"]["GroupDescription"] = "changed"
    (line,) = refusal_lines(config(DEMO), named_replacements(deployed, new))
    assert ".GroupDescription: changed would replace security group demo-compute" in line


def test_refusal_error_lists_the_lines_and_the_way_out() -> None:
    before = config(DEMO, queues=[{**QUEUE, "fair_share": False}])
    after = config(DEMO, queues=[{**QUEUE, "fair_share": True}])
    error = refusal_error(
        "batchctl-demo", after, named_replacements(template_of(before, ONE_ZONE), template_of(after, ONE_ZONE))
    )
    assert error.message == "batchctl-demo: 1 change(s) AWS cannot make in place; nothing was changed"
    assert len(error.details) == 1
    assert error.hint and "new name" in error.hint and "batchctl destroy" in error.hint
