"""One test per CloudFormation and resource compatibility patch: the scenario works with the patch and fails
without it (moto 5.2.5). The scenarios run against moto in-process.
"""

from __future__ import annotations

import copy
import json
import sys
import time
from datetime import UTC, datetime
from typing import Any

import pytest
from moto.batch.models import BatchBackend
from tests.unit.local.fakes import (
    ACCOUNT,
    REGION,
    STACK,
    batch_template,
    client,
    compute_environments,
    deploy,
    job_definitions,
    job_queues,
    stack_events,
    stack_outputs,
    stack_status,
)

from batchctl.local import cfn_batch, compat, moto_adapter

pytestmark = pytest.mark.usefixtures("patched")


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


def test_patch_job_queue_time_limit_actions_ignored(aws: None) -> None:
    actions = [{"Action": "CANCEL", "MaxTimeSeconds": 600, "Reason": "MISCONFIGURATION:JOB_RESOURCE_REQUIREMENT",
                "State": "RUNNABLE"}]  # fmt: skip
    template = batch_template()
    template["Resources"]["JobQueue"]["Properties"]["JobStateTimeLimitActions"] = actions

    def kept() -> list[dict[str, Any]]:
        return moto_adapter.time_limit_actions(cfn_batch.backend_for(ACCOUNT, REGION).get_job_queue("demo-queue"))

    with compat.PATCHES.without("patch_job_queue_time_limit_actions_ignored"):
        assert deploy(template) == "CREATE_COMPLETE"
        assert kept() == []
        client("cloudformation").delete_stack(StackName=STACK)

    assert deploy(template) == "CREATE_COMPLETE"
    expected = {"action": "CANCEL", "maxTimeSeconds": 600, "reason": "MISCONFIGURATION:JOB_RESOURCE_REQUIREMENT",
                "state": "RUNNABLE"}  # fmt: skip
    assert kept() == [expected]
    # An update replaces them, as UpdateJobQueue does.
    template["Resources"]["JobQueue"]["Properties"]["JobStateTimeLimitActions"][0]["MaxTimeSeconds"] = 900
    assert deploy(template, "UPDATE") == "UPDATE_COMPLETE"
    assert kept() == [{**expected, "maxTimeSeconds": 900}]
    # Outside AWS's 600-86400 seconds the update fails and rolls back, as CloudFormation would.
    template["Resources"]["JobQueue"]["Properties"]["JobStateTimeLimitActions"][0]["MaxTimeSeconds"] = 599
    assert deploy(template, "UPDATE") == "UPDATE_ROLLBACK_COMPLETE"
    assert kept() == [{**expected, "maxTimeSeconds": 900}]


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


# --- CloudFormation: what AWS refuses, and data that outlives a stack ---------------------------------------------


def test_patch_named_resource_replacement_allowed(aws: None) -> None:
    template = batch_template()
    assert deploy(template) == "CREATE_COMPLETE"
    # A compute environment's top-level Tags are create-only: AWS would have to replace the named environment.
    tagged = copy.deepcopy(template)
    tagged["Resources"]["ComputeEnvironment"]["Properties"]["Tags"] = {"team": "research"}

    assert deploy(tagged, "UPDATE") == "UPDATE_ROLLBACK_COMPLETE"
    failed = [event for event in stack_events() if event["ResourceStatus"] == "UPDATE_FAILED"]
    assert failed[0]["LogicalResourceId"] == "ComputeEnvironment"
    assert "cannot update a stack when a custom-named resource requires replacing" in failed[0]["ResourceStatusReason"]
    assert "Rename demo-ce and update the stack again" in failed[0]["ResourceStatusReason"]
    # Renaming is the way out: the new environment is created under its new name.
    renamed = copy.deepcopy(tagged)
    renamed["Resources"]["ComputeEnvironment"]["Properties"]["ComputeEnvironmentName"] = "demo-ce-2"
    assert deploy(renamed, "UPDATE") == "UPDATE_COMPLETE"
    assert [ce["computeEnvironmentName"] for ce in compute_environments()] == ["demo-ce-2"]

    with compat.PATCHES.without("patch_named_resource_replacement_allowed"):
        retagged = copy.deepcopy(renamed)
        retagged["Resources"]["ComputeEnvironment"]["Properties"]["Tags"] = {"team": "other"}
        assert deploy(retagged, "UPDATE") == "UPDATE_COMPLETE"


