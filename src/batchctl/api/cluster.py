"""The cluster half of the SDK: validate, synth, diff, deploy, status, destroy (mixed into `Batchctl`).

The use cases live in `batchctl.cluster`; they are imported inside the methods, so the job workflow never pays for
CDK, cfn-lint or checkov. Each method returns a dataclass holding every fact the CLI prints (`-o json` prints it
as it is; docs/json-output.md describes the shapes).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

# The result types the CLI renders, re-exported: the CLI imports them from here, never from the use cases.
from batchctl.aws.cloudformation import Change, StackEvent
from batchctl.cluster.destroy import DestroyPlan, DestroyResult
from batchctl.cluster.progress import Progress
from batchctl.cluster.status import HEALTHY_STATUSES, ClusterStatus, ResourceState
from batchctl.config.findings import Finding

if TYPE_CHECKING:
    from batchctl.aws.session import Aws
    from batchctl.cluster.deploy import Plan
    from batchctl.cluster.validate import ValidationReport  # imports cfn-lint and checkov: only when validating
    from batchctl.config import ClusterConfig

__all__ = [
    "HEALTHY_STATUSES",
    "Change",
    "ClusterOperations",
    "ClusterStatus",
    "DeploySummary",
    "DestroyPlan",
    "DestroyResult",
    "PlanSummary",
    "Progress",
    "ResourceState",
    "StackChanges",
    "StackEvent",
    "SynthResult",
]


@dataclass(frozen=True)
class SynthResult:
    stack: str
    template: dict[str, Any]
    written: str | None = None  # the file the template was written to

    @property
    def body(self) -> str:
        """The template as CloudFormation reads it (what `batchctl synth` prints)."""
        from batchctl.cluster.template import to_json

        return to_json(self.template)


@dataclass(frozen=True)
class StackChanges:
    stack: str
    create: bool
    pending: bool  # its change set is computed once the data stack it imports from is deployed
    resource_count: int
    changes: list[Change] = field(default_factory=list)  # empty and not pending: nothing to change


@dataclass(frozen=True)
class PlanSummary:
    """What a deploy would change, stack by stack (the data stack first)."""

    stack: str  # the compute stack
    create: bool
    change_count: int
    stacks: list[StackChanges]
    notes: list[str] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)

    @property
    def has_changes(self) -> bool:
        return self.change_count > 0


@dataclass(frozen=True)
class DeploySummary:
    stack: str
    target: str
    status: str  # the compute stack's status afterwards (CANCELLED when declined)
    changed: bool
    cancelled: bool
    seconds: float
    outputs: dict[str, str]
    notes: list[str]  # about the execution (the plan's notes are in plan.notes)
    plan: PlanSummary


def summarize(plan: Plan) -> PlanSummary:
    return PlanSummary(
        stack=plan.stack_name,
        create=plan.create,
        change_count=plan.change_count,
        stacks=[
            StackChanges(
                stack.stack_name,
                stack.create,
                stack.pending,
                stack.resource_count,
                list(stack.change_set.changes) if stack.change_set else [],
            )
            for stack in plan.stacks
        ],
        notes=list(plan.notes),
        findings=list(plan.findings),
    )


class ClusterOperations:
    """Needs `config` and `aws` (see Batchctl)."""

    @property
    def config(self) -> ClusterConfig:
        raise NotImplementedError

    @property
    def aws(self) -> Aws:
        raise NotImplementedError

    @property
    def stack_name(self) -> str:
        """The compute stack's name (the data stack's: `<name>-data`)."""
        from batchctl.cluster.template import stack_name

        return stack_name(self.config)

    def validate(self, *, security: bool = True, progress: Progress | None = None) -> ValidationReport:
        """Config findings, then synth, cfn-lint and (security=True) cdk-nag and checkov; calls no AWS API."""
        from batchctl.cluster.validate import validate

        return validate(self.config, progress, security=security)

    def synth(self, *, data: bool = False, out: str | Path | None = None) -> SynthResult:
        """The compute stack's template (or the data stack's), for zones chosen offline, written to `out` if given;
        calls no AWS API."""
        from batchctl.cluster import template as templates
        from batchctl.cluster.zones import offline_zones

        data_template, compute = templates.synthesize_both(self.config, offline_zones(self.config))
        if data:
            result = SynthResult(templates.data_stack_name(self.config), data_template)
        else:
            result = SynthResult(templates.stack_name(self.config), compute)
        if out is None:
            return result
        Path(out).write_text(result.body + "\n", encoding="utf-8")
        return SynthResult(result.stack, result.template, str(out))

    def diff(self, *, progress: Progress | None = None) -> PlanSummary:
        """What a deploy would change: change sets computed, then dropped (nothing is executed)."""
        from batchctl.cluster.deploy import Deployer

        deployer = Deployer(self.config, self.aws, progress)
        plan = deployer.plan(recover=False)
        deployer.discard(plan)
        return summarize(plan)

    def deploy(
        self, *, confirm: Callable[[PlanSummary], bool] = lambda plan: True, progress: Progress | None = None
    ) -> DeploySummary:
        """Create or update the cluster; `confirm` sees the plan first (declined: nothing changes)."""
        from batchctl.cluster.deploy import Deployer

        result = Deployer(self.config, self.aws, progress).deploy(lambda plan: confirm(summarize(plan)))
        assert result.plan is not None
        return DeploySummary(
            stack=result.stack_name,
            target=self.aws.target.describe(),
            status=result.status,
            changed=result.changed,
            cancelled=result.cancelled,
            seconds=result.seconds,
            outputs=result.outputs,
            notes=result.notes,
            plan=summarize(result.plan),
        )

    def status(self) -> ClusterStatus:
        """Both stacks' states, the outputs, and the live state of the compute environments and queues."""
        from batchctl.cluster.status import cluster_status

        return cluster_status(self.config, self.aws)

    def stack_state(self) -> str | None:
        """The compute stack's status now, or None (no stack, or no answer): what an interrupted deploy left."""
        from batchctl.aws.cloudformation import CloudFormation

        try:
            stack = CloudFormation(self.aws.client("cloudformation")).describe_stack(self.stack_name)
        except (Exception, KeyboardInterrupt):
            return None
        return str(stack["StackStatus"]) if stack else None

    def destroy(
        self,
        *,
        delete_data: bool = False,
        confirm: Callable[[DestroyPlan], bool] = lambda plan: True,
        progress: Progress | None = None,
    ) -> DestroyResult:
        """Delete the compute stack; the data stack and its buckets and repository only with delete_data."""
        from batchctl.cluster.destroy import Destroyer

        return Destroyer(self.config, self.aws, progress).destroy(delete_data, confirm)
