"""One test per compatibility patch: the scenario works with the patch and fails without it (moto 5.2.5).

CloudFormation scenarios run against moto in-process. Job scenarios run moto's real Batch job loop with a fake Docker
client, so they need no Docker engine; the end-to-end tests run the same behaviour with real containers.
"""

from __future__ import annotations

import copy
import json
import re
import sys
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import boto3
import docker.errors
import pytest
from moto import mock_aws
from moto.batch import models as batch_models
from moto.batch.models import BatchBackend, Job, batch_backends
from moto.utilities.docker_utilities import DockerModel

from batchctl.local import attempts, compat, dependencies, interruption, retries, scheduler
from batchctl.local.job_state import state_of

REGION = "us-east-1"
ACCOUNT = "123456789012"
STACK = "demo"


@pytest.fixture(scope="module", autouse=True)
def patched() -> Iterator[None]:
    compat.apply_all()
    yield
    compat.revert_all()


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name, value in {
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_DEFAULT_REGION": REGION,
        "MOTO_PORT": "4711",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    with mock_aws():
        yield


def client(service: str) -> Any:
    return boto3.client(service, region_name=REGION)


# --- templates ----------------------------------------------------------------------------------------------------


def assume(service: str) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}],
    }


def batch_template(**overrides: Any) -> dict[str, Any]:
    """A small Batch stack: network, roles, one compute environment, one queue, one job definition."""
    resources: dict[str, Any] = {
        "Vpc": {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": "10.0.0.0/16"}},
        "Subnet": {
            "Type": "AWS::EC2::Subnet",
            "Properties": {"VpcId": {"Ref": "Vpc"}, "CidrBlock": "10.0.0.0/24", "AvailabilityZone": "us-east-1a"},
        },
        "ComputeSecurityGroup": {
            "Type": "AWS::EC2::SecurityGroup",
            "Properties": {"GroupDescription": "compute", "VpcId": {"Ref": "Vpc"}},
        },
        "ServiceRole": {
            "Type": "AWS::IAM::Role",
            "Properties": {"AssumeRolePolicyDocument": assume("batch.amazonaws.com")},
        },
        "InstanceRole": {
            "Type": "AWS::IAM::Role",
            "Properties": {"AssumeRolePolicyDocument": assume("ec2.amazonaws.com")},
        },
        "InstanceProfile": {"Type": "AWS::IAM::InstanceProfile", "Properties": {"Roles": [{"Ref": "InstanceRole"}]}},
        "ComputeEnvironment": {
            "Type": "AWS::Batch::ComputeEnvironment",
            "Properties": {
                "ComputeEnvironmentName": "demo-ce",
                "Type": "MANAGED",
                "ServiceRole": {"Fn::GetAtt": ["ServiceRole", "Arn"]},
                "ComputeResources": {
                    "Type": "EC2",
                    "MinvCpus": 0,
                    "MaxvCpus": 16,
                    "InstanceTypes": ["optimal"],
                    "Subnets": [{"Ref": "Subnet"}],
                    "SecurityGroupIds": [{"Fn::GetAtt": ["ComputeSecurityGroup", "GroupId"]}],
                    "InstanceRole": {"Fn::GetAtt": ["InstanceProfile", "Arn"]},
                },
            },
        },
        "JobQueue": {
            "Type": "AWS::Batch::JobQueue",
            "Properties": {
                "JobQueueName": "demo-queue",
                "Priority": 10,
                "ComputeEnvironmentOrder": [{"Order": 1, "ComputeEnvironment": {"Ref": "ComputeEnvironment"}}],
            },
        },
        "JobDefinition": {
            "Type": "AWS::Batch::JobDefinition",
            "Properties": {
                "JobDefinitionName": "demo-job",
                "Type": "container",
                "RetryStrategy": {"Attempts": 1},
                "ContainerProperties": {
                    "Image": "debian:bookworm-slim",
                    "Command": ["true"],
                    "ResourceRequirements": [{"Type": "VCPU", "Value": "1"}, {"Type": "MEMORY", "Value": "256"}],
                },
            },
        },
    }
    resources.update(overrides)
    return {
        "Resources": {name: value for name, value in resources.items() if value is not None},
        "Outputs": {"JobQueueArn": {"Value": {"Ref": "JobQueue"}}} if "JobQueue" in resources else {},
    }


def props(template: dict[str, Any], logical_id: str) -> dict[str, Any]:
    return dict(template["Resources"][logical_id]["Properties"])


# --- stack operations through change sets, as the project deploys ------------------------------------------------


def deploy(template: dict[str, Any], change_set_type: str = "CREATE") -> str:
    """Create and execute a change set; return the stack status. An execution error counts as 'EXECUTE_ERROR'."""
    cloudformation = client("cloudformation")
    name = f"cs-{time.monotonic_ns()}"
    created = cloudformation.create_change_set(
        StackName=STACK, ChangeSetName=name, ChangeSetType=change_set_type, TemplateBody=json.dumps(template)
    )
    try:
        cloudformation.execute_change_set(ChangeSetName=created["Id"])
    except Exception:
        return "EXECUTE_ERROR"
    return stack_status()


def stack_status() -> str:
    return str(client("cloudformation").describe_stacks(StackName=STACK)["Stacks"][0]["StackStatus"])


def stack_outputs() -> dict[str, str]:
    stack = client("cloudformation").describe_stacks(StackName=STACK)["Stacks"][0]
    return {output["OutputKey"]: output["OutputValue"] for output in stack.get("Outputs", [])}


def stack_events() -> list[dict[str, Any]]:
    return list(client("cloudformation").describe_stack_events(StackName=STACK)["StackEvents"])


def compute_environments() -> list[dict[str, Any]]:
    return list(client("batch").describe_compute_environments()["computeEnvironments"])


def job_queues() -> list[dict[str, Any]]:
    return list(client("batch").describe_job_queues()["jobQueues"])


def job_definitions() -> list[dict[str, Any]]:
    return list(client("batch").describe_job_definitions(jobDefinitionName="demo-job")["jobDefinitions"])


# --- the registry itself ------------------------------------------------------------------------------------------


def test_every_patch_has_its_own_test() -> None:
    module = sys.modules[__name__]
    missing = [name for name in compat.PATCHES.names if not callable(getattr(module, f"test_{name}", None))]
    assert missing == []


def test_apply_all_is_idempotent() -> None:
    applied = compat.PATCHES.applied
    compat.apply_all()
    compat.apply_all()
    assert compat.PATCHES.applied == applied == compat.PATCHES.names


# --- CloudFormation: Batch resources ------------------------------------------------------------------------------


def test_patch_compute_environment_requires_service_role(aws: None) -> None:
    template = batch_template()
    del template["Resources"]["ComputeEnvironment"]["Properties"]["ServiceRole"]

    with compat.PATCHES.without("patch_compute_environment_requires_service_role"):
        assert deploy(template) == "ROLLBACK_COMPLETE"
        client("cloudformation").delete_stack(StackName=STACK)

    assert deploy(template) == "CREATE_COMPLETE"
    (environment,) = compute_environments()
    assert environment["serviceRole"].endswith(":role/aws-service-role/batch.amazonaws.com/AWSServiceRoleForBatch")
    assert environment["status"] == "VALID"


def test_patch_compute_environment_type_is_case_sensitive(aws: None) -> None:
    template = batch_template()
    template["Resources"]["ComputeEnvironment"]["Properties"]["Type"] = "managed"

    with compat.PATCHES.without("patch_compute_environment_type_is_case_sensitive"):
        assert deploy(template) == "ROLLBACK_COMPLETE"
        client("cloudformation").delete_stack(StackName=STACK)

    assert deploy(template) == "CREATE_COMPLETE"
    assert compute_environments()[0]["type"] == "MANAGED"


def test_patch_job_definition_cloudformation_properties_mangled(aws: None) -> None:
    template = batch_template()
    definition = template["Resources"]["JobDefinition"]["Properties"]
    definition.update(
        Parameters={"Greeting": "hello"},
        Tags={"Project": "batchctl"},
        Timeout={"AttemptDurationSeconds": 600},
        PlatformCapabilities=["EC2"],
    )
    without_retry = copy.deepcopy(template)
    del without_retry["Resources"]["JobDefinition"]["Properties"]["RetryStrategy"]

    with compat.PATCHES.without("patch_job_definition_cloudformation_properties_mangled"):
        assert deploy(without_retry) == "ROLLBACK_COMPLETE"
        client("cloudformation").delete_stack(StackName=STACK)
        assert deploy(template) == "CREATE_COMPLETE"
        (mangled,) = job_definitions()
        assert mangled["parameters"] == {"greeting": "hello"}
        assert "timeout" not in mangled
        client("cloudformation").delete_stack(StackName=STACK)

    assert deploy(without_retry) == "CREATE_COMPLETE"
    (registered,) = [d for d in job_definitions() if d["status"] == "ACTIVE"]
    assert registered["parameters"] == {"Greeting": "hello"}
    assert registered["tags"] == {"Project": "batchctl"}
    assert registered["timeout"] == {"attemptDurationSeconds": 600}
    assert registered["platformCapabilities"] == ["EC2"]


def _deletion_order(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    order: list[str] = []
    for method in ("delete_job_queue", "delete_compute_environment"):
        original = getattr(BatchBackend, method)

        def recorder(self: BatchBackend, *args: Any, _original: Any = original, _name: str = method) -> Any:
            order.append(_name)
            return _original(self, *args)

        monkeypatch.setattr(BatchBackend, method, recorder)
    return order


def test_patch_compute_environment_is_create_only(aws: None, monkeypatch: pytest.MonkeyPatch) -> None:
    template = batch_template()
    changed = copy.deepcopy(template)
    changed["Resources"]["ComputeEnvironment"]["Properties"]["ComputeResources"]["MaxvCpus"] = 64
    changed["Resources"]["ComputeEnvironment"]["Properties"]["State"] = "DISABLED"

    with compat.PATCHES.without("patch_compute_environment_is_create_only"):
        assert deploy(template) == "CREATE_COMPLETE"
        deploy(changed, "UPDATE")
        assert compute_environments()[0]["computeResources"]["maxvCpus"] == 16
        client("cloudformation").delete_stack(StackName=STACK)
        assert [env["computeEnvironmentName"] for env in compute_environments()] == ["demo-ce"]
        client("batch").delete_compute_environment(computeEnvironment="demo-ce")

    assert deploy(template) == "CREATE_COMPLETE"
    assert deploy(changed, "UPDATE") == "UPDATE_COMPLETE"
    (environment,) = compute_environments()
    assert environment["computeResources"]["maxvCpus"] == 64
    assert environment["state"] == "DISABLED"

    order = _deletion_order(monkeypatch)
    client("cloudformation").delete_stack(StackName=STACK)
    assert compute_environments() == []
    assert order == ["delete_job_queue", "delete_compute_environment"]


def test_patch_job_queue_is_create_only(aws: None) -> None:
    template = batch_template()
    changed = copy.deepcopy(template)
    changed["Resources"]["JobQueue"]["Properties"].update(Priority=50, State="DISABLED")

    with compat.PATCHES.without("patch_job_queue_is_create_only"):
        assert deploy(template) == "CREATE_COMPLETE"
        deploy(changed, "UPDATE")
        assert job_queues()[0]["priority"] == 10
        client("cloudformation").delete_stack(StackName=STACK)
        assert [queue["jobQueueName"] for queue in job_queues()] == ["demo-queue"]
        # The queue that stayed behind keeps the environment in use, so the stack cannot finish deleting.
        assert stack_status() == "DELETE_FAILED"
        client("batch").delete_job_queue(jobQueue="demo-queue")
        client("cloudformation").delete_stack(StackName=STACK)

    assert deploy(template) == "CREATE_COMPLETE"
    assert deploy(changed, "UPDATE") == "UPDATE_COMPLETE"
    (queue,) = job_queues()
    assert (queue["priority"], queue["state"], queue["status"]) == (50, "DISABLED", "VALID")
    client("cloudformation").delete_stack(StackName=STACK)
    assert job_queues() == []


def test_patch_job_definition_is_create_only(aws: None) -> None:
    template = batch_template()
    changed = copy.deepcopy(template)
    changed["Resources"]["JobDefinition"]["Properties"]["ContainerProperties"]["Command"] = ["echo", "changed"]

    with compat.PATCHES.without("patch_job_definition_is_create_only"):
        assert deploy(template) == "CREATE_COMPLETE"
        deploy(changed, "UPDATE")
        assert [(d["revision"], d["status"]) for d in job_definitions()] == [(1, "ACTIVE")]
        client("cloudformation").delete_stack(StackName=STACK)
        assert [d["status"] for d in job_definitions()] == ["ACTIVE"]

    client("batch").deregister_job_definition(jobDefinition="demo-job:1")
    assert deploy(template) == "CREATE_COMPLETE"
    assert deploy(changed, "UPDATE") == "UPDATE_COMPLETE"
    statuses = {d["revision"]: d["status"] for d in job_definitions()}
    assert statuses == {1: "INACTIVE", 2: "INACTIVE", 3: "ACTIVE"}
    (latest,) = [d for d in job_definitions() if d["status"] == "ACTIVE"]
    assert latest["containerProperties"]["command"] == ["echo", "changed"]
    client("cloudformation").delete_stack(StackName=STACK)
    assert {d["status"] for d in job_definitions()} == {"INACTIVE"}


def test_patch_batch_resources_have_no_getatt_attributes(aws: None) -> None:
    template = batch_template()
    order = template["Resources"]["JobQueue"]["Properties"]["ComputeEnvironmentOrder"]
    order[0]["ComputeEnvironment"] = {"Fn::GetAtt": ["ComputeEnvironment", "ComputeEnvironmentArn"]}
    template["Outputs"]["JobQueueArn"] = {"Value": {"Fn::GetAtt": ["JobQueue", "JobQueueArn"]}}

    with compat.PATCHES.without("patch_batch_resources_have_no_getatt_attributes"):
        assert deploy(template) == "ROLLBACK_COMPLETE"
        client("cloudformation").delete_stack(StackName=STACK)

    assert deploy(template) == "CREATE_COMPLETE"
    assert stack_outputs() == {"JobQueueArn": f"arn:aws:batch:{REGION}:{ACCOUNT}:job-queue/demo-queue"}
    environment_arn = job_queues()[0]["computeEnvironmentOrder"][0]["computeEnvironment"]
    assert environment_arn == f"arn:aws:batch:{REGION}:{ACCOUNT}:compute-environment/demo-ce"


# --- CloudFormation: EC2 ------------------------------------------------------------------------------------------


def test_patch_security_group_inline_rule_requires_ports(aws: None) -> None:
    template = batch_template()
    template["Resources"]["ComputeSecurityGroup"]["Properties"]["SecurityGroupIngress"] = [
        {"IpProtocol": "-1", "CidrIp": "10.0.0.0/16", "Description": "all traffic inside the VPC"}
    ]

    with compat.PATCHES.without("patch_security_group_inline_rule_requires_ports"):
        assert deploy(template) == "ROLLBACK_COMPLETE"
        client("cloudformation").delete_stack(StackName=STACK)

    assert deploy(template) == "CREATE_COMPLETE"
    resource = client("cloudformation").describe_stack_resource(
        StackName=STACK, LogicalResourceId="ComputeSecurityGroup"
    )
    group_id = resource["StackResourceDetail"]["PhysicalResourceId"]
    (group,) = client("ec2").describe_security_groups(GroupIds=[group_id])["SecurityGroups"]
    assert [(rule["IpProtocol"], rule["IpRanges"][0]["CidrIp"]) for rule in group["IpPermissions"]] == [
        ("-1", "10.0.0.0/16")
    ]


def test_patch_stack_delete_leaves_route_tables_and_gateways(aws: None) -> None:
    network = {
        "Vpc": {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": "10.0.0.0/16"}},
        "Subnet": {
            "Type": "AWS::EC2::Subnet",
            "Properties": {"VpcId": {"Ref": "Vpc"}, "CidrBlock": "10.0.0.0/24", "AvailabilityZone": "us-east-1a"},
        },
        "Gateway": {"Type": "AWS::EC2::InternetGateway", "Properties": {}},
        "GatewayAttachment": {
            "Type": "AWS::EC2::VPCGatewayAttachment",
            "Properties": {"VpcId": {"Ref": "Vpc"}, "InternetGatewayId": {"Ref": "Gateway"}},
        },
        "RouteTable": {"Type": "AWS::EC2::RouteTable", "Properties": {"VpcId": {"Ref": "Vpc"}}},
        "Association": {
            "Type": "AWS::EC2::SubnetRouteTableAssociation",
            "Properties": {"RouteTableId": {"Ref": "RouteTable"}, "SubnetId": {"Ref": "Subnet"}},
        },
        "DefaultRoute": {
            "Type": "AWS::EC2::Route",
            "DependsOn": ["GatewayAttachment"],
            "Properties": {
                "RouteTableId": {"Ref": "RouteTable"},
                "DestinationCidrBlock": "0.0.0.0/0",
                "GatewayId": {"Ref": "Gateway"},
            },
        },
    }
    ec2 = client("ec2")

    def stack_vpcs() -> list[str]:
        return [vpc["VpcId"] for vpc in ec2.describe_vpcs()["Vpcs"] if not vpc["IsDefault"]]

    with compat.PATCHES.without("patch_stack_delete_leaves_route_tables_and_gateways"):
        assert deploy({"Resources": network}) == "CREATE_COMPLETE"
        client("cloudformation").delete_stack(StackName=STACK)
        assert stack_status() == "DELETE_FAILED"
        (vpc_id,) = stack_vpcs()
        attached = ec2.describe_internet_gateways(Filters=[{"Name": "attachment.vpc-id", "Values": [vpc_id]}])
        assert len(attached["InternetGateways"]) == 1
        for gateway in attached["InternetGateways"]:
            ec2.detach_internet_gateway(InternetGatewayId=gateway["InternetGatewayId"], VpcId=vpc_id)
            ec2.delete_internet_gateway(InternetGatewayId=gateway["InternetGatewayId"])
        for table in ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["RouteTables"]:
            if not any(association.get("Main") for association in table["Associations"]):
                ec2.delete_route_table(RouteTableId=table["RouteTableId"])
        client("cloudformation").delete_stack(StackName=STACK)
        assert stack_vpcs() == []

    assert deploy({"Resources": network}) == "CREATE_COMPLETE"
    client("cloudformation").delete_stack(StackName=STACK)
    with pytest.raises(client("cloudformation").exceptions.ClientError, match="does not exist"):
        stack_status()
    assert stack_vpcs() == []
    assert ec2.describe_internet_gateways()["InternetGateways"] == []


# --- CloudFormation: stacks and change sets -----------------------------------------------------------------------


def _move_queue_to_new_environment(template: dict[str, Any]) -> dict[str, Any]:
    moved = copy.deepcopy(template)
    environment = moved["Resources"].pop("ComputeEnvironment")
    environment["Properties"]["ComputeEnvironmentName"] = "demo-ce-2"
    moved["Resources"]["ComputeEnvironment2"] = environment
    order = moved["Resources"]["JobQueue"]["Properties"]["ComputeEnvironmentOrder"]
    order[0]["ComputeEnvironment"] = {"Ref": "ComputeEnvironment2"}
    return moved


def test_patch_stack_update_deletes_removed_resources_first(aws: None) -> None:
    template = batch_template()
    moved = _move_queue_to_new_environment(template)

    with compat.PATCHES.without("patch_stack_update_deletes_removed_resources_first"):
        assert deploy(template) == "CREATE_COMPLETE"
        assert deploy(moved, "UPDATE") != "UPDATE_COMPLETE"
        client("cloudformation").delete_stack(StackName=STACK)

    assert deploy(template) == "CREATE_COMPLETE"
    assert deploy(moved, "UPDATE") == "UPDATE_COMPLETE"
    assert [env["computeEnvironmentName"] for env in compute_environments()] == ["demo-ce-2"]
    assert job_queues()[0]["computeEnvironmentOrder"][0]["computeEnvironment"].endswith("/demo-ce-2")


def test_patch_change_set_execution_drops_outputs(aws: None) -> None:
    template = batch_template()
    extended = copy.deepcopy(template)
    extended["Outputs"]["JobDefinitionArn"] = {"Value": {"Ref": "JobDefinition"}}

    with compat.PATCHES.without("patch_change_set_execution_drops_outputs"):
        assert deploy(template) == "CREATE_COMPLETE"
        assert stack_outputs() == {}
        client("cloudformation").delete_stack(StackName=STACK)

    assert deploy(template) == "CREATE_COMPLETE"
    assert stack_outputs() == {"JobQueueArn": f"arn:aws:batch:{REGION}:{ACCOUNT}:job-queue/demo-queue"}
    assert deploy(extended, "UPDATE") == "UPDATE_COMPLETE"
    assert stack_outputs()["JobDefinitionArn"].endswith(":job-definition/demo-job:2")


def test_patch_change_set_execution_failure_leaves_stack_in_progress(aws: None) -> None:
    template = batch_template()
    # Created before the queue fails, so the rollback has something to remove.
    log_group = {"Type": "AWS::Logs::LogGroup", "Properties": {"LogGroupName": "/demo/jobs"}}
    template["Resources"] = {"JobLogs": log_group, **template["Resources"]}
    template["Resources"]["JobQueue"]["Properties"]["ComputeEnvironmentOrder"][0]["ComputeEnvironment"] = "missing-ce"

    with compat.PATCHES.without("patch_change_set_execution_failure_leaves_stack_in_progress"):
        assert deploy(template) == "EXECUTE_ERROR"
        assert stack_status() == "REVIEW_IN_PROGRESS"
        client("cloudformation").delete_stack(StackName=STACK)

    assert deploy(template) == "ROLLBACK_COMPLETE"
    failed = [event for event in stack_events() if event["ResourceStatus"] == "CREATE_FAILED"]
    assert [(event["LogicalResourceId"], event["ResourceType"]) for event in failed] == [
        ("JobQueue", "AWS::Batch::JobQueue")
    ]
    assert "computeEnvironmentOrder is malformed" in failed[0]["ResourceStatusReason"]
    assert client("logs").describe_log_groups(logGroupNamePrefix="/demo/jobs")["logGroups"] == []
    assert client("cloudformation").list_stack_resources(StackName=STACK)["StackResourceSummaries"] == []
    assert client("logs").describe_log_groups(logGroupNamePrefix="/demo/jobs")["logGroups"] == []

    good = batch_template()
    bad_update = copy.deepcopy(good)
    bad_update["Resources"]["JobQueue"]["Properties"]["ComputeEnvironmentOrder"][0]["ComputeEnvironment"] = "missing"
    client("cloudformation").delete_stack(StackName=STACK)
    assert deploy(good) == "CREATE_COMPLETE"
    assert deploy(bad_update, "UPDATE") == "UPDATE_ROLLBACK_COMPLETE"
    assert job_queues()[0]["computeEnvironmentOrder"][0]["computeEnvironment"].endswith("/demo-ce")


def test_patch_stack_delete_failure_loses_stack(aws: None) -> None:
    assert deploy(batch_template()) == "CREATE_COMPLETE"
    # A queue outside the stack keeps the stack's compute environment in use, so AWS cannot delete it.
    client("batch").create_job_queue(
        jobQueueName="outsider",
        state="ENABLED",
        priority=1,
        computeEnvironmentOrder=[{"order": 1, "computeEnvironment": "demo-ce"}],
    )

    with compat.PATCHES.without("patch_stack_delete_failure_loses_stack"):
        with pytest.raises(Exception, match="JobQueue relationship"):
            client("cloudformation").delete_stack(StackName=STACK)
        with pytest.raises(client("cloudformation").exceptions.ClientError, match="does not exist"):
            stack_status()

    client("batch").delete_job_queue(jobQueue="outsider")
    client("batch").delete_compute_environment(computeEnvironment="demo-ce")
    assert deploy(batch_template()) == "CREATE_COMPLETE"
    client("batch").create_job_queue(
        jobQueueName="outsider",
        state="ENABLED",
        priority=1,
        computeEnvironmentOrder=[{"order": 1, "computeEnvironment": "demo-ce"}],
    )
    client("cloudformation").delete_stack(StackName=STACK)
    assert stack_status() == "DELETE_FAILED"
    failed = [event for event in stack_events() if event["ResourceStatus"] == "DELETE_FAILED"]
    assert [(event["LogicalResourceId"], event["ResourceType"]) for event in failed] == [
        (STACK, "AWS::CloudFormation::Stack"),
        ("ComputeEnvironment", "AWS::Batch::ComputeEnvironment"),
    ]
    assert "JobQueue relationship: outsider" in failed[1]["ResourceStatusReason"]
    # Only what could not be deleted is left, and reading the stack does not bring the rest back.
    summaries = client("cloudformation").list_stack_resources(StackName=STACK)["StackResourceSummaries"]
    assert [summary["LogicalResourceId"] for summary in summaries] == ["ComputeEnvironment"]
    assert [queue["jobQueueName"] for queue in job_queues()] == ["outsider"]


def test_patch_unsupported_resource_types_listed_blank(aws: None) -> None:
    bucket = {"Type": "AWS::S3::Bucket", "Properties": {"BucketName": "demo-data"}}
    policy = {
        "Type": "AWS::S3::BucketPolicy",
        "Properties": {
            "Bucket": {"Ref": "Bucket"},
            "PolicyDocument": {"Version": "2012-10-17", "Statement": []},
        },
    }
    template = {"Resources": {"Bucket": bucket, "BucketPolicy": policy}}

    def listed() -> list[tuple[str, str, bool]]:
        summaries = client("cloudformation").list_stack_resources(StackName=STACK)["StackResourceSummaries"]
        return sorted((s["LogicalResourceId"], s["ResourceType"], bool(s["PhysicalResourceId"])) for s in summaries)

    with (
        compat.PATCHES.without("patch_unsupported_resource_types_listed_blank"),
        pytest.warns(UserWarning, match="AWS::S3::BucketPolicy but it's not supported"),
    ):
        assert deploy(template) == "CREATE_COMPLETE"
        assert ("", "", False) in listed()
        client("cloudformation").delete_stack(StackName=STACK)

    assert deploy(template) == "CREATE_COMPLETE"
    assert listed() == [("Bucket", "AWS::S3::Bucket", True), ("BucketPolicy", "AWS::S3::BucketPolicy", True)]
    client("cloudformation").delete_stack(StackName=STACK)
    assert client("s3").list_buckets()["Buckets"] == []


# --- Batch jobs, with a fake Docker engine ------------------------------------------------------------------------


class FakeContainer:
    """Runs until its engine's ``release`` is set, its gate (if any) is open and its duration has passed, then exits
    with the output and exit code chosen by its engine. ``stop`` is SIGTERM (exit 143), ``kill`` SIGKILL (137)."""

    def __init__(
        self,
        kwargs: dict[str, Any],
        output: list[str],
        exit_code: int,
        release: threading.Event,
        gate: threading.Event | None = None,
        duration: float = 0.0,
    ) -> None:
        self.kwargs = kwargs
        self.attrs: dict[str, Any] = {"NetworkSettings": {"Networks": {}, "IPAddress": ""}}
        stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        self._log = "".join(f"{stamp} {line}\n" for line in output).encode()
        self.output = output
        self._exit_code = exit_code
        self._release = release
        self._gate = gate
        self._duration = duration
        self.status = "running"
        self.started = time.time()
        self.stopped: float | None = None
        self.signals: list[str] = []

    @property
    def job_id(self) -> str:
        return str(self.kwargs["environment"]["AWS_BATCH_JOB_ID"])

    def _exit(self, exit_code: int | None = None) -> None:
        if self.status == "running":
            self.status = "exited"
            self.stopped = time.time()
            if exit_code is not None:
                self._exit_code = exit_code

    def reload(self) -> None:
        gate_open = self._gate is None or self._gate.is_set()
        if self._release.is_set() and gate_open and time.time() - self.started >= self._duration:
            self._exit()

    def logs(self, stdout: bool = True, stderr: bool = True, **kwargs: Any) -> bytes:
        return self._log if stdout else b""

    def wait(self) -> dict[str, int]:
        return {"StatusCode": self._exit_code}

    def stop(self, timeout: float = 10) -> None:
        self.signals.append("SIGTERM")
        self._exit(143)

    def kill(self) -> None:
        self.signals.append("SIGKILL")
        self._exit(137)

    def remove(self) -> None:
        pass


class FakeDocker:
    """Stands in for the Docker SDK client: records launches and pulls.

    A job whose environment has ``GATE=<name>`` runs until ``gates[<name>]`` is set; ``duration`` says how long a
    container runs (seconds) before it exits.
    """

    def __init__(self, local_images: set[str]) -> None:
        self.local_images = local_images
        self.launched: list[dict[str, Any]] = []
        self.containers_started: list[FakeContainer] = []
        self.pulled: list[str] = []
        self.exit_code: Callable[[dict[str, Any]], int] = lambda kwargs: 0
        self.duration: Callable[[dict[str, Any]], float] = lambda kwargs: 0.0
        self.gates: dict[str, threading.Event] = {}
        self.release = threading.Event()
        self.release.set()
        self.images = self
        self.containers = self

    def get(self, name: str) -> str:
        if name not in self.local_images:
            raise docker.errors.ImageNotFound(f"No such image: {name}")
        return name

    def run(self, **kwargs: Any) -> FakeContainer:
        if kwargs["image"] not in self.local_images:
            # What the SDK does: try to pull, which fails offline.
            self.pulled.append(kwargs["image"])
            raise docker.errors.APIError(f"pull access denied for {kwargs['image']}")
        self.launched.append(kwargs)
        output = ["job output", *(f"{name}={value}" for name, value in sorted(kwargs["environment"].items()))]
        gate = self.gates.get(kwargs["environment"].get("GATE", ""))
        container = FakeContainer(
            kwargs, output, self.exit_code(kwargs), self.release, gate=gate, duration=self.duration(kwargs)
        )
        self.containers_started.append(container)
        return container

    def containers_of(self, job_id: str) -> list[FakeContainer]:
        return [container for container in self.containers_started if container.job_id == job_id]


# Not an ECR URI: such images run from the local engine (ECR images are pulled from the emulator's registry, which
# tests/unit/test_local_registry.py and the end-to-end tier cover).
IMAGE = "batchctl-test/demo:helloworld"


@pytest.fixture
def fake_docker(aws: None, monkeypatch: pytest.MonkeyPatch) -> FakeDocker:
    engine = FakeDocker({IMAGE})
    monkeypatch.setattr(DockerModel, "docker_client", property(lambda model: engine))
    return engine


def create_queue(log_configuration: dict[str, Any] | None = None) -> None:
    template = batch_template()
    container = template["Resources"]["JobDefinition"]["Properties"]["ContainerProperties"]
    container["Image"] = IMAGE
    container["Environment"] = [{"Name": "FROM_DEFINITION", "Value": "definition"}, {"Name": "SHARED", "Value": "jd"}]
    if log_configuration is not None:
        container["LogConfiguration"] = log_configuration
    assert deploy(template) == "CREATE_COMPLETE"


def submit(**kwargs: Any) -> str:
    response = client("batch").submit_job(jobName="hello", jobQueue="demo-queue", jobDefinition="demo-job", **kwargs)
    return str(response["jobId"])


def describe(job_id: str) -> dict[str, Any]:
    return dict(client("batch").describe_jobs(jobs=[job_id])["jobs"][0])


def wait_for(job_id: str, statuses: set[str], timeout: float = 30) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        job = describe(job_id)
        if job["status"] in statuses:
            return job
        assert time.monotonic() < deadline, f"job {job_id} still {job['status']}"
        time.sleep(0.1)


def wait_for_children(job_id: str, size: int) -> None:
    for index in range(size):
        wait_for(f"{job_id}:{index}", {"SUCCEEDED", "FAILED"})


def env_of(launch: dict[str, Any]) -> dict[str, str]:
    return dict(launch["environment"])


def test_patch_job_container_lacks_aws_environment(fake_docker: FakeDocker) -> None:
    create_queue()
    overrides = {
        "environment": [
            {"name": "SHARED", "value": "submit"},
            {"name": "AWS_REGION", "value": "eu-west-1"},
            {"name": "AWS_BATCH_JOB_ID", "value": "not-allowed"},
        ]
    }

    with compat.PATCHES.without("patch_job_container_lacks_aws_environment"):
        single = submit()
        wait_for(single, {"SUCCEEDED"})
        assert "AWS_ENDPOINT_URL" not in env_of(fake_docker.launched[-1])

    fake_docker.launched.clear()
    parent = submit(arrayProperties={"size": 2}, containerOverrides=overrides)
    wait_for_children(parent, 2)
    launches = sorted(fake_docker.launched, key=lambda launch: env_of(launch)["AWS_BATCH_JOB_ARRAY_INDEX"])
    assert len(launches) == 2
    for index, launch in enumerate(launches):
        env = env_of(launch)
        assert env["AWS_ENDPOINT_URL"] == "http://127.0.0.1:4711"
        assert env["MOTO_HOST"] == "http://127.0.0.1"
        assert (env["AWS_ACCESS_KEY_ID"], env["AWS_SECRET_ACCESS_KEY"]) == ("test", "test")
        assert env["AWS_DEFAULT_REGION"] == REGION
        assert env["AWS_REGION"] == "eu-west-1"  # submit-time value wins over the default
        assert env["SHARED"] == "submit"  # submit-time value wins over the job definition
        assert env["FROM_DEFINITION"] == "definition"
        assert env["AWS_BATCH_JOB_ID"] == f"{parent}:{index}"  # reserved: Batch's value always
        assert env["AWS_BATCH_JOB_ATTEMPT"] == "1"
        assert env["AWS_BATCH_JQ_NAME"] == "demo-queue"
        assert env["AWS_BATCH_CE_NAME"] == "demo-ce"
        assert env["AWS_BATCH_JOB_ARRAY_INDEX"] == str(index)
        assert env["AWS_BATCH_JOB_ARRAY_SIZE"] == "2"


def test_patch_job_environment_accumulates_on_every_read(fake_docker: FakeDocker) -> None:
    create_queue()
    overrides = {"environment": [{"name": "SHARED", "value": "submit"}]}

    def sizes(job_id: str) -> list[int]:
        return [len(describe(job_id)["container"]["environment"]) for _ in range(3)]

    with compat.PATCHES.without("patch_job_environment_accumulates_on_every_read"):
        job_id = submit(containerOverrides=overrides)
        wait_for(job_id, {"SUCCEEDED"})
        growing = sizes(job_id)
        assert growing[0] < growing[1] < growing[2]

    job_id = submit(containerOverrides=overrides)
    wait_for(job_id, {"SUCCEEDED"})
    assert sizes(job_id) == [3, 3, 3]
    environment = {entry["name"]: entry["value"] for entry in describe(job_id)["container"]["environment"]}
    assert environment == {"SHARED": "submit", "FROM_DEFINITION": "definition", "AWS_BATCH_JOB_ID": job_id}


def test_patch_job_image_pulled_when_missing_locally(fake_docker: FakeDocker) -> None:
    create_queue()
    fake_docker.local_images.clear()

    with compat.PATCHES.without("patch_job_image_pulled_when_missing_locally"):
        job = wait_for(submit(), {"SUCCEEDED", "FAILED"})
        assert job["status"] == "FAILED"
        assert "statusReason" not in job
        assert fake_docker.pulled == [IMAGE]

    fake_docker.pulled.clear()
    job = wait_for(submit(), {"SUCCEEDED", "FAILED"})
    assert job["status"] == "FAILED"
    assert job["statusReason"].startswith(f"CannotPullContainerError: image {IMAGE} is not in the local Docker engine")
    assert job["attempts"][-1]["container"]["reason"] == job["statusReason"]  # what onReason rules match
    assert fake_docker.pulled == []

    fake_docker.local_images.add(IMAGE)
    assert wait_for(submit(), {"SUCCEEDED", "FAILED"})["status"] == "SUCCEEDED"
    assert fake_docker.pulled == []


def test_patch_job_log_configuration_ignored(fake_docker: FakeDocker) -> None:
    logs = client("logs")
    logs.create_log_group(logGroupName="/demo/jobs")
    create_queue({"LogDriver": "awslogs", "Options": {"awslogs-group": "/demo/jobs", "awslogs-stream-prefix": "hello"}})

    with compat.PATCHES.without("patch_job_log_configuration_ignored"):
        job_id = submit()
        wait_for(job_id, {"SUCCEEDED"})
        assert logs.describe_log_streams(logGroupName="/demo/jobs")["logStreams"] == []

    fake_docker.release.clear()
    job_id = submit()
    running = wait_for(job_id, {"RUNNING"})
    stream = running["container"]["logStreamName"]
    assert stream.startswith("hello/default/")
    assert len(stream.rsplit("/", 1)[1]) == 32  # an ECS task id
    assert [s["logStreamName"] for s in logs.describe_log_streams(logGroupName="/demo/jobs")["logStreams"]] == [stream]

    fake_docker.release.set()
    finished = wait_for(job_id, {"SUCCEEDED"})
    assert finished["container"]["logStreamName"] == stream
    assert finished["attempts"][0]["container"]["logStreamName"] == stream
    messages = [
        event["message"] for event in logs.get_log_events(logGroupName="/demo/jobs", logStreamName=stream)["events"]
    ]
    assert messages[0] == "job output"
    assert f"AWS_BATCH_JOB_ID={job_id}" in messages


def test_patch_job_log_configuration_defaults_follow_aws(fake_docker: FakeDocker) -> None:
    create_queue()
    job = wait_for(submit(), {"SUCCEEDED"})
    stream = job["container"]["logStreamName"]
    assert stream.startswith("demo-job/default/")
    events = client("logs").get_log_events(logGroupName="/aws/batch/job", logStreamName=stream)["events"]
    assert events[0]["message"] == "job output"


def test_patch_job_logs_arrive_only_when_job_ends(fake_docker: FakeDocker) -> None:
    create_queue()
    logs = client("logs")

    def messages(stream: str) -> list[str]:
        events = logs.get_log_events(logGroupName="/aws/batch/job", logStreamName=stream)["events"]
        return [event["message"] for event in events]

    fake_docker.release.clear()
    with compat.PATCHES.without("patch_job_logs_arrive_only_when_job_ends"):
        job_id = submit()
        stream = wait_for(job_id, {"RUNNING"})["container"]["logStreamName"]
        time.sleep(1.5)
        assert messages(stream) == []
        fake_docker.release.set()
        wait_for(job_id, {"SUCCEEDED"})

    fake_docker.release.clear()
    job_id = submit()
    stream = wait_for(job_id, {"RUNNING"})["container"]["logStreamName"]
    deadline = time.monotonic() + 10
    while not messages(stream):
        assert time.monotonic() < deadline, "no log line arrived while the job was running"
        time.sleep(0.1)
    assert describe(job_id)["status"] == "RUNNING"
    assert messages(stream)[0] == "job output"

    fake_docker.release.set()
    wait_for(job_id, {"SUCCEEDED"})
    assert messages(stream) == fake_docker.containers_started[-1].output  # every line once


def test_patch_array_job_parent_never_fails(fake_docker: FakeDocker) -> None:
    create_queue()
    fake_docker.exit_code = lambda kwargs: 1 if kwargs["name"].endswith("-1") else 0

    with compat.PATCHES.without("patch_array_job_parent_never_fails"):
        parent = submit(arrayProperties={"size": 2})
        wait_for_children(parent, 2)
        assert describe(parent)["status"] == "SUBMITTED"

    parent = submit(arrayProperties={"size": 2})
    wait_for_children(parent, 2)
    job = describe(parent)
    assert job["status"] == "FAILED"
    assert job["arrayProperties"]["statusSummary"]["FAILED"] == 1
    assert "stoppedAt" in job
    listed = client("batch").list_jobs(jobQueue="demo-queue", jobStatus="FAILED")["jobSummaryList"]
    assert parent in [summary["jobId"] for summary in listed]

    fake_docker.exit_code = lambda kwargs: 0
    parent = submit(arrayProperties={"size": 2})
    wait_for_children(parent, 2)
    assert describe(parent)["status"] == "SUCCEEDED"


def test_patch_job_exit_code_missing_from_describe_jobs(fake_docker: FakeDocker) -> None:
    create_queue()
    fake_docker.exit_code = lambda kwargs: 3

    with compat.PATCHES.without("patch_job_exit_code_missing_from_describe_jobs"):
        job = wait_for(submit(), {"SUCCEEDED", "FAILED"})
        assert job["status"] == "FAILED"
        assert "exitCode" not in job["container"]
        assert "exitCode" not in job["attempts"][-1]["container"]

    job = wait_for(submit(), {"SUCCEEDED", "FAILED"})
    assert job["status"] == "FAILED"
    assert job["container"]["exitCode"] == 3
    assert job["attempts"][-1]["container"]["exitCode"] == 3


# --- Batch jobs: scheduling, attempts, cancellation ---------------------------------------------------------------

TERMINAL = {"SUCCEEDED", "FAILED"}


@pytest.fixture
def fast_jobs(fake_docker: FakeDocker, monkeypatch: pytest.MonkeyPatch) -> FakeDocker:
    """moto's job loop polls every 0.5 s in each state; 20 ms keeps these multi-job scenarios short."""

    def fast_sleep(seconds: float) -> None:
        time.sleep(min(seconds, 0.02))

    monkeypatch.setattr(batch_models, "sleep", fast_sleep)
    monkeypatch.setattr(batch_models, "time", SimpleNamespace(sleep=fast_sleep, mktime=time.mktime))
    monkeypatch.setattr(dependencies, "POLL_SECONDS", 0.02)
    monkeypatch.setattr(attempts, "_WATCH_INTERVAL", 0.02)
    return fake_docker


def deploy_jobs_stack(
    max_vcpus: int = 16,
    *,
    retry_strategy: dict[str, Any] | None = None,
    urgent_queue_priority: int | None = None,
    overflow_vcpus: int | None = None,
) -> None:
    """The demo stack with the job image, ``max_vcpus`` on its compute environment and, optionally, a retry
    strategy, a second queue on the same environment, and a second environment after the first in the queue's order."""
    template = batch_template()
    resources = template["Resources"]
    resources["ComputeEnvironment"]["Properties"]["ComputeResources"]["MaxvCpus"] = max_vcpus
    definition = resources["JobDefinition"]["Properties"]
    definition["ContainerProperties"]["Image"] = IMAGE
    if retry_strategy is not None:
        definition["RetryStrategy"] = retry_strategy
    if urgent_queue_priority is not None:
        urgent = copy.deepcopy(resources["JobQueue"])
        urgent["Properties"].update(JobQueueName="urgent-queue", Priority=urgent_queue_priority)
        resources["UrgentQueue"] = urgent
    if overflow_vcpus is not None:
        overflow = copy.deepcopy(resources["ComputeEnvironment"])
        overflow["Properties"]["ComputeEnvironmentName"] = "demo-overflow"
        overflow["Properties"]["ComputeResources"]["MaxvCpus"] = overflow_vcpus
        resources["OverflowEnvironment"] = overflow
        resources["JobQueue"]["Properties"]["ComputeEnvironmentOrder"].append(
            {"Order": 2, "ComputeEnvironment": {"Ref": "OverflowEnvironment"}}
        )
    assert deploy(template) == "CREATE_COMPLETE"


def submit_named(name: str, queue: str = "demo-queue", gate: str | None = None, **kwargs: Any) -> str:
    """Submit job ``name``; with ``gate`` its container runs until ``fake_docker.gates[gate]`` is set."""
    if gate is not None:
        overrides = kwargs.setdefault("containerOverrides", {})
        overrides.setdefault("environment", []).append({"name": "GATE", "value": gate})
    response = client("batch").submit_job(jobName=name, jobQueue=queue, jobDefinition="demo-job", **kwargs)
    return str(response["jobId"])


def backend_job(job_id: str) -> Job:
    return batch_backends[ACCOUNT][REGION]._jobs[job_id]


def wait_until(condition: Callable[[], bool], what: str, timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting until {what}"
        time.sleep(0.01)


def wait_until_queued(job_id: str) -> None:
    """RUNNABLE and ready to start, held back only by capacity."""
    wait_until(lambda: scheduler.waiting_for_capacity(backend_job(job_id)), f"{job_id} waits for capacity")


def wait_for_all(job_ids: list[str]) -> list[dict[str, Any]]:
    return [wait_for(job_id, TERMINAL) for job_id in job_ids]


def interval(container: FakeContainer) -> tuple[float, float]:
    assert container.stopped is not None
    return container.started, container.stopped


def max_overlap(intervals: list[tuple[float, float]]) -> int:
    """The largest number of intervals that share an instant."""
    events = sorted([(start, 1) for start, _ in intervals] + [(end, -1) for _, end in intervals])
    running = peak = 0
    for _, change in events:
        running += change
        peak = max(peak, running)
    return peak


def only_container(fake: FakeDocker, job_id: str) -> FakeContainer:
    (container,) = fake.containers_of(job_id)
    return container


def queue_behind_blocker() -> tuple[str, str]:
    """A running "blocker" (held by the "blocker" gate) filling a 1-vCPU environment, and a job queued behind it."""
    blocker = submit_named("blocker", gate="blocker")
    wait_for(blocker, {"RUNNING"})
    queued = submit_named("queued")
    wait_until_queued(queued)
    return blocker, queued


def test_patch_job_attempt_recorded_when_runnable(fast_jobs: FakeDocker) -> None:
    deploy_jobs_stack(max_vcpus=1)
    gate = fast_jobs.gates["blocker"] = threading.Event()

    with compat.PATCHES.without("patch_job_attempt_recorded_when_runnable"):
        blocker, queued = queue_behind_blocker()
        assert len(describe(queued)["attempts"]) == 1  # an attempt that has not run
        gate.set()
        wait_for_all([blocker, queued])

    gate.clear()
    blocker, queued = queue_behind_blocker()
    assert describe(queued)["attempts"] == []
    gate.set()
    job = wait_for(queued, {"SUCCEEDED"})
    (attempt,) = job["attempts"]
    assert attempt["startedAt"] >= describe(blocker)["attempts"][0]["stoppedAt"]
    assert job["startedAt"] == attempt["startedAt"]
    assert attempt["startedAt"] >= int(only_container(fast_jobs, queued).started * 1000) - 1000


def test_patch_compute_environment_max_vcpus_ignored(fast_jobs: FakeDocker) -> None:
    deploy_jobs_stack(max_vcpus=2)
    fast_jobs.duration = lambda kwargs: 0.5

    def peak_of_four() -> int:
        jobs = [submit_named(f"job{number}") for number in range(4)]
        assert {job["status"] for job in wait_for_all(jobs)} == {"SUCCEEDED"}
        return max_overlap([interval(only_container(fast_jobs, job)) for job in jobs])

    with compat.PATCHES.without("patch_compute_environment_max_vcpus_ignored"):
        assert peak_of_four() == 4

    assert peak_of_four() == 2


def test_capacity_goes_by_queue_priority_then_submission_order(fast_jobs: FakeDocker) -> None:
    deploy_jobs_stack(max_vcpus=1, urgent_queue_priority=100)
    gate = fast_jobs.gates["blocker"] = threading.Event()
    blocker = submit_named("blocker", gate="blocker")
    wait_for(blocker, {"RUNNING"})
    first, second = submit_named("first"), submit_named("second")
    urgent = submit_named("urgent", queue="urgent-queue")
    for job_id in (first, second, urgent):
        wait_until_queued(job_id)
        assert describe(job_id)["status"] == "RUNNABLE"

    gate.set()
    wait_for_all([first, second, urgent])
    started = sorted(fast_jobs.containers_started, key=lambda container: container.started)
    assert [container.job_id for container in started] == [blocker, urgent, first, second]
    assert max_overlap([interval(container) for container in started]) == 1


def test_capacity_counts_vcpus_and_overflows_to_the_next_environment(fast_jobs: FakeDocker) -> None:
    deploy_jobs_stack(max_vcpus=2, overflow_vcpus=1)
    gate = fast_jobs.gates["hold"] = threading.Event()
    two_vcpus = {"resourceRequirements": [{"type": "VCPU", "value": "2"}]}
    wide = submit_named("wide", gate="hold", containerOverrides=dict(two_vcpus))
    wait_for(wide, {"RUNNING"})
    narrow = submit_named("narrow", gate="hold")
    wait_for(narrow, {"RUNNING"})
    waiting = submit_named("waiting")
    wait_until_queued(waiting)

    environment_of = {
        container.job_id: container.kwargs["environment"]["AWS_BATCH_CE_NAME"]
        for container in fast_jobs.containers_started
    }
    assert environment_of == {wide: "demo-ce", narrow: "demo-overflow"}
    gate.set()
    assert {job["status"] for job in wait_for_all([wide, narrow, waiting])} == {"SUCCEEDED"}


def test_machine_vcpu_limit_bounds_every_environment(fast_jobs: FakeDocker, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(scheduler.MACHINE_VCPUS_ENV, "1")
    deploy_jobs_stack(max_vcpus=16)
    fast_jobs.duration = lambda kwargs: 0.3
    jobs = [submit_named(f"job{number}") for number in range(3)]
    # Larger than the machine: it still runs, alone.
    jobs.append(submit_named("big", containerOverrides={"resourceRequirements": [{"type": "VCPU", "value": "4"}]}))
    assert {job["status"] for job in wait_for_all(jobs)} == {"SUCCEEDED"}
    assert max_overlap([interval(only_container(fast_jobs, job)) for job in jobs]) == 1


def children_containers(fake: FakeDocker, parent: str, size: int) -> list[FakeContainer]:
    return [only_container(fake, f"{parent}:{index}") for index in range(size)]


def test_patch_job_dependency_types_ignored(fast_jobs: FakeDocker) -> None:
    deploy_jobs_stack()

    def duration(kwargs: dict[str, Any]) -> float:
        slow_first_child = (
            kwargs["name"].startswith("first-") and kwargs["environment"]["AWS_BATCH_JOB_ARRAY_INDEX"] == "0"
        )
        return 0.8 if slow_first_child else 0.05

    fast_jobs.duration = duration

    def n_to_n() -> tuple[list[FakeContainer], list[FakeContainer]]:
        first = submit_named("first", arrayProperties={"size": 2})
        second = submit_named("second", arrayProperties={"size": 2}, dependsOn=[{"jobId": first, "type": "N_TO_N"}])
        wait_for_all([f"{first}:0", f"{first}:1", f"{second}:0", f"{second}:1"])
        return children_containers(fast_jobs, first, 2), children_containers(fast_jobs, second, 2)

    with compat.PATCHES.without("patch_job_dependency_types_ignored"):
        sequential = submit_named("seq", arrayProperties={"size": 3}, dependsOn=[{"type": "SEQUENTIAL"}])
        assert {job["status"] for job in wait_for_all([f"{sequential}:{i}" for i in range(3)])} == {"FAILED"}
        first, second = n_to_n()
        assert second[1].started >= interval(first[0])[1]  # waited for the whole first array

    sequential = submit_named("seq", arrayProperties={"size": 3}, dependsOn=[{"type": "SEQUENTIAL"}])
    assert {job["status"] for job in wait_for_all([f"{sequential}:{i}" for i in range(3)])} == {"SUCCEEDED"}
    children = children_containers(fast_jobs, sequential, 3)
    assert children[1].started >= interval(children[0])[1]
    assert children[2].started >= interval(children[1])[1]

    first, second = n_to_n()
    assert second[0].started >= interval(first[0])[1]
    assert second[1].started >= interval(first[1])[1]
    assert second[1].started < interval(first[0])[1]  # child 1 did not wait for child 0 of the other array


def test_plain_dependency_on_an_array_waits_for_every_child(fast_jobs: FakeDocker) -> None:
    deploy_jobs_stack()
    fast_jobs.duration = lambda kwargs: 0.3 if kwargs["name"].startswith("first-") else 0.0
    first = submit_named("first", arrayProperties={"size": 2})
    after = submit_named("after", arrayProperties={"size": 2}, dependsOn=[{"jobId": first}])
    wait_for_all([f"{after}:0", f"{after}:1"])
    last_stop = max(interval(container)[1] for container in children_containers(fast_jobs, first, 2))
    assert min(container.started for container in children_containers(fast_jobs, after, 2)) >= last_stop


def test_patch_failed_dependency_has_no_status_reason(fast_jobs: FakeDocker) -> None:
    deploy_jobs_stack()
    fast_jobs.exit_code = lambda kwargs: 1 if kwargs["name"].startswith("doomed-") else 0

    def dependent_of_failure() -> dict[str, Any]:
        doomed = submit_named("doomed")
        after = submit_named("after", dependsOn=[{"jobId": doomed}])
        assert wait_for(doomed, TERMINAL)["status"] == "FAILED"
        return wait_for(after, TERMINAL)

    with compat.PATCHES.without("patch_failed_dependency_has_no_status_reason"):
        job = dependent_of_failure()
        assert job["status"] == "FAILED"
        assert "statusReason" not in job

    job = dependent_of_failure()
    assert (job["status"], job["statusReason"]) == ("FAILED", "Dependent Job failed")
    assert job["attempts"] == []
    assert fast_jobs.containers_of(job["jobId"]) == []

    # In a SEQUENTIAL array the children after a failed one fail the same way, without running.
    fast_jobs.exit_code = lambda kwargs: 1 if kwargs["environment"]["AWS_BATCH_JOB_ARRAY_INDEX"] == "0" else 0
    chain = submit_named("chain", arrayProperties={"size": 3}, dependsOn=[{"type": "SEQUENTIAL"}])
    children = wait_for_all([f"{chain}:{index}" for index in range(3)])
    assert [child.get("statusReason") for child in children[1:]] == ["Dependent Job failed"] * 2
    assert [fast_jobs.containers_of(f"{chain}:{index}") for index in (1, 2)] == [[], []]
    assert describe(chain)["status"] == "FAILED"


def exit_codes(job: dict[str, Any]) -> list[int | None]:
    return [attempt["container"].get("exitCode") for attempt in job["attempts"]]


def test_patch_job_retry_strategy_ignored(fast_jobs: FakeDocker) -> None:
    deploy_jobs_stack(retry_strategy={"Attempts": 3})
    fast_jobs.exit_code = lambda kwargs: 0 if kwargs["environment"]["AWS_BATCH_JOB_ATTEMPT"] == "3" else 3

    with compat.PATCHES.without("patch_job_retry_strategy_ignored"):
        job = wait_for(submit_named("flaky"), TERMINAL)
        assert (job["status"], exit_codes(job)) == ("FAILED", [3])

    job_id = submit_named("flaky")
    job = wait_for(job_id, TERMINAL)
    assert (job["status"], exit_codes(job)) == ("SUCCEEDED", [3, 3, 0])
    assert [
        container.kwargs["environment"]["AWS_BATCH_JOB_ATTEMPT"] for container in fast_jobs.containers_of(job_id)
    ] == [
        "1",
        "2",
        "3",
    ]
    assert [attempt["statusReason"] for attempt in job["attempts"]] == ["Essential container in task exited"] * 3
    for earlier, later in zip(job["attempts"], job["attempts"][1:], strict=False):
        assert later["startedAt"] >= earlier["stoppedAt"] >= earlier["startedAt"]

    # Each attempt logs to a stream of its own.
    streams = [attempt["container"]["logStreamName"] for attempt in job["attempts"]]
    assert len(set(streams)) == 3
    assert job["container"]["logStreamName"] == streams[-1]
    logs = client("logs")
    for number, stream in enumerate(streams, start=1):
        events = logs.get_log_events(logGroupName="/aws/batch/job", logStreamName=stream)["events"]
        assert f"AWS_BATCH_JOB_ATTEMPT={number}" in [event["message"] for event in events]


def test_submitted_retry_strategy_replaces_the_definitions(fast_jobs: FakeDocker) -> None:
    deploy_jobs_stack(retry_strategy={"Attempts": 3})
    fast_jobs.exit_code = lambda kwargs: int(kwargs["environment"]["EXIT_CODE"])

    def run(exit_code: int, strategy: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        overrides = {"environment": [{"name": "EXIT_CODE", "value": str(exit_code)}]}
        job_id = submit_named("job", containerOverrides=overrides, retryStrategy=strategy, **kwargs)
        return wait_for(job_id, TERMINAL)

    assert exit_codes(run(3, {"attempts": 1})) == [3]
    exit_rule = {"attempts": 3, "evaluateOnExit": [{"onExitCode": "3", "action": "EXIT"}]}
    assert exit_codes(run(3, exit_rule)) == [3]
    assert exit_codes(run(4, exit_rule)) == [4, 4, 4]  # no rule matches: retried
    prefix_rules = {
        "attempts": 2,
        "evaluateOnExit": [{"onExitCode": "4*", "action": "retry"}, {"onReason": "*", "action": "exit"}],
    }
    assert exit_codes(run(42, prefix_rules)) == [42, 42]
    assert exit_codes(run(3, prefix_rules)) == [3]

    parent = submit_named(
        "array",
        arrayProperties={"size": 2},
        retryStrategy={"attempts": 2},
        containerOverrides={"environment": [{"name": "EXIT_CODE", "value": "5"}]},
    )
    children = wait_for_all([f"{parent}:0", f"{parent}:1"])
    assert [exit_codes(child) for child in children] == [[5, 5], [5, 5]]
    assert describe(parent)["status"] == "FAILED"


@pytest.mark.parametrize(
    ("rules", "exit_code", "reason", "status_reason", "action"),
    [
        ([], 1, "", "", "RETRY"),
        ([{"onExitCode": "1", "action": "exit"}], 1, "", "", "EXIT"),
        ([{"onExitCode": "1", "action": "EXIT"}], 10, "", "", "RETRY"),
        ([{"onExitCode": "1*", "action": "EXIT"}], 10, "", "", "EXIT"),
        ([{"onStatusReason": "Host EC2*", "action": "RETRY"}, {"onReason": "*", "action": "EXIT"}], 1, "", "x", "EXIT"),
        (
            [{"onStatusReason": "Host EC2*", "action": "RETRY"}, {"onReason": "*", "action": "EXIT"}],
            143,
            "",
            "Host EC2 (instance i-0123456789abcdef0) terminated.",
            "RETRY",
        ),
        (
            [{"onReason": "CannotPullContainerError:*", "action": "EXIT"}],
            None,
            "CannotPullContainerError: x",
            "",
            "EXIT",
        ),
        ([{"onExitCode": "1", "onStatusReason": "other", "action": "EXIT"}], 1, "", "Essential", "RETRY"),
    ],
)
def test_evaluate_on_exit_first_matching_rule_decides(
    rules: list[dict[str, str]], exit_code: int | None, reason: str, status_reason: str, action: str
) -> None:
    assert retries.exit_action(rules, exit_code, reason, status_reason) == action


def test_patch_container_exit_has_no_status_reason(fast_jobs: FakeDocker) -> None:
    deploy_jobs_stack()
    with compat.PATCHES.without("patch_container_exit_has_no_status_reason"):
        job = wait_for(submit_named("done"), TERMINAL)
        assert "statusReason" not in job

    job = wait_for(submit_named("done"), TERMINAL)
    assert job["statusReason"] == job["attempts"][0]["statusReason"] == "Essential container in task exited"


def test_patch_job_timeout_fails_without_reason(fast_jobs: FakeDocker) -> None:
    deploy_jobs_stack(max_vcpus=1, retry_strategy={"Attempts": 2})
    gate = fast_jobs.gates["blocker"] = threading.Event()
    fast_jobs.gates["forever"] = threading.Event()

    def timed_out_after_queueing() -> dict[str, Any]:
        blocker = submit_named("blocker", gate="blocker")
        wait_for(blocker, {"RUNNING"})
        slow = submit_named("slow", gate="forever", timeout={"attemptDurationSeconds": 1})
        wait_until_queued(slow)
        time.sleep(1.2)  # longer in the queue than the timeout: only time running counts
        gate.set()
        job = wait_for(slow, TERMINAL, timeout=20)
        gate.clear()
        return job

    with compat.PATCHES.without("patch_job_timeout_fails_without_reason"):
        job = timed_out_after_queueing()
        assert job["status"] == "FAILED"
        assert "statusReason" not in job
        assert len(job["attempts"]) == 2  # retried

    job = timed_out_after_queueing()
    assert (job["status"], job["statusReason"]) == ("FAILED", "Job attempt duration exceeded timeout")
    (attempt,) = job["attempts"]  # a timed-out job is not retried
    assert attempt["statusReason"] == "Job attempt duration exceeded timeout"
    container = only_container(fast_jobs, job["jobId"])
    assert container.signals == ["SIGTERM"]
    started, stopped = interval(container)
    assert 1.0 <= stopped - started < 5


def test_patch_cancelled_job_still_starts(fast_jobs: FakeDocker) -> None:
    deploy_jobs_stack(max_vcpus=1)
    gate = fast_jobs.gates["blocker"] = threading.Event()
    batch = client("batch")

    with compat.PATCHES.without("patch_cancelled_job_still_starts"):
        blocker, queued = queue_behind_blocker()
        batch.cancel_job(jobId=queued, reason="not needed")
        assert wait_for(queued, TERMINAL)["status"] == "FAILED"
        assert fast_jobs.containers_of(queued) != []  # started, then killed
        gate.set()
        wait_for(blocker, TERMINAL)

    gate.clear()
    blocker, queued = queue_behind_blocker()
    pending = submit_named("pending", dependsOn=[{"jobId": blocker}])
    wait_for(pending, {"PENDING"})
    batch.cancel_job(jobId=queued, reason="not needed")
    batch.terminate_job(jobId=pending, reason="not wanted")  # a job that has not started is cancelled
    for job_id, reason in ((queued, "not needed"), (pending, "not wanted")):
        job = describe(job_id)  # at once, not when capacity frees
        assert (job["status"], job["statusReason"], job["attempts"]) == ("FAILED", reason, [])
        assert job.get("startedAt", 0) < 86_400_000  # moto's "never": 1 January 1970
    gate.set()
    assert wait_for(blocker, TERMINAL)["status"] == "SUCCEEDED"
    assert fast_jobs.containers_of(queued) == fast_jobs.containers_of(pending) == []


def test_patch_array_job_cancel_ignores_children(fast_jobs: FakeDocker) -> None:
    deploy_jobs_stack(max_vcpus=1)
    gate = fast_jobs.gates["hold"] = threading.Event()
    batch = client("batch")

    def array_with_one_running_child() -> str:
        parent = submit_named("array", gate="hold", arrayProperties={"size": 3})
        wait_until(
            lambda: sum(describe(f"{parent}:{index}")["status"] == "RUNNING" for index in range(3)) == 1,
            "one child runs",
        )
        return parent

    with compat.PATCHES.without("patch_array_job_cancel_ignores_children"):
        parent = array_with_one_running_child()
        batch.cancel_job(jobId=parent, reason="stop the array")
        gate.set()
        children = wait_for_all([f"{parent}:{index}" for index in range(3)])
        assert [child["status"] for child in children] == ["SUCCEEDED"] * 3

    gate.clear()
    parent = array_with_one_running_child()
    batch.cancel_job(jobId=parent, reason="stop the array")
    statuses = {index: describe(f"{parent}:{index}") for index in range(3)}
    running = [index for index, child in statuses.items() if child["status"] == "RUNNING"]
    assert len(running) == 1  # cancelling leaves a started child alone
    for index, child in statuses.items():
        if index not in running:
            assert (child["status"], child["statusReason"]) == ("FAILED", "stop the array")
            assert fast_jobs.containers_of(f"{parent}:{index}") == []

    batch.terminate_job(jobId=parent, reason="stop it all")
    child = wait_for(f"{parent}:{running[0]}", TERMINAL)
    assert (child["status"], child["statusReason"]) == ("FAILED", "stop it all")
    assert only_container(fast_jobs, f"{parent}:{running[0]}").signals == ["SIGKILL"]
    assert describe(parent)["status"] == "FAILED"


# --- Spot interruptions -------------------------------------------------------------------------------------------

SPOT_RULES = {
    "Attempts": 2,
    "EvaluateOnExit": [{"Action": "RETRY", "OnStatusReason": "Host EC2*"}, {"Action": "EXIT", "OnReason": "*"}],
}


def running_with_container(job_id: str) -> None:
    wait_for(job_id, {"RUNNING"})
    wait_until(lambda: state_of(backend_job(job_id)).container is not None, f"{job_id} has a container")


def test_interrupt_fails_the_attempt_as_a_spot_reclaim_and_the_retry_rule_applies(fast_jobs: FakeDocker) -> None:
    deploy_jobs_stack(retry_strategy=SPOT_RULES)
    gate = fast_jobs.gates["hold"] = threading.Event()
    job_id = submit_named("reclaimed", gate="hold")
    running_with_container(job_id)

    result = interruption.interrupt(job_id)
    assert re.fullmatch(r"Host EC2 \(instance i-[0-9a-f]{17}\) terminated\.", result.status_reason)
    wait_until(lambda: len(fast_jobs.containers_of(job_id)) == 2, "the second attempt starts")
    gate.set()
    job = wait_for(job_id, TERMINAL)
    assert job["status"] == "SUCCEEDED"
    first, second = job["attempts"]
    assert (first["statusReason"], first["container"]["exitCode"]) == (result.status_reason, 143)
    assert second["container"]["exitCode"] == 0
    assert fast_jobs.containers_of(job_id)[0].signals == ["SIGTERM"]

    # The same rules end a job that fails on its own: EXIT on any other reason.
    fast_jobs.exit_code = lambda kwargs: 3
    job = wait_for(submit_named("broken"), TERMINAL)
    assert (job["status"], exit_codes(job)) == ("FAILED", [3])


def test_interrupt_refuses_jobs_that_are_not_running(fast_jobs: FakeDocker) -> None:
    deploy_jobs_stack(max_vcpus=1)
    gate = fast_jobs.gates["hold"] = threading.Event()
    with pytest.raises(interruption.JobNotFoundError, match="job nope not found"):
        interruption.interrupt("nope")

    parent = submit_named("array", gate="hold", arrayProperties={"size": 2})
    running_with_container(f"{parent}:0")
    wait_until_queued(f"{parent}:1")
    with pytest.raises(interruption.JobNotRunningError, match="is an array job"):
        interruption.interrupt(parent)
    with pytest.raises(interruption.JobNotRunningError, match="is RUNNABLE, not RUNNING"):
        interruption.interrupt(f"{parent}:1")
    gate.set()
    wait_for_all([f"{parent}:0", f"{parent}:1"])
    with pytest.raises(interruption.JobNotRunningError, match="is SUCCEEDED, not RUNNING"):
        interruption.interrupt(f"{parent}:0")


def test_cancelled_terminated_and_never_run_jobs_are_not_retried(fast_jobs: FakeDocker) -> None:
    deploy_jobs_stack(max_vcpus=1, retry_strategy={"Attempts": 3})
    gate = fast_jobs.gates["hold"] = threading.Event()
    fast_jobs.exit_code = lambda kwargs: 1 if kwargs["name"].startswith("doomed-") else 0
    batch = client("batch")

    running = submit_named("running", gate="hold")
    wait_for(running, {"RUNNING"})
    queued = submit_named("queued")
    wait_until_queued(queued)
    batch.cancel_job(jobId=queued, reason="cancelled")
    batch.terminate_job(jobId=running, reason="terminated")
    assert [len(wait_for(job_id, TERMINAL)["attempts"]) for job_id in (running, queued)] == [1, 0]

    gate.set()
    doomed = submit_named("doomed")
    after = submit_named("after", dependsOn=[{"jobId": doomed}])
    assert exit_codes(wait_for(doomed, TERMINAL)) == [1, 1, 1]
    assert wait_for(after, TERMINAL)["attempts"] == []
