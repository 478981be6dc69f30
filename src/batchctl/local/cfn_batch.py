"""CloudFormation handlers for AWS Batch resources in the emulator.

moto creates Batch resources from a template but cannot update or delete them. These functions implement what
CloudFormation does on AWS, expressed with moto's Batch backend: in-place updates where AWS updates in place,
replacement where AWS replaces, and deletion in the order AWS enforces (a compute environment cannot be deleted while a
job queue still uses it).
"""

from __future__ import annotations

import json
from typing import Any

from moto.batch.exceptions import ClientException
from moto.batch.models import BatchBackend, ComputeEnvironment, JobDefinition, JobQueue, batch_backends
from moto.iam.exceptions import NotFoundException as IAMNotFoundException
from moto.iam.models import iam_backends
from moto.utilities.utils import get_partition

from batchctl.local import moto_adapter

# Keys whose values are maps of user-chosen names: their keys are data, not API field names.
_USER_KEYED_MAPS = frozenset({"Tags", "Parameters", "Options", "DriverOpts", "Labels"})
# CloudFormation accepts these as strings ("16"); the Batch API reports integers.
_INTEGER_FIELDS = frozenset(
    {"minvCpus", "maxvCpus", "desiredvCpus", "bidPercentage", "priority", "order", "attempts", "attemptDurationSeconds"}
)

BATCH_SERVICE = "batch.amazonaws.com"
SERVICE_LINKED_ROLE_NAME = "AWSServiceRoleForBatch"


def api_shape(value: Any, key: str | None = None) -> Any:
    """Convert CloudFormation property casing (``MaxvCpus``) to Batch API casing (``maxvCpus``).

    Unlike moto's own conversion, keys of user maps (tags, parameters, log driver options) are kept as written.
    """
    if isinstance(value, dict):
        if key in _USER_KEYED_MAPS:
            return dict(value)
        converted = {}
        for name, item in value.items():
            api_name = name[:1].lower() + name[1:]
            converted[api_name] = api_shape(item, name)
        return converted
    if isinstance(value, list):
        return [api_shape(item, key) for item in value]
    if key is not None and key[:1].lower() + key[1:] in _INTEGER_FIELDS and isinstance(value, str) and value.isdigit():
        return int(value)
    return value


def backend_for(account_id: str, region_name: str) -> BatchBackend:
    return batch_backends[account_id][region_name]


def service_linked_role_arn(account_id: str, region_name: str) -> str:
    """ARN of AWSServiceRoleForBatch, which AWS uses when a compute environment names no service role.

    The role is created in the emulator's IAM on first use, as AWS does when the account first uses Batch.
    """
    iam = iam_backends[account_id][get_partition(region_name)]
    try:
        role = iam.get_role(SERVICE_LINKED_ROLE_NAME)
    except IAMNotFoundException:
        # Created directly: moto's CreateServiceLinkedRole would name it "AWSServiceRoleForbatch".
        trust = {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Principal": {"Service": BATCH_SERVICE}, "Action": "sts:AssumeRole"}],
        }
        role = iam.create_role(
            SERVICE_LINKED_ROLE_NAME,
            json.dumps(trust),
            f"/aws-service-role/{BATCH_SERVICE}/",
            permissions_boundary=None,
            description="Allows AWS Batch to create and manage AWS resources on your behalf",
            tags=[],
            max_session_duration="3600",
            linked_service=BATCH_SERVICE,
        )
    return str(role.arn)


# --- compute environments -----------------------------------------------------------------------------------------


def queues_using(backend: BatchBackend, compute_environment: ComputeEnvironment) -> list[JobQueue]:
    return [
        queue
        for queue in backend._job_queues.values()
        if any(env.arn == compute_environment.arn for env in queue.environments)
    ]


def delete_compute_environment(backend: BatchBackend, identifier: str) -> None:
    """Disable, then delete; refuse while a job queue still uses it, as AWS does.

    moto's stack deletion retries resources that fail, so refusing here makes queues go before their environments.
    """
    compute_environment = backend.get_compute_environment(identifier)
    if compute_environment is None:
        return
    users = queues_using(backend, compute_environment)
    if users:
        names = ", ".join(queue.name for queue in users)
        raise ClientException(f"Cannot delete, found existing JobQueue relationship: {names}")
    compute_environment.state = "DISABLED"
    backend.delete_compute_environment(compute_environment.arn)


def _repoint_queues(backend: BatchBackend, old: ComputeEnvironment, new: ComputeEnvironment) -> None:
    """Make queues that used ``old`` use ``new``.

    On AWS the queue's ``Ref`` to the replaced environment changes value and CloudFormation updates the queue; moto
    only updates resources whose template text changed, so the emulator follows the reference itself.
    """
    for queue in queues_using(backend, old):
        queue.environments = [new if env.arn == old.arn else env for env in queue.environments]
        for entry in queue.env_order_json:
            if entry.get("computeEnvironment") in (old.arn, old.name):
                entry["computeEnvironment"] = new.arn


