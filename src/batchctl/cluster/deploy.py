"""Deploy through CloudFormation change sets: preview (diff), confirm, execute, follow events."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from batchctl.aws.cloudformation import INLINE_TEMPLATE_LIMIT, ChangeSet, CloudFormation, StackEvent
from batchctl.aws.s3 import S3
from batchctl.aws.session import Aws
from batchctl.cluster import template as templates
from batchctl.cluster.progress import Progress, Silent
from batchctl.cluster.zones import resolve_zones
from batchctl.config import ClusterConfig, Finding, check_config
from batchctl.config.findings import errors
from batchctl.errors import ConfigError, DeployError

_SUCCESS = {"CREATE_COMPLETE", "UPDATE_COMPLETE"}
# A stack whose creation failed and rolled back cannot be updated, only deleted and created again.
_RECREATE = {"ROLLBACK_COMPLETE", "ROLLBACK_FAILED", "REVIEW_IN_PROGRESS"}


@dataclass
class Plan:
    stack_name: str
    create: bool
    change_set: ChangeSet | None  # None: nothing to change
    findings: list[Finding] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def has_changes(self) -> bool:
        return self.change_set is not None


@dataclass
class DeployResult:
    stack_name: str
    status: str
    changed: bool
    outputs: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)


class Deployer:
    def __init__(self, config: ClusterConfig, aws: Aws, progress: Progress | None = None) -> None:
        self.config = config
        self.aws = aws
        self.progress = progress or Silent()
        self.cloudformation = CloudFormation(aws.client("cloudformation"))
        self.stack_name = templates.stack_name(config)

    def plan(self) -> Plan:
        """Create a change set against the deployed stack (nothing is executed)."""
        findings = check_config(self.config)
        if errors(findings):
            raise ConfigError(
                f"the configuration has {len(errors(findings))} error(s)",
                hint="run `batchctl validate` for details",
                details=[finding.line() for finding in errors(findings)],
            )
        self.progress.step("resolving availability zones")
        zones, zone_findings = resolve_zones(self.config, self.aws)
        notes: list[str] = []
        stack = self.cloudformation.describe_stack(self.stack_name)
        if stack is not None:
            status = stack["StackStatus"]
            if status.endswith("_IN_PROGRESS") and status != "REVIEW_IN_PROGRESS":
                raise DeployError(
                    f"stack {self.stack_name} is busy ({status})",
                    hint="wait for it to finish (`batchctl status`), then deploy again",
                )
            if status in _RECREATE:
                notes.append(f"stack {self.stack_name} was left in {status} by a failed creation: deleted it first")
                self._delete_and_wait(stack["StackId"])
                stack = None
        self.progress.step(f"synthesizing the template ({len(zones)} zone(s): {', '.join(zones)})")
        body = templates.to_json(templates.synthesize(self.config, zones))
        self.progress.step("computing the change set")
        change_set = self._create_change_set(body, create=stack is None)
        return Plan(
            self.stack_name,
            create=stack is None,
            change_set=None if change_set.empty else change_set,
            findings=findings + zone_findings,
            notes=notes,
        )

    def discard(self, plan: Plan) -> None:
        """Drop a plan's change set; a stack that only existed to hold it is deleted too."""
        if plan.change_set is None:
            return
        self.cloudformation.delete_change_set(plan.change_set.id)
        if plan.create:
            self.cloudformation.delete_stack(plan.change_set.stack_id)

    def deploy(self, confirm: Callable[[Plan], bool] = lambda plan: True) -> DeployResult:
        plan = self.plan()
        if not plan.has_changes:
            stack = self.cloudformation.describe_stack(self.stack_name) or {}
            return DeployResult(
                self.stack_name,
                stack.get("StackStatus", "NONE"),
                changed=False,
                outputs=CloudFormation.outputs_of(stack),
                notes=plan.notes,
                findings=plan.findings,
            )
        if not confirm(plan):
            self.discard(plan)
            return DeployResult(self.stack_name, "CANCELLED", changed=False, notes=plan.notes, findings=plan.findings)
        return self.execute(plan)

    def execute(self, plan: Plan) -> DeployResult:
        assert plan.change_set is not None
        change_set = plan.change_set
        seen = {event.id for event in self.cloudformation.events(change_set.stack_id)}
        self.progress.step(f"{'creating' if plan.create else 'updating'} stack {self.stack_name}")
        self.cloudformation.execute_change_set(change_set.id)
        failures: list[StackEvent] = []
        for event in self.cloudformation.follow(change_set.stack_id, seen):
            self.progress.event(event)
            if event.status.endswith("_FAILED") and "cancelled" not in event.reason.lower():
                failures.append(event)
        stack = self.cloudformation.describe_stack(change_set.stack_id)
        status = stack["StackStatus"] if stack else "DELETE_COMPLETE"
        if status not in _SUCCESS:
            details = _failure_details(failures)
            if plan.create:
                details.append(self._clean_up_failed_creation())
            raise DeployError(_failure_message(self.stack_name, status, failures), details=details)
        return DeployResult(
            self.stack_name,
            status,
            changed=True,
            outputs=CloudFormation.outputs_of(stack or {}),
            notes=plan.notes,
            findings=plan.findings,
        )

    def _create_change_set(self, body: str, create: bool) -> ChangeSet:
        name = f"batchctl-{time.strftime('%Y%m%d-%H%M%S')}"
        # Only the constant cluster tag on the stack: CloudFormation copies stack tags onto every resource, and a
        # changed tag on a compute environment, queue or scheduling policy (create-only Tags) would replace it.
        # The configuration's tags are set per resource in the template instead.
        # https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/cfn-console-add-tags.html
        tags = {"batchctl:cluster": self.config.name}
        if len(body.encode("utf-8")) > INLINE_TEMPLATE_LIMIT:
            url = self._upload_template(body, name)
            change_set_id = self.cloudformation.create_change_set(
                self.stack_name, name, template_url=url, create=create, tags=tags
            )
        else:
            change_set_id = self.cloudformation.create_change_set(
                self.stack_name, name, template_body=body, create=create, tags=tags
            )
        change_set = self.cloudformation.wait_change_set(change_set_id)
        if change_set.status == "FAILED" and not change_set.empty:
            if create:
                self.cloudformation.delete_stack(change_set.stack_id)
            raise DeployError(f"CloudFormation rejected the change set: {change_set.reason}")
        if change_set.empty:
            self.cloudformation.delete_change_set(change_set_id)
        return change_set

    def _clean_up_failed_creation(self) -> str:
        """A failed creation rolls back but keeps its retained buckets and repository (empty, and in the way of
        the next attempt, whose names are the same): delete the stack and them, as `destroy` would."""
        from batchctl.cluster.destroy import Destroyer

        self.progress.step("cleaning up the failed creation")
        result = Destroyer(self.config, self.aws, self.progress).destroy(delete_data=False)
        kept = f"; kept {', '.join(result.kept)}" if result.kept else ""
        return f"cleaned up: deleted {', '.join(result.deleted)}{kept}; fix the cause and deploy again"

    def _upload_template(self, body: str, change_set_name: str) -> str:
        """Templates over the inline limit go through an artifacts bucket, created on first need."""
        account = self.aws.account_id()
        bucket = f"batchctl-artifacts-{account}-{self.aws.target.region}"
        self.progress.step(f"template is {len(body) // 1024} KiB: uploading it to s3://{bucket}")
        s3 = S3(self.aws.client("s3"), self.aws.target.region)
        s3.ensure_private_bucket(bucket)
        return s3.put_text(bucket, f"templates/{self.stack_name}/{change_set_name}.json", body)

    def _delete_and_wait(self, stack_id: str) -> None:
        self.progress.step(f"deleting stack {stack_id.split('/')[1] if '/' in stack_id else stack_id}")
        seen = {event.id for event in self.cloudformation.events(stack_id)}
        self.cloudformation.delete_stack(stack_id)
        for event in self.cloudformation.follow(stack_id, seen):
            self.progress.event(event)


def _failure_message(stack_name: str, status: str, failures: list[StackEvent]) -> str:
    if failures:
        first = failures[0]
        return f"{stack_name}: {first.logical_id} ({first.resource_type}) failed: {first.reason}; stack is {status}"
    return f"{stack_name} ended in {status}"


def _failure_details(failures: list[StackEvent]) -> list[str]:
    return [f"{event.logical_id} {event.status}: {event.reason}" for event in failures[1:]]


def stack_outputs(aws: Aws, config: ClusterConfig) -> dict[str, Any]:
    stack = CloudFormation(aws.client("cloudformation")).describe_stack(templates.stack_name(config))
    return CloudFormation.outputs_of(stack) if stack else {}
