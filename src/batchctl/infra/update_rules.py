"""What AWS Batch can change on a compute environment in place, and what needs a new one (plain Python).

Shared by the template (which settings to choose), the preflight (what a deploy would replace) and the local
emulator (which updates it refuses), so that all three follow the same rules:
https://docs.aws.amazon.com/batch/latest/userguide/updating-compute-environments.html
https://docs.aws.amazon.com/batch/latest/userguide/infrastructure-updates.html
"""

from __future__ import annotations

from typing import Any

from batchctl.config.models import ComputeEnvironment, ComputeType

# The allocation strategies with which Batch replaces instances in place (an infrastructure update);
# BEST_FIT supports none, so any infrastructure change of a BEST_FIT environment needs a new environment.
INFRASTRUCTURE_UPDATE_STRATEGIES = frozenset(
    {"BEST_FIT_PROGRESSIVE", "SPOT_CAPACITY_OPTIMIZED", "SPOT_PRICE_CAPACITY_OPTIMIZED"}
)
# Only BEST_FIT spot environments need the Spot Fleet role; the role is create-only, so it is left out elsewhere.
# https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-properties-batch-computeenvironment-computeresources.html
SPOT_FLEET_STRATEGIES = frozenset({"BEST_FIT"})
# ComputeResources settings whose change is a scaling update: always in place.
SCALING_SETTINGS = frozenset({"MinvCpus", "MaxvCpus", "DesiredvCpus"})
# ComputeResources settings a Fargate environment can change in place (besides MaxvCpus).
FARGATE_SETTINGS = frozenset({"Subnets", "SecurityGroupIds", "MaxvCpus"})
# ComputeResources.Type values an infrastructure update can switch between.
INSTANCE_TYPES = frozenset({"EC2", "SPOT"})


def needs_spot_fleet_role(ce: ComputeEnvironment) -> bool:
    return ce.type == ComputeType.SPOT and ce.effective_allocation_strategy in SPOT_FLEET_STRATEGIES


def compute_environment_replacement(old: dict[str, Any], new: dict[str, Any]) -> list[tuple[str, str]]:
    """Why updating a compute environment from `old` to `new` template properties needs a new environment.

    Returns (property path, reason) pairs, empty when Batch can update it in place. Top-level create-only
    properties (name, Type, Tags) come from the resource schema and are checked by the caller.
    """
    old_resources: dict[str, Any] = old.get("ComputeResources") or {}
    new_resources: dict[str, Any] = new.get("ComputeResources") or {}
    changed = sorted(
        key for key in set(old_resources) | set(new_resources) if old_resources.get(key) != new_resources.get(key)
    )
    if not changed:
        return []
    old_type = str(old_resources.get("Type", ""))
    new_type = str(new_resources.get("Type", ""))
    if old_type != new_type and not {old_type, new_type} <= INSTANCE_TYPES:
        return [("ComputeResources.Type", "Batch cannot switch between EC2/SPOT and Fargate capacity")]
    if old_type not in INSTANCE_TYPES:
        return [
            (f"ComputeResources.{key}", "a Fargate compute environment can only change its subnets and security groups")
            for key in changed
            if key not in FARGATE_SETTINGS
        ]
    infrastructure = [key for key in changed if key not in SCALING_SETTINGS]
    if not infrastructure:
        return []
    if _replaces_on_update(old):
        return [
            (f"ComputeResources.{key}", "the deployed environment has ReplaceComputeEnvironment true")
            for key in infrastructure
        ]
    strategy = str(old_resources.get("AllocationStrategy") or "BEST_FIT")
    if strategy not in INFRASTRUCTURE_UPDATE_STRATEGIES:
        return [
            (f"ComputeResources.{key}", f"allocation strategy {strategy} supports no infrastructure update")
            for key in infrastructure
        ]
    return []


def _replaces_on_update(properties: dict[str, Any]) -> bool:
    """ReplaceComputeEnvironment defaults to true: then any infrastructure change replaces the environment."""
    value = properties.get("ReplaceComputeEnvironment", True)
    return str(value).lower() != "false"
