"""A realistic Batch stack through the emulator: create change set, update change set, delete.

The template (tests/integration/data/batch_stack.json) has a few resources of every kind a batchctl cluster uses:
VPC, subnets, internet gateway and routes, security group with all-traffic rules, launch template, IAM roles and
instance profile, S3 buckets with bucket policies, an ECR repository with a lifecycle policy, a log group, and a
Batch compute environment, job queue and job definition.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from tests.emulator_fixtures import Emulator

pytestmark = pytest.mark.integration

TEMPLATE_PATH = Path(__file__).parent / "data" / "batch_stack.json"
STACK = "emulator-stack"
CREATE_TYPES = {
    "AWS::EC2::VPC",
    "AWS::EC2::Subnet",
    "AWS::EC2::InternetGateway",
    "AWS::EC2::VPCGatewayAttachment",
    "AWS::EC2::RouteTable",
    "AWS::EC2::Route",
    "AWS::EC2::SubnetRouteTableAssociation",
    "AWS::EC2::SecurityGroup",
    "AWS::EC2::SecurityGroupIngress",
    "AWS::EC2::SecurityGroupEgress",
    "AWS::EC2::LaunchTemplate",
    "AWS::IAM::Role",
    "AWS::IAM::InstanceProfile",
    "AWS::S3::Bucket",
    "AWS::S3::BucketPolicy",
    "AWS::ECR::Repository",
    "AWS::Logs::LogGroup",
    "AWS::Batch::ComputeEnvironment",
    "AWS::Batch::JobQueue",
    "AWS::Batch::JobDefinition",
}


def load_template() -> dict[str, Any]:
    return dict(json.loads(TEMPLATE_PATH.read_text()))


def run_change_set(
    emulator: Emulator, template: dict[str, Any], change_set_type: str, name: str, parameters: list[dict[str, str]]
) -> dict[str, Any]:
    """Create a change set, wait for it, describe it, execute it and wait for the stack, as a deploy does."""
    cloudformation = emulator.client("cloudformation")
    created = cloudformation.create_change_set(
        StackName=STACK,
        ChangeSetName=name,
        ChangeSetType=change_set_type,
        TemplateBody=json.dumps(template),
        Parameters=parameters,
        Capabilities=["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM"],
    )
    cloudformation.get_waiter("change_set_create_complete").wait(
        ChangeSetName=created["Id"], WaiterConfig={"Delay": 1, "MaxAttempts": 30}
    )
    described = cloudformation.describe_change_set(ChangeSetName=created["Id"])
    cloudformation.execute_change_set(ChangeSetName=created["Id"])
    waiter = "stack_create_complete" if change_set_type == "CREATE" else "stack_update_complete"
    cloudformation.get_waiter(waiter).wait(StackName=STACK, WaiterConfig={"Delay": 1, "MaxAttempts": 60})
    return dict(described)


def outputs(emulator: Emulator) -> dict[str, str]:
    stack = emulator.client("cloudformation").describe_stacks(StackName=STACK)["Stacks"][0]
    return {output["OutputKey"]: output["OutputValue"] for output in stack["Outputs"]}


def create_stack(emulator: Emulator, template: dict[str, Any]) -> dict[str, str]:
    cloudformation = emulator.client("cloudformation")
    batch = emulator.client("batch")
    created = run_change_set(emulator, template, "CREATE", "create-1", [])
    assert created["Status"] == "CREATE_COMPLETE"
    assert {change["ResourceChange"]["Action"] for change in created["Changes"]} == {"Add"}
    assert {change["ResourceChange"]["ResourceType"] for change in created["Changes"]} == CREATE_TYPES

    stack = cloudformation.describe_stacks(StackName=STACK)["Stacks"][0]
    assert stack["StackStatus"] == "CREATE_COMPLETE"
    events = cloudformation.describe_stack_events(StackName=STACK)["StackEvents"]
    assert events[0]["ResourceStatus"] == "CREATE_COMPLETE"
    assert not [event for event in events if event["ResourceStatus"].endswith("FAILED")]

    created_outputs = outputs(emulator)
    assert set(created_outputs) == {
        "JobQueueArn",
        "ComputeEnvironmentArn",
        "JobDefinitionArn",
        "DataBucketName",
        "RepositoryUri",
        "JobLogGroupName",
    }
    environment_arn = created_outputs["ComputeEnvironmentArn"]
    (environment,) = batch.describe_compute_environments(computeEnvironments=[environment_arn])["computeEnvironments"]
    assert (environment["status"], environment["state"], environment["type"]) == ("VALID", "ENABLED", "MANAGED")
    assert environment["computeResources"]["maxvCpus"] == 16
    (queue,) = batch.describe_job_queues(jobQueues=[created_outputs["JobQueueArn"]])["jobQueues"]
    assert (queue["state"], queue["status"], queue["priority"]) == ("ENABLED", "VALID", 10)
    assert queue["computeEnvironmentOrder"] == [{"order": 1, "computeEnvironment": environment_arn}]
    definition_arn = created_outputs["JobDefinitionArn"]
    (definition,) = batch.describe_job_definitions(jobDefinitions=[definition_arn])["jobDefinitions"]
    assert (definition["status"], definition["revision"]) == ("ACTIVE", 1)
    assert definition["parameters"] == {"Greeting": "hello"}
    log_options = definition["containerProperties"]["logConfiguration"]["options"]
    assert log_options["awslogs-group"] == created_outputs["JobLogGroupName"]

    emulator.client("s3").head_bucket(Bucket=created_outputs["DataBucketName"])
    repository = created_outputs["RepositoryUri"].split("/", 1)[1]
    assert emulator.client("ecr").describe_repositories(repositoryNames=[repository])["repositories"]
    resource = cloudformation.describe_stack_resource(StackName=STACK, LogicalResourceId="ComputeSecurityGroup")
    group_id = resource["StackResourceDetail"]["PhysicalResourceId"]
    (group,) = emulator.client("ec2").describe_security_groups(GroupIds=[group_id])["SecurityGroups"]
    assert {rule["IpProtocol"] for rule in group["IpPermissions"]} == {"-1"}
    return created_outputs


def update_stack(emulator: Emulator, template: dict[str, Any]) -> None:
    """Queue priority (a parameter), compute capacity, the job definition, and one new resource."""
    batch = emulator.client("batch")
    updated_template = copy.deepcopy(template)
    resources = updated_template["Resources"]
    resources["ComputeEnvironment"]["Properties"]["ComputeResources"]["MaxvCpus"] = 32
    resources["JobDefinition"]["Properties"]["ContainerProperties"]["Environment"].append(
        {"Name": "STAGE", "Value": "updated"}
    )
    resources["AuditLogGroup"] = {"Type": "AWS::Logs::LogGroup", "Properties": {"RetentionInDays": 7}}
    priority = [{"ParameterKey": "QueuePriority", "ParameterValue": "20"}]
    updated = run_change_set(emulator, updated_template, "UPDATE", "update-1", priority)
    actions = {(c["ResourceChange"]["Action"], c["ResourceChange"]["LogicalResourceId"]) for c in updated["Changes"]}
    assert {("Modify", "ComputeEnvironment"), ("Modify", "JobDefinition"), ("Add", "AuditLogGroup")} <= actions
    stack = emulator.client("cloudformation").describe_stacks(StackName=STACK)["Stacks"][0]
    assert stack["StackStatus"] == "UPDATE_COMPLETE"

    updated_outputs = outputs(emulator)
    (queue,) = batch.describe_job_queues(jobQueues=[updated_outputs["JobQueueArn"]])["jobQueues"]
    assert (queue["priority"], queue["state"], queue["status"]) == (20, "ENABLED", "VALID")
    (environment,) = batch.describe_compute_environments()["computeEnvironments"]
    assert environment["computeResources"]["maxvCpus"] == 32
    assert updated_outputs["JobDefinitionArn"].endswith(":2")
    revisions = batch.describe_job_definitions(jobDefinitionName=f"{STACK}-hello")["jobDefinitions"]
    assert {d["revision"]: d["status"] for d in revisions} == {1: "INACTIVE", 2: "ACTIVE"}


def delete_stack(emulator: Emulator, created_outputs: dict[str, str]) -> None:
    cloudformation = emulator.client("cloudformation")
    batch = emulator.client("batch")
    cloudformation.delete_stack(StackName=STACK)
    cloudformation.get_waiter("stack_delete_complete").wait(
        StackName=STACK, WaiterConfig={"Delay": 1, "MaxAttempts": 60}
    )
    assert batch.describe_compute_environments()["computeEnvironments"] == []
    assert batch.describe_job_queues()["jobQueues"] == []
    revisions = batch.describe_job_definitions(jobDefinitionName=f"{STACK}-hello")["jobDefinitions"]
    assert {d["status"] for d in revisions} == {"INACTIVE"}
    assert emulator.client("logs").describe_log_groups(logGroupNamePrefix=f"/batchctl/{STACK}")["logGroups"] == []
    buckets = [bucket["Name"] for bucket in emulator.client("s3").list_buckets()["Buckets"]]
    assert created_outputs["DataBucketName"] not in buckets
    ec2 = emulator.client("ec2")
    assert [vpc["VpcId"] for vpc in ec2.describe_vpcs()["Vpcs"] if not vpc["IsDefault"]] == []
    assert ec2.describe_internet_gateways()["InternetGateways"] == []


def test_batch_stack_create_update_delete_through_change_sets(emulator: Emulator) -> None:
    template = load_template()
    created_outputs = create_stack(emulator, template)
    update_stack(emulator, template)
    delete_stack(emulator, created_outputs)


def test_failed_create_is_rolled_back_with_the_failed_resource_named(emulator: Emulator) -> None:
    cloudformation = emulator.client("cloudformation")
    template = load_template()
    order = template["Resources"]["JobQueue"]["Properties"]["ComputeEnvironmentOrder"]
    order[0]["ComputeEnvironment"] = "no-such-environment"

    created = cloudformation.create_change_set(
        StackName="broken", ChangeSetName="create-1", ChangeSetType="CREATE", TemplateBody=json.dumps(template)
    )
    cloudformation.execute_change_set(ChangeSetName=created["Id"])

    stack = cloudformation.describe_stacks(StackName="broken")["Stacks"][0]
    assert stack["StackStatus"] == "ROLLBACK_COMPLETE"
    failed = [
        event
        for event in cloudformation.describe_stack_events(StackName="broken")["StackEvents"]
        if event["ResourceStatus"] == "CREATE_FAILED"
    ]
    assert [event["LogicalResourceId"] for event in failed] == ["JobQueue"]
    assert emulator.client("batch").describe_compute_environments()["computeEnvironments"] == []
