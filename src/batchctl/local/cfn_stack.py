"""Stack-level CloudFormation behaviour of the emulator: change-set execution, update order, failures.

These functions replace or wrap pieces of moto's CloudFormation backend; :mod:`batchctl.local.compat` installs them.
They follow what CloudFormation does on AWS: an execution that fails leaves the stack in a ROLLBACK/FAILED state with
an event naming the failed resource (instead of an HTTP 500 and a stack stuck IN_PROGRESS), and an update creates and
updates resources before it deletes the ones the new template dropped.
"""

from __future__ import annotations

import contextlib
import contextvars
import copy
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from moto.cloudformation import parsing
from moto.cloudformation.exceptions import UnformattedGetAttTemplateException, ValidationError
from moto.cloudformation.models import ChangeSet, CloudFormationBackend, Event, Stack
from moto.cloudformation.parsing import ResourceMap
from moto.core.common_models import CloudFormationModel

logger = logging.getLogger(__name__)

_MAX_PASSES = 5
_FAILED_RESOURCE_ATTRIBUTE = "batchctl_failed_resource"


# --- which resource failed ----------------------------------------------------------------------------------------


def remember_failed_resource(err: BaseException, logical_id: str, resource_type: str) -> None:
    """Attach the innermost resource being processed to an exception (resources resolve their references lazily)."""
    if not hasattr(err, _FAILED_RESOURCE_ATTRIBUTE):
        with contextlib.suppress(AttributeError):  # exception types with __slots__
            setattr(err, _FAILED_RESOURCE_ATTRIBUTE, (logical_id, resource_type))


def failed_resource(err: BaseException) -> tuple[str, str] | None:
    found = getattr(err, _FAILED_RESOURCE_ATTRIBUTE, None)
    return found if isinstance(found, tuple) else None


def failure_reason(err: BaseException) -> str:
    message = getattr(err, "message", None) or str(err)
    return f"{type(err).__name__}: {message}"


def add_resource_event(stack: Stack, logical_id: str, resource_type: str, status: str, reason: str) -> None:
    stack.events.append(
        Event(
            stack_id=stack.stack_id,
            stack_name=stack.name,
            logical_resource_id=logical_id,
            physical_resource_id="",
            resource_type=resource_type,
            resource_status=status,
            resource_status_reason=reason,
            resource_properties=None,
        )
    )


def record_failure(stack: Stack, err: BaseException, operation: str) -> str:
    """Add the failure events AWS shows: the failed resource first, then the stack. Returns the reason."""
    reason = failure_reason(err)
    resource = failed_resource(err)
    if resource is not None:
        add_resource_event(stack, resource[0], resource[1], f"{operation}_FAILED", reason)
        reason = f"Resource {resource[0]} ({resource[1]}) failed: {reason}"
    return reason


# --- update order -------------------------------------------------------------------------------------------------


def _in_passes(names: list[str], action: Callable[[str], None]) -> None:
    """Run ``action`` on every name, retrying failures in later passes while progress is made.

    Resources may depend on each other in ways the template does not spell out (a queue on its compute environment),
    so an order that fails now may succeed once the others are done.
    """
    pending = list(names)
    last_error: Exception | None = None
    for _ in range(_MAX_PASSES):
        if not pending:
            return
        progressed = False
        for name in list(pending):
            try:
                action(name)
            except Exception as err:
                last_error = err
            else:
                pending.remove(name)
                progressed = True
        if not progressed:
            break
    if pending and last_error is not None:
        raise last_error


