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
    return json.dumps(template, indent=1, sort_keys=False)
