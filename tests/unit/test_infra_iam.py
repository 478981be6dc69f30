"""The roles unit on a bare stack: managed policies where AWS maintains them, least privilege for jobs."""

from __future__ import annotations

import functools
from typing import Any

import pytest
from tests.unit.infra_fixtures import DEMO, PRODUCTION, config, construct_template, logical_id, resources, walk

from batchctl.infra.iam import ClusterRoles
from batchctl.infra.storage import Storage


def _logs_arn(cluster: str) -> dict[str, Any]:
    return {
        "Fn::Join": [
            "",
            [
                "arn:",
                {"Ref": "AWS::Partition"},
                ":logs:us-east-1:",
                {"Ref": "AWS::AccountId"},
                f":log-group:/{cluster}/*",
            ],
        ]
    }


def _managed(name: str) -> dict[str, Any]:
    return {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, f":iam::aws:policy/{name}"]]}


def _existing(name: str, suffix: str = "") -> dict[str, Any]:
    return {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, f":s3:::{name}{suffix}"]]}


@functools.cache
def roles_template(base: str, compute_types: tuple[str, ...] = ()) -> dict[str, Any]:
    data = {"demo": DEMO, "production": PRODUCTION}[base]
    cluster = config(data)
    if compute_types:
        cluster = config(
            data,
            compute_environments=[{"name": f"ce{index}", "type": kind} for index, kind in enumerate(compute_types)],
            queues=[{"name": "q", "compute_environments": ["ce0"]}],
            job_definitions=[],
        )

    def build(stack: Any) -> None:
        storage = Storage(stack, "Storage", config=cluster)
        ClusterRoles(stack, "Roles", config=cluster, storage=storage)

    return construct_template(build)


def _role(template: dict[str, Any], name: str) -> dict[str, Any]:
    properties: dict[str, Any] = template["Resources"][logical_id(template, f"Roles{name}")]["Properties"]
    return properties


def _job_statements(template: dict[str, Any]) -> list[dict[str, Any]]:
    (policy,) = _role(template, "JobRole")["Policies"]
    assert policy["PolicyName"] == "JobAccess"
    statements: list[dict[str, Any]] = policy["PolicyDocument"]["Statement"]
    return statements


def test_job_role_with_the_clusters_own_buckets() -> None:
    template = roles_template("demo")

    # The buckets are the data stack's, imported by name.
    def arn(role: str, suffix: str = "") -> dict[str, Any]:
        parts = ["arn:", {"Ref": "AWS::Partition"}, ":s3:::", {"Fn::ImportValue": f"batchctl-demo-data:Bucket{role}"}]
        return {"Fn::Join": ["", parts + ([suffix] if suffix else [])]}

    inputs, workspace, outputs = (arn(role) for role in ("Inputs", "Workspace", "Outputs"))

    def objects(bucket: dict[str, Any]) -> dict[str, Any]:
        return {"Fn::Join": ["", [*bucket["Fn::Join"][1], "/*"]]}

    assert _job_statements(template) == [
        {
            "Sid": "ListClusterBuckets",
            "Effect": "Allow",
            "Action": "s3:ListBucket",
            "Resource": [inputs, workspace, outputs],
        },
        {"Sid": "ReadObjects", "Effect": "Allow", "Action": "s3:GetObject", "Resource": objects(inputs)},
        {
            "Sid": "ReadWriteObjects",
            "Effect": "Allow",
            "Action": ["s3:AbortMultipartUpload", "s3:GetObject", "s3:PutObject"],
            "Resource": [objects(workspace), objects(outputs)],
        },
        {
            "Sid": "WriteClusterLogs",
            "Effect": "Allow",
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": _logs_arn("demo"),
        },
        {"Sid": "DescribeJobs", "Effect": "Allow", "Action": "batch:DescribeJobs", "Resource": "*"},
    ]


