"""The cluster's CloudFormation template, synthesized by the CDK app (imported only here, lazily)."""

from __future__ import annotations

import json
from typing import Any

from batchctl.config import ClusterConfig


def stack_name(config: ClusterConfig) -> str:
    return f"batchctl-{config.name}"


def synthesize(config: ClusterConfig, zones: list[str]) -> dict[str, Any]:
    # aws_cdk takes seconds to import: only commands that build a template pay for it.
    from batchctl.infra.synth import synthesize as cdk_synthesize

    return cdk_synthesize(config, zones)


def to_json(template: dict[str, Any]) -> str:
    """Compact JSON: CloudFormation takes a template inline up to 51,200 bytes, and whitespace counts."""
    return json.dumps(template, separators=(",", ":"), sort_keys=False)
