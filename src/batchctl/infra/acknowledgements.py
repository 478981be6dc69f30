"""Accepted findings (cdk-nag rules, cfn-lint and checkov checks): each names its rule, its resource and why."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from aws_cdk import Acknowledgment, CfnResource, Stack, Validations
from constructs import IConstruct

HARDCODED_ZONE_CHECK = "W3010"
MANAGED_POLICY_RULE = "AwsSolutions-IAM4"
WILDCARD_RULE = "AwsSolutions-IAM5"
# checkov reads per-resource skips from the template: Metadata.checkov.skip = [{id, comment}].
CHECKOV_METADATA = "checkov"


def acknowledge(scope: IConstruct, rule_id: str, reason: str) -> None:
    """Accept `rule_id` (optionally with a `[finding]` suffix) on `scope` and its children."""
    Validations.of(scope).acknowledge(Acknowledgment(id=rule_id, reason=reason))


def acknowledge_managed_policy(scope: IConstruct, policy_name: str, reason: str) -> None:
    """Accept one AWS managed policy (by its name under `arn:aws:iam::aws:policy/`) on a role."""
    finding = f"Policy::arn:<AWS::Partition>:iam::aws:policy/{policy_name}"
    acknowledge(scope, f"{MANAGED_POLICY_RULE}[{finding}]", reason)


def acknowledge_wildcard_resources(scope: IConstruct, resources: Iterable[str], reason: str) -> None:
    """Accept the IAM5 finding of each wildcard resource (e.g. a bucket's `/*`) on `scope`, one by one."""
    stack = Stack.of(scope)
    for resource in resources:
        finding = flatten_reference(stack.resolve(resource))
        acknowledge(scope, f"{WILDCARD_RULE}[Resource::{finding}]", reason)


def flatten_reference(value: Any) -> str:
    """A resolved CloudFormation value as cdk-nag spells it in a finding (`<Logical.Arn>/*`)."""
    if isinstance(value, str):
        return value.replace("${", "<").replace("}", ">")
    if isinstance(value, dict):
        if "Fn::Join" in value:
            delimiter, items = value["Fn::Join"]
            return delimiter.join(flatten_reference(item) for item in items)
        if "Fn::GetAtt" in value:
            resource, attribute = value["Fn::GetAtt"]
            return f"<{flatten_reference(resource)}.{flatten_reference(attribute)}>"
        if "Ref" in value:
            return f"<{flatten_reference(value['Ref'])}>"
        if "Fn::ImportValue" in value:
            return flatten_reference(value["Fn::ImportValue"])
    return json.dumps(value, separators=(",", ":"))


def accept_explicit_zone(resource: CfnResource) -> None:
    """Tell cfn-lint (template metadata) that this resource names its zone on purpose.

    The caller resolves zone names for the account (AZ names differ per account) and the template
    is built for that one deployment; the emulator also needs real names.
    """
    resource.add_metadata("cfn-lint", {"config": {"ignore_checks": [HARDCODED_ZONE_CHECK]}})


def skip_checkov_check(scope: IConstruct, check_id: str, reason: str) -> None:
    """Tell checkov that `scope`'s resource fails `check_id` on purpose, and why (kept in the template)."""
    resource = scope if isinstance(scope, CfnResource) else scope.node.default_child
    if not isinstance(resource, CfnResource):
        raise TypeError(f"{scope.node.path} has no CloudFormation resource to carry a checkov skip")
    metadata = resource.get_metadata(CHECKOV_METADATA) or {}
    skips = [*metadata.get("skip", []), {"id": check_id, "comment": reason}]
    resource.add_metadata(CHECKOV_METADATA, {**metadata, "skip": skips})