def test_job_role_with_existing_buckets_only() -> None:
    template = roles_template("production")
    assert _job_statements(template) == [
        {
            "Sid": "ListClusterBuckets",
            "Effect": "Allow",
            "Action": "s3:ListBucket",
            "Resource": [_existing("reference-data"), _existing("batch-results"), _existing("batch-scratch")],
        },
        {
            "Sid": "ReadObjects",
            "Effect": "Allow",
            "Action": "s3:GetObject",
            "Resource": _existing("reference-data", "/*"),
        },
        {
            "Sid": "ReadWriteObjects",
            "Effect": "Allow",
            "Action": ["s3:AbortMultipartUpload", "s3:GetObject", "s3:PutObject"],
            "Resource": [_existing("batch-results", "/*"), _existing("batch-scratch", "/*")],
        },
        {
            "Sid": "WriteClusterLogs",
            "Effect": "Allow",
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": _logs_arn("prod"),
        },
        {"Sid": "DescribeJobs", "Effect": "Allow", "Action": "batch:DescribeJobs", "Resource": "*"},
    ]


@pytest.mark.parametrize("base", ["demo", "production"])
def test_no_inline_policy_grants_everything(base: str) -> None:
    template = roles_template(base)
    for role in resources(template, "AWS::IAM::Role").values():
        for statement in walk(role["Properties"].get("Policies", [])):
            if isinstance(statement, dict) and "Action" in statement:
                # The one bare `*`: DescribeJobs has no resource-level permissions, and it only reads.
                assert statement["Resource"] != "*" or statement["Action"] == "batch:DescribeJobs"
                assert "*" not in (
                    statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
                )


def test_service_roles_and_their_managed_policies() -> None:
    # A BEST_FIT spot environment is the one kind that needs the Spot Fleet role.
    cluster = config(DEMO, compute_environments=[{"name": "cpu-spot", "allocation_strategy": "BEST_FIT"}])

    def build(stack: Any) -> None:
        ClusterRoles(stack, "Roles", config=cluster, storage=Storage(stack, "Storage", config=cluster))

    template = construct_template(build)
    expected = {
        "SpotFleetRole": ("spotfleet.amazonaws.com", ["service-role/AmazonEC2SpotFleetTaggingRole"]),
        "InstanceRole": (
            "ec2.amazonaws.com",
            ["service-role/AmazonEC2ContainerServiceforEC2Role", "AmazonSSMManagedInstanceCore"],
        ),
        "ExecutionRole": ("ecs-tasks.amazonaws.com", ["service-role/AmazonECSTaskExecutionRolePolicy"]),
        "JobRole": ("ecs-tasks.amazonaws.com", []),
    }
    for name, (service, policies) in expected.items():
        role = _role(template, name)
        (statement,) = role["AssumeRolePolicyDocument"]["Statement"]
        assert statement == {"Action": "sts:AssumeRole", "Effect": "Allow", "Principal": {"Service": service}}
        assert role.get("ManagedPolicyArns", []) == [_managed(policy) for policy in policies]
        assert "RoleName" not in role  # IAM names are account-global: CloudFormation makes them unique
    assert len(resources(template, "AWS::IAM::Role")) == len(expected)
    (profile,) = resources(template, "AWS::IAM::InstanceProfile").values()
    assert profile["Properties"]["Roles"] == [{"Ref": logical_id(template, "RolesInstanceRole")}]


def test_fargate_only_cluster_has_no_instance_or_spot_fleet_role() -> None:
    template = roles_template("demo", ("FARGATE", "FARGATE_SPOT"))
    names = {logical[: -len("ABCDEF12")] for logical in resources(template, "AWS::IAM::Role")}
    assert names == {"RolesExecutionRole", "RolesJobRole"}
    assert resources(template, "AWS::IAM::InstanceProfile") == {}


def test_spot_cluster_with_an_updatable_allocation_strategy_has_no_spot_fleet_role() -> None:
    template = roles_template("demo", ("SPOT",))
    names = {logical[: -len("ABCDEF12")] for logical in resources(template, "AWS::IAM::Role")}
    assert names == {"RolesInstanceRole", "RolesExecutionRole", "RolesJobRole"}


def test_on_demand_cluster_has_no_spot_fleet_role() -> None:
    template = roles_template("demo", ("EC2",))
    names = {logical[: -len("ABCDEF12")] for logical in resources(template, "AWS::IAM::Role")}
    assert names == {"RolesInstanceRole", "RolesExecutionRole", "RolesJobRole"}
