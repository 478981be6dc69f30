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
# A stack whose creation failed and rolled back, or was interrupted before its change set ran, cannot be
# updated: it is deleted and created again. (Nothing is left of it: its data stores are kept only once created.)
_RECREATE = {"ROLLBACK_COMPLETE", "ROLLBACK_FAILED", "REVIEW_IN_PROGRESS"}


@dataclass
class StackPlan:
    stack_name: str
    create: bool
    body: str
    change_set: ChangeSet | None = None  # None: nothing to change, or not computed yet (pending)
    pending: bool = False  # computed once the data stack it imports from is created or updated
    resource_count: int = 0

    @property
    def has_changes(self) -> bool:
        return self.pending or self.change_set is not None

    @property
    def change_count(self) -> int:
        return len(self.change_set.changes) if self.change_set else self.resource_count if self.pending else 0


@dataclass
class Plan:
    stacks: list[StackPlan]  # the data stack first, then the compute stack
    findings: list[Finding] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def stack_name(self) -> str:
        return self.stacks[-1].stack_name

    @property
    def compute(self) -> StackPlan:
        return self.stacks[-1]

    @property
    def create(self) -> bool:
        return self.compute.create

    @property
    def has_changes(self) -> bool:
        return any(stack.has_changes for stack in self.stacks)

    @property
    def change_count(self) -> int:
        return sum(stack.change_count for stack in self.stacks)


@dataclass
class DeployResult:
    stack_name: str
    status: str
    changed: bool
    outputs: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)  # about the execution (the plan's own notes: plan.notes)
    findings: list[Finding] = field(default_factory=list)
    plan: Plan | None = None
    cancelled: bool = False
    seconds: float = 0.0


