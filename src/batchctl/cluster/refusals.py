"""Say which batchctl.yaml key causes a refused update, in one line per resource, and the way out."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from batchctl.cluster.preflight import Replacement
from batchctl.errors import DeployError

if TYPE_CHECKING:
    from batchctl.config import ClusterConfig

# The configuration key behind each property of the resources batchctl names (its own template's contract).
_COMPUTE_KEYS = {
    "ComputeResources.Type": "type",
    "ComputeResources.InstanceTypes": "instance_types",
    "ComputeResources.AllocationStrategy": "allocation_strategy",
    "ComputeResources.SpotIamFleetRole": "allocation_strategy",
    "ComputeResources.BidPercentage": "bid_percentage",
    "ComputeResources.LaunchTemplate": "root_volume_gb",
    "ComputeResources.Ec2Configuration": "gpu",
    "ComputeResources.Subnets": "network.availability_zones",
    "ComputeResources.SecurityGroupIds": "network",
    "ComputeResources.Tags": "tags",
    "ComputeResources.InstanceRole": "type",
    "Tags": "tags",
    "Type": "type",
}
_QUEUE_KEYS = {"SchedulingPolicyArn": "fair_share", "Tags": "tags"}
_KINDS = {
    "AWS::Batch::ComputeEnvironment": "compute environment",
    "AWS::Batch::JobQueue": "job queue",
    "AWS::Batch::SchedulingPolicy": "scheduling policy",
    "AWS::EC2::LaunchTemplate": "launch template",
    "AWS::EC2::SecurityGroup": "security group",
}
WAY_OUT = (
    "keep the setting, or give the resource a new name in batchctl.yaml (a new resource is created), "
    "or `batchctl destroy` and deploy again (the data stack with the buckets and images is kept)"
)


def _short(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return ",".join(value)
    if value is None:
        return "(none)"
    return json.dumps(value, separators=(",", ":"))


def _key(config: ClusterConfig, replacement: Replacement) -> tuple[str, str]:
    """(batchctl.yaml key, "old -> new") of one replacement."""
    short = replacement.physical_name.removeprefix(f"{config.name}-")
    old, new = _short(replacement.old), _short(replacement.new)
    if replacement.resource_type == "AWS::Batch::ComputeEnvironment":
        index = next((i for i, ce in enumerate(config.compute_environments) if ce.name == short), None)
        key = _COMPUTE_KEYS.get(replacement.path, replacement.path)
        if key.startswith("network") or key == "tags":
            return key, "changed"
        prefix = f"compute_environments[{index}]" if index is not None else f"compute_environments ({short})"
        if key == "root_volume_gb":
            return f"{prefix}.{key}", "changed (a new launch template version)"
        if isinstance(replacement.old, dict) or isinstance(replacement.new, dict):
            return f"{prefix}.{key}", "changed"
        return f"{prefix}.{key}", f"{old} -> {new}"
    if replacement.resource_type == "AWS::Batch::JobQueue":
        index = next((i for i, queue in enumerate(config.queues) if queue.name == short), None)
        key = _QUEUE_KEYS.get(replacement.path, replacement.path)
        prefix = f"queues[{index}]" if index is not None else f"queues ({short})"
        if key == "fair_share":
            had = replacement.old is not None
            return f"{prefix}.fair_share", f"{str(had).lower()} -> {str(not had).lower()}"
        return f"{prefix}.{key}", "changed"
    return f"{replacement.logical_id}.{replacement.path}", "changed"


_ORDER = list(_COMPUTE_KEYS)


def _rank(item: Replacement) -> tuple[bool, int]:
    derived = isinstance(item.old, dict) or isinstance(item.new, dict)
    return derived, _ORDER.index(item.path) if item.path in _ORDER else len(_ORDER)


def refusal_lines(config: ClusterConfig, replacements: list[Replacement]) -> list[str]:
    """One line per refused resource: the key that changed, what it would do, and why AWS refuses."""
    by_resource: dict[str, list[Replacement]] = {}
    for replacement in replacements:
        by_resource.setdefault(replacement.logical_id, []).append(replacement)
    lines = []
    for found in by_resource.values():
        # Lead with a setting the user wrote (a literal value), the most telling first (type before its effects).
        items = sorted(found, key=_rank)
        first = items[0]
        keys: list[str] = []
        changes: list[str] = []
        for item in items:
            key, change = _key(config, item)
            if key not in keys:
                keys.append(key)
                changes.append(change)
        head = f"{keys[0]}: {changes[0]}"
        if len(keys) > 1:
            head += f" (with {', '.join(keys[1:])})"
        kind = _KINDS.get(first.resource_type, first.resource_type)
        reasons = sorted({item.reason for item in items if item.reason})
        why = f" ({'; '.join(reasons)})" if reasons else ""
        lines.append(f"{head} would replace {kind} {first.physical_name}{why}, which AWS refuses for a named resource")
    return lines


def refusal_error(stack_name: str, config: ClusterConfig, replacements: list[Replacement]) -> DeployError:
    lines = refusal_lines(config, replacements)
    return DeployError(
        f"{stack_name}: {len(lines)} change(s) AWS cannot make in place; nothing was changed",
        hint=WAY_OUT,
        details=lines,
    )