def test_patch_termination_protection_not_implemented(aws: None) -> None:
    cloudformation = client("cloudformation")
    assert deploy({"Resources": {"Vpc": {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": "10.0.0.0/16"}}}}) == (
        "CREATE_COMPLETE"
    )
    with (
        compat.PATCHES.without("patch_termination_protection_not_implemented"),
        pytest.raises(NotImplementedError, match="update_termination_protection action has not been implemented"),
    ):
        cloudformation.update_termination_protection(StackName=STACK, EnableTerminationProtection=True)

    cloudformation.update_termination_protection(StackName=STACK, EnableTerminationProtection=True)
    assert cloudformation.describe_stacks(StackName=STACK)["Stacks"][0]["EnableTerminationProtection"] is True
    with pytest.raises(cloudformation.exceptions.ClientError, match="cannot be deleted while TerminationProtection"):
        cloudformation.delete_stack(StackName=STACK)
    assert stack_status() == "CREATE_COMPLETE"
    cloudformation.update_termination_protection(StackName=STACK, EnableTerminationProtection=False)
    cloudformation.delete_stack(StackName=STACK)
    assert cloudformation.list_stacks(StackStatusFilter=["CREATE_COMPLETE"])["StackSummaries"] == []


def _kept_bucket_template(bucket: str, *, failing: bool = False) -> dict[str, Any]:
    resources: dict[str, Any] = {
        "Data": {
            "Type": "AWS::S3::Bucket",
            "DeletionPolicy": "RetainExceptOnCreate",
            "Properties": {"BucketName": bucket},
        }
    }
    if failing:  # a queue whose compute environment does not exist fails the creation
        resources["Broken"] = {
            "Type": "AWS::Batch::JobQueue",
            "DependsOn": "Data",
            "Properties": {
                "JobQueueName": "broken",
                "Priority": 1,
                "ComputeEnvironmentOrder": [{"Order": 1, "ComputeEnvironment": "missing"}],
            },
        }
    return {"Resources": resources}


def _bucket_names() -> set[str]:
    return {bucket["Name"] for bucket in client("s3").list_buckets()["Buckets"]}


def test_patch_deletion_policy_retain_except_on_create_ignored(aws: None) -> None:
    cloudformation = client("cloudformation")
    with compat.PATCHES.without("patch_deletion_policy_retain_except_on_create_ignored"):
        assert deploy(_kept_bucket_template("lost-data")) == "CREATE_COMPLETE"
        cloudformation.delete_stack(StackName=STACK)
        assert "lost-data" not in _bucket_names()

    assert deploy(_kept_bucket_template("kept-data")) == "CREATE_COMPLETE"
    cloudformation.delete_stack(StackName=STACK)
    assert "kept-data" in _bucket_names()
    # A failed creation rolls its resources back, these included: nothing is left in the next deploy's way.
    assert deploy(_kept_bucket_template("rolled-back", failing=True)) == "ROLLBACK_COMPLETE"
    assert "rolled-back" not in _bucket_names()


def test_patch_change_set_stacks_ignore_exports(aws: None) -> None:
    cloudformation = client("cloudformation")
    exporting = {
        "Resources": {"Vpc": {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": "10.0.0.0/16"}}},
        "Outputs": {"VpcId": {"Value": {"Ref": "Vpc"}, "Export": {"Name": "shared:VpcId"}}},
    }
    importing = {
        "Resources": {
            "Group": {
                "Type": "AWS::EC2::SecurityGroup",
                "Properties": {"GroupDescription": "g", "VpcId": {"Fn::ImportValue": "shared:VpcId"}},
            }
        }
    }

    def deploy_as(stack_name: str, template: dict[str, Any]) -> str:
        created = cloudformation.create_change_set(
            StackName=stack_name,
            ChangeSetName=f"cs-{time.monotonic_ns()}",
            ChangeSetType="CREATE",
            TemplateBody=json.dumps(template),
        )
        cloudformation.execute_change_set(ChangeSetName=created["Id"])
        return str(cloudformation.describe_stacks(StackName=stack_name)["Stacks"][0]["StackStatus"])

    with compat.PATCHES.without("patch_change_set_stacks_ignore_exports"):
        assert deploy_as("producer-a", exporting) == "CREATE_COMPLETE"
        assert cloudformation.list_exports()["Exports"] == []
        assert deploy_as("consumer-a", {**importing, "Outputs": {}}) == "ROLLBACK_COMPLETE"

    cloudformation.delete_stack(StackName="producer-a")
    assert deploy_as("producer-b", exporting) == "CREATE_COMPLETE"
    exports = {item["Name"]: item["ExportingStackId"] for item in cloudformation.list_exports()["Exports"]}
    assert list(exports) == ["shared:VpcId"] and "producer-b" in exports["shared:VpcId"]
    assert deploy_as("consumer-b", importing) == "CREATE_COMPLETE"
    (group,) = [
        item for item in client("ec2").describe_security_groups()["SecurityGroups"] if item["Description"] == "g"
    ]
    vpc = cloudformation.describe_stacks(StackName="producer-b")["Stacks"][0]["Outputs"][0]["OutputValue"]
    assert group["VpcId"] == vpc


def test_patch_stack_has_no_last_updated_time(aws: None) -> None:
    cloudformation = client("cloudformation")
    template = {"Resources": {"Vpc": {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": "10.0.0.0/16"}}}}
    assert deploy(template) == "CREATE_COMPLETE"
    assert "LastUpdatedTime" not in cloudformation.describe_stacks(StackName=STACK)["Stacks"][0]
    template["Resources"]["Vpc"]["Properties"]["Tags"] = [{"Key": "k", "Value": "v"}]
    with compat.PATCHES.without("patch_stack_has_no_last_updated_time"):
        assert deploy(template, "UPDATE") == "UPDATE_COMPLETE"
        assert "LastUpdatedTime" not in cloudformation.describe_stacks(StackName=STACK)["Stacks"][0]

    before = datetime.now(UTC)
    template["Resources"]["Vpc"]["Properties"]["Tags"] = [{"Key": "k", "Value": "w"}]
    assert deploy(template, "UPDATE") == "UPDATE_COMPLETE"
    (stack,) = cloudformation.describe_stacks(StackName=STACK)["Stacks"]
    assert stack["LastUpdatedTime"] >= before.replace(microsecond=0)
