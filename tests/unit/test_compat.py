"""One test per compatibility patch: the scenario works with the patch and fails without it (moto 5.2.5).

CloudFormation scenarios run against moto in-process. Job scenarios run moto's real Batch job loop with a fake Docker
client, so they need no Docker engine; the end-to-end tests run the same behaviour with real containers.
"""

from __future__ import annotations

import copy
import json
import sys
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import boto3
import docker.errors
import pytest
from moto import mock_aws
from moto.batch.models import BatchBackend
from moto.utilities.docker_utilities import DockerModel

from batchctl.local import compat

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
    """Exits at once (or when ``release`` is set) with the output and exit code chosen by its engine."""

    def __init__(self, kwargs: dict[str, Any], output: list[str], exit_code: int, release: threading.Event) -> None:
        self.kwargs = kwargs
        self.attrs: dict[str, Any] = {"NetworkSettings": {"Networks": {}, "IPAddress": ""}}
        stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        self._log = "".join(f"{stamp} {line}\n" for line in output).encode()
        self.output = output
        self._exit_code = exit_code
        self._release = release
        self.status = "running"

    def reload(self) -> None:
        if self._release.is_set():
            self.status = "exited"

    def logs(self, stdout: bool = True, stderr: bool = True, **kwargs: Any) -> bytes:
        return self._log if stdout else b""

    def wait(self) -> dict[str, int]:
        return {"StatusCode": self._exit_code}

    def kill(self) -> None:
        self.status = "exited"

    def remove(self) -> None:
        pass


class FakeDocker:
    """Stands in for the Docker SDK client: records launches and pulls."""

    def __init__(self, local_images: set[str]) -> None:
        self.local_images = local_images
        self.launched: list[dict[str, Any]] = []
        self.containers_started: list[FakeContainer] = []
        self.pulled: list[str] = []
        self.exit_code: Callable[[dict[str, Any]], int] = lambda kwargs: 0
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
        container = FakeContainer(kwargs, output, self.exit_code(kwargs), self.release)
        self.containers_started.append(container)
        return container


IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/demo:helloworld"


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
