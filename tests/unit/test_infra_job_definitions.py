"""Job definitions and their log groups."""

from __future__ import annotations

from typing import Any

import pytest
from tests.unit.infra_fixtures import (
    get_att,
    logical_id,
    ref,
    resources,
)

from batchctl.infra.job_definitions import format_vcpus


def _definition(template: dict[str, Any], construct: str) -> dict[str, Any]:
    properties: dict[str, Any] = template["Resources"][logical_id(template, f"JobDefinitions{construct}")]["Properties"]
    return properties


def _image_of_tag(template: dict[str, Any], tag: str) -> dict[str, Any]:
    """The repository URI for a tag: the data stack exports the URI, the compute stack imports it."""
    return {
        "Fn::Join": [
            "",
            [
                {"Fn::ImportValue": f"batchctl-{template['Outputs']['ClusterName']['Value']}-data:RepositoryUri"},
                f":{tag}",
            ],
        ]
    }


def test_demo_job_definition(demo: dict[str, Any]) -> None:
    log_group = logical_id(demo, "JobDefinitionsHelloworldLogGroup")
    assert _definition(demo, "Helloworld") == {
        "JobDefinitionName": "demo-helloworld",
        "Type": "container",
        "PlatformCapabilities": ["EC2"],
        "PropagateTags": True,
        "RetryStrategy": {"Attempts": 1},
        "ContainerProperties": {
            "Image": _image_of_tag(demo, "helloworld"),
            "Command": ["python3", "/app/hello.py"],
            "ResourceRequirements": [{"Type": "VCPU", "Value": "1"}, {"Type": "MEMORY", "Value": "512"}],
            "Environment": [
                {"Name": "AWS_DEFAULT_REGION", "Value": {"Ref": "AWS::Region"}},
                {"Name": "AWS_REGION", "Value": {"Ref": "AWS::Region"}},
                {"Name": "BATCHCTL_CLUSTER", "Value": "demo"},
                {"Name": "BATCHCTL_INPUTS_BUCKET", "Value": {"Fn::ImportValue": "batchctl-demo-data:BucketInputs"}},
                {"Name": "BATCHCTL_OUTPUTS_BUCKET", "Value": {"Fn::ImportValue": "batchctl-demo-data:BucketOutputs"}},
                {
                    "Name": "BATCHCTL_WORKSPACE_BUCKET",
                    "Value": {"Fn::ImportValue": "batchctl-demo-data:BucketWorkspace"},
                },
            ],
            "JobRoleArn": get_att(logical_id(demo, "RolesJobRole"), "Arn"),
            "ExecutionRoleArn": get_att(logical_id(demo, "RolesExecutionRole"), "Arn"),
            "LogConfiguration": {
                "LogDriver": "awslogs",
                "Options": {"awslogs-group": ref(log_group), "awslogs-stream-prefix": "helloworld"},
            },
        },
        "Tags": {"batchctl:cluster": "demo"},
    }


def test_log_group_per_job_definition(production: dict[str, Any]) -> None:
    groups = resources(production, "AWS::Logs::LogGroup")
    assert sorted(group["Properties"]["LogGroupName"] for group in groups.values()) == [
        "/prod/job/helloworld",
        "/prod/job/light",
        "/prod/job/train-gpu",
    ]
    for group in groups.values():
        assert group["Properties"]["RetentionInDays"] == 30
        assert group["DeletionPolicy"] == "Delete"


def test_gpu_job_with_retries_timeout_and_a_full_image_reference(production: dict[str, Any]) -> None:
    definition = _definition(production, "TrainGpu")
    container = definition["ContainerProperties"]
    assert container["Image"] == "public.ecr.aws/docker/library/python:3.12"
    assert "Command" not in container
    assert container["ResourceRequirements"] == [
        {"Type": "VCPU", "Value": "4"},
        {"Type": "MEMORY", "Value": "15000"},
        {"Type": "GPU", "Value": "1"},
    ]
    # The cluster's variables win; existing buckets: only the outputs bucket is announced.
    assert container["Environment"] == [
        {"Name": "AWS_DEFAULT_REGION", "Value": {"Ref": "AWS::Region"}},
        {"Name": "AWS_REGION", "Value": {"Ref": "AWS::Region"}},
        {"Name": "BATCHCTL_CLUSTER", "Value": "prod"},
        {"Name": "BATCHCTL_OUTPUTS_BUCKET", "Value": "batch-scratch"},
        {"Name": "EPOCHS", "Value": "10"},
    ]
    assert definition["RetryStrategy"] == {
        "Attempts": 3,
        "EvaluateOnExit": [{"Action": "RETRY", "OnStatusReason": "Host EC2*"}, {"Action": "EXIT", "OnReason": "*"}],
    }
    assert definition["Timeout"] == {"AttemptDurationSeconds": 3600}
    assert definition["PlatformCapabilities"] == ["EC2"]


def test_fargate_job_definition(production: dict[str, Any]) -> None:
    definition = _definition(production, "Light")
    container = definition["ContainerProperties"]
    assert definition["PlatformCapabilities"] == ["FARGATE"]
    assert container["NetworkConfiguration"] == {"AssignPublicIp": "DISABLED"}
    assert container["FargatePlatformConfiguration"] == {"PlatformVersion": "LATEST"}
    assert container["ExecutionRoleArn"] == get_att(logical_id(production, "RolesExecutionRole"), "Arn")
    assert container["ResourceRequirements"] == [{"Type": "VCPU", "Value": "0.25"}, {"Type": "MEMORY", "Value": "512"}]
    assert container["Image"] == _image_of_tag(production, "light")


def test_ec2_job_definitions_have_no_fargate_settings(production: dict[str, Any]) -> None:
    container = _definition(production, "Helloworld")["ContainerProperties"]
    assert "NetworkConfiguration" not in container
    assert "FargatePlatformConfiguration" not in container


@pytest.mark.parametrize(("vcpus", "text"), [(1.0, "1"), (4, "4"), (0.25, "0.25"), (0.5, "0.5"), (16.0, "16")])
def test_format_vcpus(vcpus: float, text: str) -> None:
    assert format_vcpus(vcpus) == text