class Deployer:
    def __init__(self, config: ClusterConfig, aws: Aws, progress: Progress | None = None) -> None:
        self.config = config
        self.aws = aws
        self.progress = progress or Silent()
        self.cloudformation = CloudFormation(aws.client("cloudformation"))
        self.stack_name = templates.stack_name(config)
        self.data_stack_name = templates.data_stack_name(config)

    def plan(self, recover: bool = True) -> Plan:
        """Create the change sets against the deployed stacks (nothing is executed).

        An update AWS would refuse (a named resource replaced) stops here, before any change set exists. A stack a
        failed or interrupted creation left behind is deleted first (with recover=False, as `diff` plans, it is
        left alone and shown as to be created again).
        """
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
        stale: set[str] = set()
        data = self._usable_stack(self.data_stack_name, notes, stale if not recover else None)
        compute = self._usable_stack(self.stack_name, notes, stale if not recover else None)
        self.progress.step(f"synthesizing the templates ({len(zones)} zone(s): {', '.join(zones)})")
        data_template, compute_template = templates.synthesize_both(self.config, zones)
        deployed = [
            (name, template)
            for stack, name, template in (
                (data, self.data_stack_name, data_template),
                (compute, self.stack_name, compute_template),
            )
            if stack is not None
        ]
        if deployed:
            self.progress.step("checking the update against what AWS can change in place")
            for name, template in deployed:
                self._preflight(name, template)
        self.progress.step("computing the change sets")
        data_plan = self._stack_plan(
            self.data_stack_name, data_template, create=data is None, pending=self.data_stack_name in stale
        )
        compute_plan = self._stack_plan(
            self.stack_name, compute_template, create=compute is None, pending=data_plan.has_changes or bool(stale)
        )
        return Plan([data_plan, compute_plan], findings=findings + zone_findings, notes=notes)

    def _preflight(self, stack_name: str, template: dict[str, Any]) -> None:
        from batchctl.cluster.preflight import named_replacements
        from batchctl.cluster.refusals import refusal_error

        replacements = named_replacements(self.cloudformation.deployed_template(stack_name), template)
        if replacements:
            raise refusal_error(stack_name, self.config, replacements)

    def _usable_stack(self, name: str, notes: list[str], stale: set[str] | None) -> dict[str, Any] | None:
        """The deployed stack, or None; a stack that a failed or interrupted creation left behind is deleted (or,
        when `stale` is given, only added to it)."""
        stack = self.cloudformation.describe_stack(name)
        if stack is None:
            return None
        status = stack["StackStatus"]
        if status.endswith("_IN_PROGRESS") and status != "REVIEW_IN_PROGRESS":
            raise DeployError(
                f"stack {name} is busy ({status})",
                hint="wait for it to finish (`batchctl status`), then deploy again",
            )
        if status in _RECREATE:
            if stale is not None:
                notes.append(
                    f"stack {name} was left in {status} by a failed or interrupted creation: deploy recreates it"
                )
                stale.add(name)
                return None
            notes.append(f"stack {name} was left in {status} by a failed or interrupted creation: deleted it first")
            self._delete_and_wait(stack["StackId"])
            return None
        return stack

    def _stack_plan(self, name: str, template: dict[str, Any], create: bool, pending: bool = False) -> StackPlan:
        plan = StackPlan(name, create, templates.to_json(template), resource_count=len(template.get("Resources", {})))
        if pending:
            plan.pending = True
            return plan
        change_set = self._create_change_set(name, plan.body, create)
        plan.change_set = None if change_set.empty else change_set
        return plan

    def discard(self, plan: Plan) -> None:
        """Drop a plan's change sets; a stack that only existed to hold one is deleted too."""
        for stack in plan.stacks:
            if stack.change_set is None:
                continue
            self.cloudformation.delete_change_set(stack.change_set.id)
            if stack.create:
                self.cloudformation.delete_stack(stack.change_set.stack_id)

    def deploy(self, confirm: Callable[[Plan], bool] = lambda plan: True) -> DeployResult:
        """Plan, ask `confirm` (declined: the change sets are dropped, nothing changes), execute."""
        started = time.monotonic()
        plan = self.plan()
        if not plan.has_changes:
            stack = self.cloudformation.describe_stack(self.stack_name) or {}
            return DeployResult(
                self.stack_name,
                stack.get("StackStatus", "NONE"),
                changed=False,
                outputs=CloudFormation.outputs_of(stack),
                findings=plan.findings,
                plan=plan,
            )
        if not confirm(plan):
            self.discard(plan)
            return DeployResult(
                self.stack_name, "CANCELLED", changed=False, findings=plan.findings, plan=plan, cancelled=True
            )
        self.progress.expect(plan.change_count)
        result = self.execute(plan)
        result.seconds = round(time.monotonic() - started, 1)
        return result

    def execute(self, plan: Plan) -> DeployResult:
        """Run the data stack's change set, then the compute stack's (computed now if it was pending)."""
        for stack in plan.stacks:
            if stack.pending:
                change_set = self._create_change_set(stack.stack_name, stack.body, stack.create)
                stack.change_set = None if change_set.empty else change_set
                stack.pending = False
            if stack.change_set is not None:
                self._run(stack)
        final = self.cloudformation.describe_stack(self.stack_name) or {}
        notes = []
        if self.aws.target.is_local and not plan.create:
            notes.append(
                "local emulator: Batch resources were updated through the emulator's compatibility layer "
                "(moto's CloudFormation only creates them)"
            )
        return DeployResult(
            self.stack_name,
            final.get("StackStatus", "NONE"),
            changed=True,
            outputs=CloudFormation.outputs_of(final),
            notes=notes,
            findings=plan.findings,
            plan=plan,
        )

    def _run(self, plan: StackPlan) -> None:
        assert plan.change_set is not None
        change_set = plan.change_set
        seen = {event.id for event in self.cloudformation.events(change_set.stack_id)}
        self.progress.step(f"{'creating' if plan.create else 'updating'} stack {plan.stack_name}")
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
                details.append(self._clean_up_failed_creation(change_set.stack_id, plan.stack_name))
            raise DeployError(_failure_message(plan.stack_name, status, failures), details=details)
        if plan.create and plan.stack_name == self.data_stack_name:
            # Deleting the data stack takes `destroy --delete-data`, which switches this off first.
            self.cloudformation.set_termination_protection(plan.stack_name, True)

    def _create_change_set(self, stack_name: str, body: str, create: bool) -> ChangeSet:
        name = f"batchctl-{time.strftime('%Y%m%d-%H%M%S')}"
        # Only the constant cluster tag on the stack: CloudFormation copies stack tags onto every resource, and a
        # changed tag on a compute environment, queue or scheduling policy (create-only Tags) would replace it.
        # The configuration's tags are set per resource in the template instead.
        # https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/cfn-console-add-tags.html
        tags = {"batchctl:cluster": self.config.name}
        if len(body.encode("utf-8")) > INLINE_TEMPLATE_LIMIT:
            url = self._upload_template(stack_name, body, name)
            change_set_id = self.cloudformation.create_change_set(
                stack_name, name, template_url=url, create=create, tags=tags
            )
        else:
            change_set_id = self.cloudformation.create_change_set(
                stack_name, name, template_body=body, create=create, tags=tags
            )
        change_set = self.cloudformation.wait_change_set(change_set_id)
        if change_set.status == "FAILED" and not change_set.empty:
            if create:
                self.cloudformation.delete_stack(change_set.stack_id)
            raise DeployError(f"CloudFormation rejected the change set of {stack_name}: {change_set.reason}")
        if change_set.empty:
            self.cloudformation.delete_change_set(change_set_id)
        return change_set

    def _clean_up_failed_creation(self, stack_id: str, stack_name: str) -> str:
        """A failed creation rolls back (the data stores too: they are kept only once created); the rolled-back
        stack is deleted, so that the next deploy starts clean."""
        self.progress.step(f"cleaning up the failed creation of {stack_name}")
        self._delete_and_wait(stack_id)
        return f"cleaned up: deleted stack {stack_name}; fix the cause and deploy again"

    def _upload_template(self, stack_name: str, body: str, change_set_name: str) -> str:
        """Templates over the inline limit go through an artifacts bucket, created on first need."""
        account = self.aws.account_id()
        bucket = f"batchctl-artifacts-{account}-{self.aws.target.region}"
        self.progress.step(f"template is {len(body) // 1024} KiB: uploading it to s3://{bucket}")
        s3 = S3(self.aws.client("s3"), self.aws.target.region)
        s3.ensure_private_bucket(bucket)
        return s3.put_text(bucket, f"templates/{stack_name}/{change_set_name}.json", body)

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
