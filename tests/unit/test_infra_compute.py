"""Compute environments and their launch templates, in the demo and the production stacks."""

from __future__ import annotations

from typing import Any

import pytest
from tests.unit.infra_fixtures import (
    get_att,
    logical_id,
    ref,
    resources,
)


def _environment(template: dict[str, Any], construct: str) -> dict[str, Any]:
    properties: dict[str, Any] = template["Resources"][logical_id(template, f"Compute{construct}")]["Properties"]
    return properties


def _private_subnets(template: dict[str, Any], zones: int) -> list[dict[str, str]]:
    return [ref(logical_id(template, f"NetworkPrivateSubnet{number}Subnet")) for number in range(1, zones + 1)]


def test_demo_spot_environment(demo: dict[str, Any]) -> None:
    template_id = logical_id(demo, "ComputeCpuSpotLaunchTemplate")
    assert _environment(demo, "CpuSpot") == {
        "ComputeEnvironmentName": "demo-cpu-spot",
        "Type": "MANAGED",
        "State": "ENABLED",
        "ReplaceComputeEnvironment": False,
        "UpdatePolicy": {"JobExecutionTimeoutMinutes": 360, "TerminateJobsOnUpdate": False},
        "ComputeResources": {
            "Type": "SPOT",
            "AllocationStrategy": "SPOT_PRICE_CAPACITY_OPTIMIZED",
            "BidPercentage": 100,
            "InstanceTypes": ["m6i", "c6i", "r6i"],
            "MinvCpus": 0,
            "MaxvCpus": 16,
            "InstanceRole": get_att(logical_id(demo, "RolesInstanceProfile"), "Arn"),
            "Subnets": _private_subnets(demo, 1),
            "SecurityGroupIds": [get_att(logical_id(demo, "NetworkComputeSecurityGroup"), "GroupId")],
            "LaunchTemplate": {
                "LaunchTemplateId": ref(template_id),
                "Version": get_att(template_id, "LatestVersionNumber"),
            },
            "Ec2Configuration": [{"ImageType": "ECS_AL2023"}],
            "Tags": {"batchctl:cluster": "demo"},
        },
    }


def test_launch_templates_require_imdsv2_and_size_the_root_volume(production: dict[str, Any]) -> None:
    templates = resources(production, "AWS::EC2::LaunchTemplate")
    sizes = {}
    for resource in templates.values():
        properties = resource["Properties"]
        data = properties["LaunchTemplateData"]
        assert data["MetadataOptions"] == {
            "HttpEndpoint": "enabled",
            "HttpTokens": "required",
            "HttpPutResponseHopLimit": 1,
        }
        (device,) = data["BlockDeviceMappings"]
        assert device["DeviceName"] == "/dev/xvda"
        assert device["Ebs"]["Encrypted"] is True
        assert device["Ebs"]["VolumeType"] == "gp3"
        sizes[properties["LaunchTemplateName"]] = device["Ebs"]["VolumeSize"]
    # One per EC2 or SPOT environment; Fargate has none.
    assert sizes == {"prod-cpu-spot": 100, "prod-cpu-ondemand": 30, "prod-gpu-spot": 30}


def test_on_demand_environment_has_no_spot_settings(production: dict[str, Any]) -> None:
    resources_ = _environment(production, "CpuOndemand")["ComputeResources"]
    assert resources_["Type"] == "EC2"
    assert resources_["AllocationStrategy"] == "BEST_FIT_PROGRESSIVE"
    assert "BidPercentage" not in resources_
    assert "SpotIamFleetRole" not in resources_
    assert resources_["InstanceTypes"] == ["m6i.large"]


def test_gpu_environment_uses_the_nvidia_image(production: dict[str, Any]) -> None:
    assert _environment(production, "GpuSpot")["ComputeResources"]["Ec2Configuration"] == [
        {"ImageType": "ECS_AL2023_NVIDIA"}
    ]
    assert _environment(production, "CpuSpot")["ComputeResources"]["Ec2Configuration"] == [{"ImageType": "ECS_AL2023"}]


@pytest.mark.parametrize(("construct", "kind"), [("Serverless", "FARGATE"), ("ServerlessSpot", "FARGATE_SPOT")])
def test_fargate_environments(production: dict[str, Any], construct: str, kind: str) -> None:
    environment = _environment(production, construct)
    assert environment["Type"] == "MANAGED"
    assert environment["ReplaceComputeEnvironment"] is False
    assert "ServiceRole" not in environment
    assert environment["ComputeResources"] == {
        "Type": kind,
        "MaxvCpus": 32,
        "Subnets": _private_subnets(production, 3),
        "SecurityGroupIds": [get_att(logical_id(production, "NetworkComputeSecurityGroup"), "GroupId")],
    }


def test_every_environment_is_managed_by_the_service_linked_role(production: dict[str, Any]) -> None:
    """No ServiceRole: Batch's service-linked role is the one that allows in-place infrastructure updates."""
    environments = resources(production, "AWS::Batch::ComputeEnvironment")
    assert len(environments) == 5
    for environment in environments.values():
        assert environment["Properties"]["Type"] == "MANAGED"
        assert "ServiceRole" not in environment["Properties"]


def test_every_environment_updates_in_place_and_lets_running_jobs_finish(production: dict[str, Any]) -> None:
    environments = resources(production, "AWS::Batch::ComputeEnvironment")
    assert len(environments) == 5
    for environment in environments.values():
        properties = environment["Properties"]
        assert properties["ReplaceComputeEnvironment"] is False
        if properties["ComputeResources"]["Type"] in ("SPOT", "EC2"):
            assert properties["UpdatePolicy"] == {"JobExecutionTimeoutMinutes": 360, "TerminateJobsOnUpdate": False}
        else:
            assert "UpdatePolicy" not in properties
        strategy = properties["ComputeResources"].get("AllocationStrategy")
        assert strategy in (None, "SPOT_PRICE_CAPACITY_OPTIMIZED", "BEST_FIT_PROGRESSIVE")


def test_no_named_batch_resource_carries_create_only_tags(production: dict[str, Any]) -> None:
    """Top-level Tags of compute environments, queues and scheduling policies are create-only."""
    for kind in ("AWS::Batch::ComputeEnvironment", "AWS::Batch::JobQueue", "AWS::Batch::SchedulingPolicy"):
        found = resources(production, kind)
        assert found, kind
        for resource in found.values():
            assert "Tags" not in resource["Properties"], kind
    # Instances still carry every tag of the configuration.
    for environment in resources(production, "AWS::Batch::ComputeEnvironment").values():
        compute = environment["Properties"]["ComputeResources"]
        if compute["Type"] in ("SPOT", "EC2"):
            assert compute["Tags"] == {"team": "research", "cost-center": "batch", "batchctl:cluster": "prod"}


def test_only_best_fit_spot_environments_name_the_spot_fleet_role() -> None:
    from tests.unit.infra_fixtures import DEMO, ONE_ZONE, config, template_of

    best_fit = config(DEMO, compute_environments=[{"name": "cpu-spot", "allocation_strategy": "BEST_FIT"}])
    template = template_of(best_fit, ONE_ZONE)
    compute = _environment(template, "CpuSpot")["ComputeResources"]
    assert compute["SpotIamFleetRole"] == get_att(logical_id(template, "RolesSpotFleetRole"), "Arn")