def update_resources(
    resource_map: ResourceMap, template: dict[str, Any], parameters: dict[str, Any] | None = None
) -> None:
    """Update a stack's resources in CloudFormation's order: add, then modify, then delete what was removed.

    A resource the new template no longer has may still be in use by one that is only now being changed (a compute
    environment that a queue is being moved away from), so it can only go after the updates.
    """
    actions = resource_map.build_resource_diff(template, parameters)
    previous_resources = resource_map._resource_json_map

    resource_map._template = template
    if parameters:
        resource_map.input_parameters = parameters
    resource_map.load_mapping()
    resource_map.load_parameters()
    resource_map.load_conditions()
    resource_map._resource_json_map = template["Resources"]

    for logical_id in actions["Add"]:
        _ = resource_map[logical_id]  # the lazy map creates a resource on first access

    def modify(logical_id: str) -> None:
        resource_json = resource_map._resource_json_map[logical_id]
        try:
            changed = parsing.parse_and_update_resource(
                logical_id,
                resource_json,
                resource_map,
                account_id=resource_map._account_id,
                region_name=resource_map._region_name,
            )
        except Exception as err:
            remember_failed_resource(err, logical_id, resource_json.get("Type", ""))
            raise
        if changed is not None:  # None: moto cannot update this type; keep tracking the existing resource
            resource_map._parsed_resources[logical_id] = changed

    def remove(logical_id: str) -> None:
        resource = resource_map._parsed_resources.get(logical_id)
        resource_json = previous_resources[logical_id]
        if resource is not None and not isinstance(resource, str):
            try:
                resource_map._delete_resource(resource, resource_json)
            except Exception as err:
                remember_failed_resource(err, logical_id, resource_json.get("Type", ""))
                raise
        resource_map._parsed_resources.pop(logical_id, None)

    _in_passes(actions["Modify"], modify)
    _in_passes(actions["Remove"], remove)


# --- deleting a stack's resources ---------------------------------------------------------------------------------


def delete_resources(resource_map: ResourceMap) -> None:
    """Delete a stack's resources; whatever happens, the stack then only knows the resources that still exist.

    moto's resource map is lazy: reading a resource that is not in it creates it. Without forgetting the deleted
    ones, merely listing a DELETE_FAILED or rolled-back stack's resources would create them all again.
    """
    try:
        resource_map.delete()
    finally:
        resource_map._resource_json_map = {
            logical_id: resource_json
            for logical_id, resource_json in resource_map._resource_json_map.items()
            if logical_id in resource_map._parsed_resources
        }


# --- change-set execution -----------------------------------------------------------------------------------------


def refresh_stack_from_change_set(change_set: ChangeSet) -> None:
    """After a change set is applied, the stack takes its template, parameters and outputs from it."""
    stack = change_set.stack
    stack.template = change_set.template
    stack._parse_template()
    stack.description = stack.template_dict.get("Description")
    if change_set.parameters:
        stack.parameters = change_set.parameters
    stack.output_map = stack._create_output_map()


def find_change_set(backend: CloudFormationBackend, change_set_name: str, stack_name: str | None) -> ChangeSet | None:
    if change_set_name in backend.change_sets:
        return backend.change_sets[change_set_name]
    for change_set in backend.change_sets.values():
        if change_set.change_set_name == change_set_name and stack_name in (None, change_set.stack_name):
            return change_set
    return None


def change_set_and_stack(
    backend: CloudFormationBackend, change_set_name: str, stack_name: str | None
) -> tuple[ChangeSet | None, Stack | None]:
    """The change set a request names and the stack it belongs to (None for what does not exist)."""
    change_set = find_change_set(backend, change_set_name, stack_name)
    return change_set, backend.stacks.get(change_set.stack_id) if change_set is not None else None


def execute_change_set_reporting_failures(
    original: Callable[..., None],
    backend: CloudFormationBackend,
    change_set_name: str,
    stack_name: str | None = None,
) -> None:
    """Run moto's execution; on failure roll back and leave the stack in the state AWS would show."""
    change_set = find_change_set(backend, change_set_name, stack_name)
    if change_set is None:
        original(backend, change_set_name, stack_name)  # moto raises the not-found error
        return
    stack = backend.stacks[change_set.stack_id]
    previous_template = copy.deepcopy(stack.template_dict)
    previous_parameters = dict(stack.resource_map.input_parameters or {})
    try:
        original(backend, change_set_name, stack_name)
    except Exception as err:
        logger.warning("change set %s failed: %s", change_set.change_set_name, failure_reason(err))
        change_set.execution_status = "EXECUTE_FAILED"
        if change_set.change_set_type == "CREATE":
            _roll_back_create(stack, err)
        else:
            _roll_back_update(stack, err, previous_template, previous_parameters)


