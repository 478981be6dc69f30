"""The cluster's CloudFormation template, synthesized by the CDK app (imported only here, lazily)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from batchctl import outputs

if TYPE_CHECKING:
    from batchctl.config import ClusterConfig


def stack_name(config: ClusterConfig) -> str:
    """The compute stack: network, roles, compute environments, queues, job definitions."""
    return outputs.compute_stack_name(config.name)


def data_stack_name(config: ClusterConfig) -> str:
    """The data stack: buckets and repository, kept by `destroy` unless --delete-data."""
    return outputs.data_stack_name(config.name)


def synthesize(config: ClusterConfig, zones: list[str]) -> dict[str, Any]:
    # aws_cdk takes seconds to import: only commands that build a template pay for it.
    from batchctl.infra.synth import synthesize as cdk_synthesize

    return cdk_synthesize(config, zones)


def synthesize_both(config: ClusterConfig, zones: list[str]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(data stack template, compute stack template)."""
    from batchctl.infra.synth import synthesize_both as cdk_synthesize_both

    return cdk_synthesize_both(config, zones)


def to_json(template: dict[str, Any]) -> str:
    """Compact JSON: CloudFormation takes a template inline up to 51,200 bytes, and whitespace counts."""
    return json.dumps(template, separators=(",", ":"), sort_keys=False)
