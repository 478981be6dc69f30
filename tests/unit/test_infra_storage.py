"""The storage unit on a bare stack: the cluster's own buckets, or existing ones."""

from __future__ import annotations

import functools
from typing import Any

from tests.unit.infra_fixtures import DEMO, PRODUCTION, config, construct_template, resources

from batchctl.infra.storage import DataBuckets, Storage


@functools.cache
def own_buckets() -> dict[str, Any]:
    """The data stack's buckets."""
    return construct_template(lambda stack: DataBuckets(stack, "Storage", config=config(DEMO)))


def _bucket(template: dict[str, Any], role: str) -> dict[str, Any]:
    (found,) = [
        resource
        for logical, resource in resources(template, "AWS::S3::Bucket").items()
        if logical.startswith(f"Storage{role.capitalize()}")
    ]
    return found


def test_three_buckets_named_after_cluster_role_account_and_region() -> None:
    template = own_buckets()
    assert len(resources(template, "AWS::S3::Bucket")) == 3
    for role in ("inputs", "workspace", "outputs"):
        assert _bucket(template, role)["Properties"]["BucketName"] == {
            "Fn::Join": ["-", [f"demo-{role}", {"Ref": "AWS::AccountId"}, {"Ref": "AWS::Region"}]]
        }


def test_buckets_are_private_encrypted_and_kept() -> None:
    template = own_buckets()
    for bucket in resources(template, "AWS::S3::Bucket").values():
        properties = bucket["Properties"]
        assert properties["BucketEncryption"] == {
            "ServerSideEncryptionConfiguration": [{"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]
        }
        assert properties["PublicAccessBlockConfiguration"] == {
            "BlockPublicAcls": True,
            "BlockPublicPolicy": True,
            "IgnorePublicAcls": True,
            "RestrictPublicBuckets": True,
        }
        assert properties["OwnershipControls"] == {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
        assert properties["LifecycleConfiguration"]["Rules"] == [
            {
                "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 7},
                "Id": "AbortIncompleteMultipartUploads",
                "Status": "Enabled",
            }
        ]
        # Kept when the stack is deleted, deleted when its creation fails (no orphan for the next deploy).
        assert bucket["DeletionPolicy"] == "RetainExceptOnCreate"
        assert bucket["UpdateReplacePolicy"] == "Retain"


def test_only_the_outputs_bucket_is_versioned() -> None:
    template = own_buckets()
    versioning = {
        role: "VersioningConfiguration" in _bucket(template, role)["Properties"]
        for role in ("inputs", "workspace", "outputs")
    }
    assert versioning == {"inputs": False, "workspace": False, "outputs": True}
    assert _bucket(template, "outputs")["Properties"]["VersioningConfiguration"] == {"Status": "Enabled"}


def test_every_bucket_refuses_plain_http() -> None:
    template = own_buckets()
    policies = resources(template, "AWS::S3::BucketPolicy")
    assert len(policies) == 3
    guarded = set()
    for policy in policies.values():
        (statement,) = policy["Properties"]["PolicyDocument"]["Statement"]
        assert statement["Effect"] == "Deny"
        assert statement["Action"] == "s3:*"
        assert statement["Principal"] == {"AWS": "*"}
        assert statement["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
        guarded.add(policy["Properties"]["Bucket"]["Ref"])
    assert guarded == set(resources(template, "AWS::S3::Bucket"))


def test_existing_buckets_create_nothing_and_name_the_outputs_bucket() -> None:
    holder: dict[str, Storage] = {}

    def build(stack: Any) -> None:
        holder["storage"] = Storage(stack, "Storage", config=config(PRODUCTION))

    template = construct_template(build)
    storage = holder["storage"]
    assert template.get("Resources", {}) == {}
    assert storage.by_role == {}
    assert [bucket.name for bucket in storage.read_buckets] == ["reference-data"]
    assert [bucket.name for bucket in storage.read_write_buckets] == ["batch-results", "batch-scratch"]
    assert storage.outputs_bucket is not None
    assert storage.outputs_bucket.name == "batch-scratch"


def test_outputs_bucket_defaults_to_the_first_read_write_bucket() -> None:
    storage_section = {"create_buckets": False, "read_write": ["first-results", "second-results"]}
    holder: dict[str, Storage] = {}
    construct_template(
        lambda stack: holder.setdefault("s", Storage(stack, "S", config=config(DEMO, storage=storage_section)))
    )
    assert holder["s"].outputs_bucket is not None
    assert holder["s"].outputs_bucket.name == "first-results"


def test_a_bucket_listed_both_ways_is_read_write_only() -> None:
    storage_section = {"create_buckets": False, "read_only": ["shared", "refs"], "read_write": ["shared"]}
    holder: dict[str, Storage] = {}
    construct_template(
        lambda stack: holder.setdefault("s", Storage(stack, "S", config=config(DEMO, storage=storage_section)))
    )
    assert [bucket.name for bucket in holder["s"].read_buckets] == ["refs"]
    assert [bucket.name for bucket in holder["s"].read_write_buckets] == ["shared"]


def _checkov_skips(resource: dict[str, Any]) -> dict[str, str]:
    return {skip["id"]: skip["comment"] for skip in resource.get("Metadata", {}).get("checkov", {}).get("skip", [])}


def test_checkov_skips_say_why_access_logs_and_versioning_are_off() -> None:
    template = own_buckets()
    for role in ("inputs", "workspace"):
        assert set(_checkov_skips(_bucket(template, role))) == {"CKV_AWS_18", "CKV_AWS_21"}, role
    # The outputs bucket is versioned: only the access-log check is skipped.
    assert set(_checkov_skips(_bucket(template, "outputs"))) == {"CKV_AWS_18"}
    assert "CloudTrail" in _checkov_skips(_bucket(template, "inputs"))["CKV_AWS_18"]


def test_compute_stack_imports_the_data_stacks_buckets() -> None:
    holder: dict[str, Storage] = {}
    template = construct_template(lambda stack: holder.setdefault("s", Storage(stack, "S", config=config(DEMO))))
    assert template.get("Resources", {}) == {}
    from aws_cdk import Stack

    by_role = holder["s"].by_role
    resolved = {role: Stack.of(holder["s"]).resolve(bucket.name) for role, bucket in by_role.items()}
    assert resolved == {
        role: {"Fn::ImportValue": f"batchctl-demo-data:Bucket{role.capitalize()}"}
        for role in ("inputs", "workspace", "outputs")
    }