def _roll_back_create(stack: Stack, err: Exception) -> None:
    reason = record_failure(stack, err, "CREATE")
    stack.status = "ROLLBACK_IN_PROGRESS"
    stack._add_stack_event("ROLLBACK_IN_PROGRESS", resource_status_reason=f"The following resource(s) failed: {reason}")
    token = rolling_back_creation.set(True)
    try:
        delete_resources(stack.resource_map)
    except Exception as rollback_err:
        stack.status = "ROLLBACK_FAILED"
        stack._add_stack_event("ROLLBACK_FAILED", resource_status_reason=failure_reason(rollback_err))
        return
    finally:
        rolling_back_creation.reset(token)
    stack.status = "ROLLBACK_COMPLETE"
    stack._add_stack_event("ROLLBACK_COMPLETE")


def _roll_back_update(
    stack: Stack, err: Exception, previous_template: dict[str, Any], previous_parameters: dict[str, Any]
) -> None:
    reason = record_failure(stack, err, "UPDATE")
    stack.status = "UPDATE_ROLLBACK_IN_PROGRESS"
    stack._add_stack_event(
        "UPDATE_ROLLBACK_IN_PROGRESS", resource_status_reason=f"The following resource(s) failed: {reason}"
    )
    try:
        stack.resource_map.update(previous_template, previous_parameters)
    except Exception as rollback_err:
        stack.status = "UPDATE_ROLLBACK_FAILED"
        stack._add_stack_event("UPDATE_ROLLBACK_FAILED", resource_status_reason=failure_reason(rollback_err))
        return
    stack.output_map = stack._create_output_map()
    stack.status = "UPDATE_ROLLBACK_COMPLETE"
    stack._add_stack_event("UPDATE_ROLLBACK_COMPLETE")


# --- stack deletion -----------------------------------------------------------------------------------------------


def delete_stack_reporting_failures(backend: CloudFormationBackend, name_or_stack_id: str) -> None:
    """Delete a stack; if a resource cannot be deleted, keep the stack as DELETE_FAILED like AWS does.

    moto removes the stack from its list before deleting its resources, so a failure made the stack vanish while
    resources stayed behind.
    """
    stacks = [stack for stack in backend.stacks.values() if name_or_stack_id in (stack.stack_id, stack.name)]
    for stack in stacks:
        export_names = [export.name for export in stack.exports]
        stack._add_stack_event("DELETE_IN_PROGRESS", resource_status_reason="User Initiated")
        stack.status = "DELETE_IN_PROGRESS"
        try:
            delete_resources(stack.resource_map)
        except Exception as err:
            reason = record_failure(stack, err, "DELETE")
            stack.status = "DELETE_FAILED"
            stack._add_stack_event("DELETE_FAILED", resource_status_reason=reason)
            continue
        stack._add_stack_event("DELETE_COMPLETE")
        stack.status = "DELETE_COMPLETE"
        backend.stacks.pop(stack.stack_id, None)
        backend.deleted_stacks[stack.stack_id] = stack
        for export_name in export_names:
            backend.exports.pop(export_name, None)


# --- resource types moto does not implement -----------------------------------------------------------------------


class PlaceholderResource(CloudFormationModel):
    """Stands in for a resource type moto does not implement (e.g. ``AWS::S3::BucketPolicy``).

    It has no effect, but the stack lists it under its logical id, type and a physical id, as AWS does, and
    ``Ref`` resolves to that physical id.
    """

    def __init__(self, physical_id: str, resource_type: str) -> None:
        self._physical_id = physical_id
        self.cf_resource_type = resource_type

    @property
    def physical_resource_id(self) -> str:
        return self._physical_id

    @staticmethod
    def cloudformation_name_type() -> str:
        return ""

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::CloudFormation::Placeholder"

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return True

    def get_cfn_attribute(self, attribute_name: str) -> Any:
        raise UnformattedGetAttTemplateException()

    @classmethod
    def create_from_cloudformation_json(
        cls,
        resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
        **kwargs: Any,
    ) -> PlaceholderResource:
        return cls(resource_name, str(kwargs.get("ResourceType") or cloudformation_json.get("Type", "")))

    @classmethod
    def update_from_cloudformation_json(
        cls,
        original_resource: PlaceholderResource,
        new_resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
    ) -> PlaceholderResource:
        return original_resource

    @classmethod
    def delete_from_cloudformation_json(
        cls,
        resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
    ) -> None:
        return None

    def is_created(self) -> bool:
        return True


def resource_class_or_placeholder(
    original: Callable[[str], type[CloudFormationModel] | None], resource_type: str
) -> type[CloudFormationModel] | None:
    resource_class = original(resource_type)
    if resource_class is None and resource_type not in parsing.NULL_MODELS:
        return PlaceholderResource
    return resource_class