def update_compute_environment(
    resource_class: type[ComputeEnvironment],
    original: ComputeEnvironment,
    properties: dict[str, Any],
    cloudformation_json: dict[str, Any],
    account_id: str,
    region_name: str,
) -> ComputeEnvironment:
    backend = backend_for(account_id, region_name)
    name = properties.get("ComputeEnvironmentName", original.name)
    new_type = str(properties.get("Type", original.env_type)).upper()
    if name != original.name or new_type != original.env_type:
        # Name and type cannot change in place: AWS creates a new environment and deletes the old one.
        replacement = resource_class.create_from_cloudformation_json(name, cloudformation_json, account_id, region_name)
        _repoint_queues(backend, original, replacement)
        delete_compute_environment(backend, original.arn)
        return replacement

    if "ComputeResources" in properties:
        compute_resources = api_shape(properties["ComputeResources"], "ComputeResources")
        backend._validate_compute_resources(compute_resources)
        original.compute_resources = compute_resources
    backend.update_compute_environment(
        original.arn,
        state=properties.get("State", "ENABLED"),
        compute_resources=None,
        # No service role in the template means the service-linked role, on update as on create.
        service_role=properties.get("ServiceRole") or service_linked_role_arn(account_id, region_name),
    )
    return original


# --- job queues ---------------------------------------------------------------------------------------------------


def _compute_environment_order(backend: BatchBackend, properties: dict[str, Any]) -> list[dict[str, Any]]:
    order = []
    for entry in api_shape(properties.get("ComputeEnvironmentOrder", []), "ComputeEnvironmentOrder"):
        environment = backend.get_compute_environment(entry["computeEnvironment"])
        if environment is None:
            raise ClientException(f"Compute environment {entry['computeEnvironment']} does not exist")
        order.append({"order": int(entry["order"]), "computeEnvironment": environment.arn})
    return order


def delete_job_queue(backend: BatchBackend, identifier: str) -> None:
    """Disable, then delete, as CloudFormation does on AWS."""
    queue = backend.get_job_queue(identifier)
    if queue is None:
        return
    queue.state = "DISABLED"
    backend.delete_job_queue(queue.arn)


def update_job_queue(
    resource_class: type[JobQueue],
    original: JobQueue,
    properties: dict[str, Any],
    cloudformation_json: dict[str, Any],
    account_id: str,
    region_name: str,
) -> JobQueue:
    backend = backend_for(account_id, region_name)
    name = properties.get("JobQueueName", original.name)
    if name != original.name:
        replacement = resource_class.create_from_cloudformation_json(name, cloudformation_json, account_id, region_name)
        delete_job_queue(backend, original.arn)
        return replacement

    moto_adapter.check_time_limit_actions(time_limit_actions(properties))
    backend.update_job_queue(
        original.name,
        priority=int(properties["Priority"]) if "Priority" in properties else None,  # type: ignore[arg-type]
        state=properties.get("State", "ENABLED"),
        compute_env_order=_compute_environment_order(backend, properties),
        schedule_policy=properties.get("SchedulingPolicyArn"),
    )
    moto_adapter.set_time_limit_actions(original, time_limit_actions(properties))
    return original


def time_limit_actions(properties: dict[str, Any]) -> list[dict[str, Any]]:
    """A queue's ``JobStateTimeLimitActions`` in the Batch API's shape (what the executor acts on)
    (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-properties-batch-jobqueue-jobstatetimelimitaction.html)."""
    return [
        {
            "action": action.get("Action", "CANCEL"),
            "maxTimeSeconds": int(action["MaxTimeSeconds"]),
            "reason": action.get("Reason", ""),
            "state": action.get("State", "RUNNABLE"),
        }
        for action in properties.get("JobStateTimeLimitActions") or []
    ]


# --- job definitions ----------------------------------------------------------------------------------------------


def register_job_definition(name: str, properties: dict[str, Any], account_id: str, region_name: str) -> JobDefinition:
    """Register a job definition from template properties, keeping parameter names, tags and timeout intact."""
    backend = backend_for(account_id, region_name)

    def optional(key: str) -> Any:
        return api_shape(properties[key], key) if key in properties else None

    job_definition = backend.register_job_definition(
        def_name=name,
        parameters=dict(properties.get("Parameters") or {}),
        _type=str(properties.get("Type", "container")).lower(),
        tags=dict(properties.get("Tags") or {}),
        retry_strategy=optional("RetryStrategy") or {},
        container_properties=optional("ContainerProperties"),
        node_properties=optional("NodeProperties"),
        eks_properties=optional("EksProperties"),
        timeout=optional("Timeout") or {},
        platform_capabilities=list(properties.get("PlatformCapabilities") or []),
        propagate_tags=bool(properties.get("PropagateTags", False)),
    )
    # moto copies these from the previous revision when the name is already registered.
    job_definition.platform_capabilities = list(properties.get("PlatformCapabilities") or [])
    job_definition.propagate_tags = bool(properties.get("PropagateTags", False))
    return job_definition


def deregister_job_definition(backend: BatchBackend, identifier: str) -> None:
    job_definition = backend.get_job_definition(identifier)
    if job_definition is not None:
        backend.deregister_job_definition(job_definition.arn)


def update_job_definition(
    resource_class: type[JobDefinition],
    original: JobDefinition,
    properties: dict[str, Any],
    cloudformation_json: dict[str, Any],
    account_id: str,
    region_name: str,
) -> JobDefinition:
    """Every change is a replacement: a new revision is registered, then the old revision is deregistered."""
    name = properties.get("JobDefinitionName", original.name)
    replacement = resource_class.create_from_cloudformation_json(name, cloudformation_json, account_id, region_name)
    deregister_job_definition(backend_for(account_id, region_name), original.arn)
    return replacement
