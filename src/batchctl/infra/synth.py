"""Build the cluster stack from a configuration and synthesize it in-process, without the CDK CLI."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from aws_cdk import App
from aws_cdk.cx_api import CloudAssembly

from batchctl.config.models import ClusterConfig
from batchctl.infra.nag import NagFinding, check_stack
from batchctl.infra.stack import ClusterStack, stack_id

__all__ = ["NagFinding", "Synthesis", "nag_findings", "synthesize", "synthesize_and_check"]


@dataclass(frozen=True)
class Synthesis:
    template: dict[str, Any]
    nag: list[NagFinding]  # unacknowledged cdk-nag AwsSolutions errors and warnings


@contextmanager
def _synthesized_stack(
    config: ClusterConfig, availability_zones: Sequence[str]
) -> Iterator[tuple[ClusterStack, CloudAssembly]]:
    with tempfile.TemporaryDirectory(prefix="batchctl-synth-") as outdir:
        app = App(
            outdir=outdir,
            analytics_reporting=False,
            tree_metadata=False,
            # cfn-lint checks the templates (see the tests); the built-in validator would print its
            # findings on the CLI's stderr during every synthesis.
            builtin_cloud_formation_validation=False,
        )
        stack = ClusterStack(app, stack_id(config), config=config, availability_zones=availability_zones)
        yield stack, app.synth()


def synthesize(config: ClusterConfig, availability_zones: list[str]) -> dict[str, Any]:
    """The cluster's CloudFormation template."""
    with _synthesized_stack(config, availability_zones) as (stack, assembly):
        template: dict[str, Any] = assembly.get_stack_artifact(stack.artifact_id).template
        return template


def nag_findings(config: ClusterConfig, availability_zones: list[str]) -> list[NagFinding]:
    """Unacknowledged cdk-nag AwsSolutions errors and warnings of the cluster stack."""
    # The rules read the construct tree after synthesis, when aspects (tags) have run.
    with _synthesized_stack(config, availability_zones) as (stack, _assembly):
        return check_stack(stack)


def synthesize_and_check(config: ClusterConfig, availability_zones: list[str]) -> Synthesis:
    """The template and the cdk-nag findings of one synthesis (each synthesis takes seconds)."""
    with _synthesized_stack(config, availability_zones) as (stack, assembly):
        template: dict[str, Any] = assembly.get_stack_artifact(stack.artifact_id).template
        return Synthesis(template, check_stack(stack))