# --- what CloudFormation refuses to update ------------------------------------------------------------------------


def refuse_named_replacements(resource_map: ResourceMap, template: dict[str, Any]) -> None:
    """Fail an update that would replace a resource with a fixed name, as CloudFormation does, before any resource
    is touched. moto's handlers replace such resources (or update them in place where AWS cannot)."""
    from batchctl.cluster.preflight import named_replacements, refused_update_message

    deployed = {"Resources": resource_map._resource_json_map}
    replacements = named_replacements(deployed, template)
    if replacements:
        first = replacements[0]
        err = ValidationError(message=refused_update_message(first))
        remember_failed_resource(err, first.logical_id, first.resource_type)
        raise err


# --- termination protection ---------------------------------------------------------------------------------------


def update_termination_protection(backend: CloudFormationBackend, name_or_stack_id: str, enabled: bool) -> Stack:
    stack = next((stack for stack in backend.stacks.values() if name_or_stack_id in (stack.stack_id, stack.name)), None)
    if stack is None:
        raise ValidationError(name_or_stack_id)
    stack.enable_termination_protection = enabled
    return stack


def refuse_deleting_protected_stack(backend: CloudFormationBackend, name_or_stack_id: str) -> None:
    for stack in backend.stacks.values():
        if name_or_stack_id in (stack.stack_id, stack.name) and stack.enable_termination_protection:
            raise ValidationError(
                message=f"Stack [{stack.name}] cannot be deleted while TerminationProtection is enabled"
            )


# --- DeletionPolicy RetainExceptOnCreate --------------------------------------------------------------------------

RETAIN_EXCEPT_ON_CREATE = "RetainExceptOnCreate"
rolling_back_creation: contextvars.ContextVar[bool] = contextvars.ContextVar("rolling_back_creation", default=False)


def delete_honouring_retain_except_on_create(
    original: Callable[[ResourceMap], None], resource_map: ResourceMap
) -> None:
    """Delete a stack's resources keeping those whose DeletionPolicy is RetainExceptOnCreate, unless the deletion
    rolls back the stack's failed creation (moto keeps only ``Retain``)."""
    if rolling_back_creation.get():
        original(resource_map)
        return
    saved = resource_map._resource_json_map
    resource_map._resource_json_map = {
        logical_id: {**resource, "DeletionPolicy": "Retain"}
        if resource.get("DeletionPolicy") == RETAIN_EXCEPT_ON_CREATE
        else resource
        for logical_id, resource in saved.items()
    }
    try:
        original(resource_map)
    finally:
        resource_map._resource_json_map = saved


# --- exports ------------------------------------------------------------------------------------------------------


def execute_change_set_with_exports(
    original: Callable[..., None],
    backend: CloudFormationBackend,
    change_set_name: str,
    stack_name: str | None = None,
) -> None:
    """Run a change set with the region's exports visible to Fn::ImportValue, then publish the stack's exports."""
    _, stack = change_set_and_stack(backend, change_set_name, stack_name)
    if stack is not None:
        stack.cross_stack_resources = backend.exports
        stack.resource_map.cross_stack_resources = backend.exports
    original(backend, change_set_name, stack_name)
    if stack is None or stack.status not in ("CREATE_COMPLETE", "UPDATE_COMPLETE"):
        return
    for name in [name for name, export in backend.exports.items() if export.exporting_stack_id == stack.stack_id]:
        backend.exports.pop(name)
    for export in stack.exports:
        backend.exports[export.name] = export


# --- LastUpdatedTime ----------------------------------------------------------------------------------------------


def execute_change_set_recording_update_time(
    original: Callable[..., None],
    backend: CloudFormationBackend,
    change_set_name: str,
    stack_name: str | None = None,
) -> None:
    """An UPDATE change set stamps the stack's LastUpdatedTime when it starts, whether it then succeeds or not."""
    change_set, stack = change_set_and_stack(backend, change_set_name, stack_name)
    if stack is not None and change_set is not None and change_set.change_set_type == "UPDATE":
        stack.last_updated_time = datetime.now(UTC)  # type: ignore[attr-defined]  # read by the response serializer
    original(backend, change_set_name, stack_name)
