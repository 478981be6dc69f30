"""Before any change set: refuse an update that AWS would refuse, with the batchctl.yaml key that causes it.

CloudFormation replaces a resource when a create-only property changes, and it cannot replace a resource with a
fixed physical name ("CloudFormation cannot update a stack when a custom-named resource requires replacing"):
https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/troubleshooting.html#troubleshooting-errors-resource-name
The create-only properties come from the CloudFormation resource provider schemas that ship with cfn-lint; a
compute environment is judged by the AWS Batch update rules (:mod:`batchctl.infra.update_rules`), and a job queue
cannot gain or lose a fair-share scheduling policy:
https://docs.aws.amazon.com/batch/latest/APIReference/API_UpdateJobQueue.html (schedulingPolicyArn)

The same comparison runs inside the local emulator, whose update handlers refuse what this refuses on AWS.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from typing import Any

from batchctl.infra.update_rules import compute_environment_replacement

_COMPUTE_ENVIRONMENT = "AWS::Batch::ComputeEnvironment"
_JOB_QUEUE = "AWS::Batch::JobQueue"
# The error CloudFormation reports for such an update (as the emulator reports it too).
CUSTOM_NAME_ERROR = (
    "CloudFormation cannot update a stack when a custom-named resource requires replacing. "
    "Rename {name} and update the stack again."
)
_MISSING = object()


@dataclass(frozen=True)
class Replacement:
    """A change that AWS cannot make to a deployed resource."""

    logical_id: str
    resource_type: str
    physical_name: str  # the fixed name, or "" when the resource has none
    path: str  # the property, e.g. ComputeResources.Type
    old: Any  # None when absent
    new: Any
    reason: str  # "" for a create-only property; otherwise why AWS cannot update it in place


@functools.cache
def _schema(resource_type: str) -> dict[str, Any]:
    from cfnlint.schema.manager import PROVIDER_SCHEMA_MANAGER

    try:
        schema: dict[str, Any] = PROVIDER_SCHEMA_MANAGER.get_resource_schema("us-east-1", resource_type).schema
    except Exception:  # a type cfn-lint does not know: nothing is known to be create-only
        return {}
    return schema


def create_only_properties(resource_type: str) -> list[str]:
    """Create-only property paths of a resource type (`ComputeResources/SpotIamFleetRole`), from its schema."""
    prefix = "/properties/"
    paths = _schema(resource_type).get("createOnlyProperties", [])
    return [path[len(prefix) :] for path in paths if path.startswith(prefix)]


def fixed_name(resource_type: str, properties: dict[str, Any]) -> str:
    """The resource's physical name when the template fixes it (a create-only `...Name` property), else "".

    A name that is not a plain string (e.g. a bucket name joined from the account and region) is shown as JSON.
    """
    for path in create_only_properties(resource_type):
        if "/" not in path and path.endswith("Name") and path in properties:
            value = properties[path]
            return value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))
    return ""


def _value(properties: dict[str, Any], path: str) -> Any:
    value: Any = properties
    for part in path.split("/"):
        if not isinstance(value, dict) or part not in value:
            return _MISSING
        value = value[part]
    return value


def _plain(value: Any) -> Any:
    return None if value is _MISSING else value


def resource_replacements(
    logical_id: str, resource_type: str, old: dict[str, Any], new: dict[str, Any]
) -> list[Replacement]:
    """What in the change from `old` to `new` properties AWS can only do by replacing the resource.

    The physical name is "" unless the resource keeps a fixed name: a renamed resource can be replaced (the new
    one is created under its new name before the old one is deleted).
    """
    name = fixed_name(resource_type, new)
    if name != fixed_name(resource_type, old):
        name = ""
    found = []
    for path in create_only_properties(resource_type):
        before, after = _value(old, path), _value(new, path)
        if before != after:
            found.append(
                Replacement(logical_id, resource_type, name, path.replace("/", "."), _plain(before), _plain(after), "")
            )
    if resource_type == _COMPUTE_ENVIRONMENT:
        for path, reason in compute_environment_replacement(old, new):
            key = path.split(".", 1)[1]
            before = (old.get("ComputeResources") or {}).get(key)
            after = (new.get("ComputeResources") or {}).get(key)
            found.append(Replacement(logical_id, resource_type, name, path, before, after, reason))
    if resource_type == _JOB_QUEUE and ("SchedulingPolicyArn" in old) != ("SchedulingPolicyArn" in new):
        found.append(
            Replacement(
                logical_id,
                resource_type,
                name,
                "SchedulingPolicyArn",
                old.get("SchedulingPolicyArn"),
                new.get("SchedulingPolicyArn"),
                "a job queue cannot gain or lose a fair-share scheduling policy after it is created",
            )
        )
    return found


def _with_changed_references(value: Any, modified: set[str], replaced: set[str]) -> Any:
    """`value` with references that will resolve differently marked: an attribute of a modified resource (a
    launch template's LatestVersionNumber grows with every edit) and the Ref of a replaced resource."""
    if isinstance(value, dict):
        if "Fn::GetAtt" in value and isinstance(value["Fn::GetAtt"], list) and value["Fn::GetAtt"][0] in modified:
            return {"Fn::GetAtt": value["Fn::GetAtt"], "batchctl:changed": True}
        if "Ref" in value and value["Ref"] in replaced:
            return {"Ref": value["Ref"], "batchctl:changed": True}
        return {key: _with_changed_references(item, modified, replaced) for key, item in value.items()}
    if isinstance(value, list):
        return [_with_changed_references(item, modified, replaced) for item in value]
    return value


def _pairs(deployed: dict[str, Any], new: dict[str, Any]) -> dict[str, tuple[str, dict[str, Any], dict[str, Any]]]:
    """logical id -> (type, deployed properties, new properties) of the resources both templates have."""
    old_resources = deployed.get("Resources", {})
    pairs = {}
    for logical_id, resource in new.get("Resources", {}).items():
        previous = old_resources.get(logical_id)
        if previous is not None and previous.get("Type") == resource.get("Type"):
            pairs[logical_id] = (resource["Type"], previous.get("Properties") or {}, resource.get("Properties") or {})
    return pairs


def all_replacements(deployed: dict[str, Any], new: dict[str, Any]) -> list[Replacement]:
    """Every change between two templates that replaces a resource, named or not."""
    pairs = _pairs(deployed, new)
    modified = {logical_id for logical_id, (_, old, new_) in pairs.items() if old != new_}
    replaced: set[str] = set()
    found: list[Replacement] = []
    for _ in range(len(pairs) + 1):  # replacements propagate through Ref until nothing new is replaced
        found = []
        for logical_id, (resource_type, old, new_properties) in pairs.items():
            marked = _with_changed_references(new_properties, modified, replaced)
            if marked == old:
                continue
            found.extend(resource_replacements(logical_id, resource_type, old, marked))
        now_replaced = {item.logical_id for item in found}
        if now_replaced <= replaced:
            break
        replaced |= now_replaced
        modified |= now_replaced
    return found


def named_replacements(deployed: dict[str, Any], new: dict[str, Any]) -> list[Replacement]:
    """Every change between two templates that would replace a resource with a fixed name (AWS refuses them)."""
    return [item for item in all_replacements(deployed, new) if item.physical_name]


def refused_update_message(replacement: Replacement) -> str:
    """The CloudFormation error for one replacement, as the emulator raises it."""
    detail = f" ({replacement.path}: {replacement.reason})" if replacement.reason else f" ({replacement.path})"
    return CUSTOM_NAME_ERROR.format(name=replacement.physical_name) + detail
