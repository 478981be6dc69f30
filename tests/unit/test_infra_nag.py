"""cdk-nag plumbing: findings are reported, and acknowledgements cover exactly what they name."""

from __future__ import annotations

from typing import Any

from batchctl.infra.acknowledgements import acknowledge, acknowledge_wildcard_resources, flatten_reference
from batchctl.infra.nag import NagFinding, check_stack


def _findings(build: Any) -> list[NagFinding]:
    from aws_cdk import App, Environment, Stack

    app = App(builtin_cloud_formation_validation=False)
    stack = Stack(app, "Test", env=Environment(region="us-east-1"))
    build(stack)
    app.synth()
    return check_stack(stack)


def _bucket(stack: Any, construct_id: str) -> Any:
    from aws_cdk import aws_s3 as s3

    return s3.Bucket(stack, construct_id, enforce_ssl=True)


def test_unacknowledged_findings_are_reported_with_their_resource() -> None:
    findings = _findings(lambda stack: _bucket(stack, "Data"))
    assert [(finding.rule_id, finding.resource, finding.level) for finding in findings] == [
        ("AwsSolutions-S1", "Test/Data/Resource", "error")
    ]
    assert "server access logs" in findings[0].message


def test_an_acknowledgement_covers_its_resource_only() -> None:
    def build(stack: Any) -> None:
        acknowledge(_bucket(stack, "Quiet"), "AwsSolutions-S1", "tested")
        _bucket(stack, "Loud")

    assert [finding.resource for finding in _findings(build)] == ["Test/Loud/Resource"]


def test_wildcard_acknowledgement_names_each_resource() -> None:
    def build(stack: Any) -> None:
        from aws_cdk import aws_iam as iam

        acknowledged, other = _bucket(stack, "A"), _bucket(stack, "B")
        for bucket in (acknowledged, other):
            acknowledge(bucket, "AwsSolutions-S1", "tested")
        role = iam.Role(
            stack,
            "Role",
            assumed_by=iam.ServicePrincipal("ecs-tasks.amazonaws.com"),
            inline_policies={
                "Access": iam.PolicyDocument(
                    statements=[
                        iam.PolicyStatement(
                            actions=["s3:GetObject"],
                            resources=[acknowledged.arn_for_objects("*"), other.arn_for_objects("*")],
                        )
                    ]
                )
            },
        )
        acknowledge_wildcard_resources(role, [acknowledged.arn_for_objects("*")], "tested")

    (finding,) = _findings(build)
    assert finding.rule_id.startswith("AwsSolutions-IAM5[Resource::<B")
    assert finding.rule_id.endswith(".Arn>/*]")


def test_flatten_reference_spells_values_as_cdk_nag_does() -> None:
    assert flatten_reference({"Fn::Join": ["", [{"Fn::GetAtt": ["Bucket1", "Arn"]}, "/*"]]}) == "<Bucket1.Arn>/*"
    assert (
        flatten_reference({"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":s3:::data/*"]]})
        == "arn:<AWS::Partition>:s3:::data/*"
    )
    assert flatten_reference("arn:${AWS::Partition}:logs") == "arn:<AWS::Partition>:logs"
    assert flatten_reference({"Fn::ImportValue": "stack-data:BucketInputs"}) == "stack-data:BucketInputs"
    assert flatten_reference({"Fn::Sub": "x"}) == '{"Fn::Sub":"x"}'


def test_checkov_skips_accumulate_on_the_resource_with_their_reasons() -> None:
    from aws_cdk import App, Environment, Stack
    from aws_cdk.assertions import Template

    from batchctl.infra.acknowledgements import skip_checkov_check

    stack = Stack(App(builtin_cloud_formation_validation=False), "Test", env=Environment(region="us-east-1"))
    bucket = _bucket(stack, "Data")
    bucket.node.default_child.add_metadata("checkov", {"other": 1})
    skip_checkov_check(bucket, "CKV_AWS_18", "no access logs")
    skip_checkov_check(bucket.node.default_child, "CKV_AWS_21", "no versions")
    (resource,) = Template.from_stack(stack).find_resources("AWS::S3::Bucket").values()
    assert resource["Metadata"]["checkov"] == {
        "other": 1,
        "skip": [{"id": "CKV_AWS_18", "comment": "no access logs"}, {"id": "CKV_AWS_21", "comment": "no versions"}],
    }


def test_checkov_skip_needs_a_cloudformation_resource() -> None:
    import pytest
    from aws_cdk import App, Stack
    from constructs import Construct

    from batchctl.infra.acknowledgements import skip_checkov_check

    with pytest.raises(TypeError, match="has no CloudFormation resource"):
        skip_checkov_check(Construct(Stack(App(), "Test"), "Empty"), "CKV_AWS_18", "reason")
