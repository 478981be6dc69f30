"""Acknowledged cdk-nag findings: each one names its rule, its resource and why it is accepted."""

from __future__ import annotations

from aws_cdk import Acknowledgment, Validations
from constructs import IConstruct

MANAGED_POLICY_RULE = "AwsSolutions-IAM4"
WILDCARD_RULE = "AwsSolutions-IAM5"


def acknowledge(scope: IConstruct, rule_id: str, reason: str) -> None:
    """Accept `rule_id` (optionally with a `[finding]` suffix) on `scope` and its children."""
    Validations.of(scope).acknowledge(Acknowledgment(id=rule_id, reason=reason))


def acknowledge_managed_policy(scope: IConstruct, policy_name: str, reason: str) -> None:
    """Accept one AWS managed policy (by its name under `arn:aws:iam::aws:policy/`) on a role."""
    finding = f"Policy::arn:<AWS::Partition>:iam::aws:policy/{policy_name}"
    acknowledge(scope, f"{MANAGED_POLICY_RULE}[{finding}]", reason)
