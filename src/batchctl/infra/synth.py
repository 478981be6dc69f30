"""Build the cluster stack from a configuration and synthesize it in-process, without the CDK CLI."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from aws_cdk import App

from batchctl.config.models import ClusterConfig
from batchctl.infra.nag import NagFinding, check_stack
from batchctl.infra.stack import ClusterStack, stack_id

__all__ = ["NagFinding", "nag_findings", "synthesize"]


@contextmanager
def _synthesized_stack(config: ClusterConfig, availability_zones: Sequence[str]) -> Iterator[tuple[App, ClusterStack]]:
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
        app.synth()
        yield app, stack


def synthesize(config: ClusterConfig, availability_zones: list[str]) -> dict[str, Any]:
    """The cluster's CloudFormation template."""
    with _synthesized_stack(config, availability_zones) as (app, stack):
        template: dict[str, Any] = app.synth().get_stack_artifact(stack.artifact_id).template
        return template


def nag_findings(config: ClusterConfig, availability_zones: list[str]) -> list[NagFinding]:
    """Unacknowledged cdk-nag AwsSolutions errors and warnings of the cluster stack."""
    with _synthesized_stack(config, availability_zones) as (_app, stack):
        return check_stack(stack)
