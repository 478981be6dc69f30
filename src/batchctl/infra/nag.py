"""cdk-nag's AWS Solutions rules over the cluster stack: the findings nobody acknowledged."""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import Stack
from cdk_nag import AwsSolutionsChecks


@dataclass(frozen=True)
class NagFinding:
    rule_id: str
    resource: str  # the construct path, e.g. batchctl-demo/Roles/JobRole/Resource
    level: str
    message: str

    def __str__(self) -> str:
        return f"{self.level.upper()} {self.rule_id} {self.resource}: {self.message}"


def check_stack(stack: Stack) -> list[NagFinding]:
    """Run the rules on an already synthesized stack (aspects such as tags and IMDSv2 have run)."""
    report = AwsSolutionsChecks(verbose=True).validate_scope(stack)
    return [
        NagFinding(
            rule_id=violation.rule_name,
            resource=resource.construct_path or "",
            level=violation.severity or "error",
            message=violation.description,
        )
        for violation in report.violations
        for resource in violation.violating_resources
    ]
