"""Build the cluster's stacks from a configuration and synthesize them in-process, without the CDK CLI."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from aws_cdk import App
from aws_cdk.cx_api import CloudAssembly

from batchctl.config.models import ClusterConfig
from batchctl.infra.nag import NagFinding, check_stack
from batchctl.infra.stack import ClusterStack, DataStack, data_stack_id, stack_id

__all__ = ["NagFinding", "Synthesis", "nag_findings", "synthesize", "synthesize_and_check", "synthesize_data"]


@dataclass(frozen=True)
class Synthesis:
    template: dict[str, Any]  # the compute stack
    nag: list[NagFinding]  # unacknowledged cdk-nag AwsSolutions errors and warnings (both stacks)
    data_template: dict[str, Any] = field(default_factory=dict)


@contextmanager
def _synthesized_stack(
    config: ClusterConfig, availability_zones: Sequence[str]
) -> Iterator[tuple[ClusterStack, DataStack, CloudAssembly]]:
    with tempfile.TemporaryDirectory(prefix="batchctl-synth-") as outdir:
        app = App(
            outdir=outdir,
            analytics_reporting=False,
            tree_metadata=False,
            # cfn-lint checks the templates (see the tests); the built-in validator would print its
            # findings on the CLI's stderr during every synthesis.
            builtin_cloud_formation_validation=False,
        )
        data = DataStack(app, data_stack_id(config), config=config)
        stack = ClusterStack(app, stack_id(config), config=config, availability_zones=availability_zones)
        yield stack, data, app.synth()


def _template(assembly: CloudAssembly, stack: ClusterStack | DataStack) -> dict[str, Any]:
    template: dict[str, Any] = assembly.get_stack_artifact(stack.artifact_id).template
    return template


def synthesize(config: ClusterConfig, availability_zones: list[str]) -> dict[str, Any]:
    """The compute stack's CloudFormation template."""
    with _synthesized_stack(config, availability_zones) as (stack, _data, assembly):
        return _template(assembly, stack)


def synthesize_data(config: ClusterConfig) -> dict[str, Any]:
    """The data stack's CloudFormation template (it does not depend on the zones)."""
    with _synthesized_stack(config, ["-"]) as (_stack, data, assembly):
        return _template(assembly, data)


def synthesize_both(config: ClusterConfig, availability_zones: list[str]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(data template, compute template) of one synthesis."""
    with _synthesized_stack(config, availability_zones) as (stack, data, assembly):
        return _template(assembly, data), _template(assembly, stack)


def nag_findings(config: ClusterConfig, availability_zones: list[str]) -> list[NagFinding]:
    """Unacknowledged cdk-nag AwsSolutions errors and warnings of both stacks."""
    # The rules read the construct tree after synthesis, when aspects (tags) have run.
    with _synthesized_stack(config, availability_zones) as (stack, data, _assembly):
        return check_stack(data) + check_stack(stack)


def synthesize_and_check(config: ClusterConfig, availability_zones: list[str]) -> Synthesis:
    """The templates and the cdk-nag findings of one synthesis (each synthesis takes seconds)."""
    with _synthesized_stack(config, availability_zones) as (stack, data, assembly):
        return Synthesis(_template(assembly, stack), check_stack(data) + check_stack(stack), _template(assembly, data))
