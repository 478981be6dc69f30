"""Compatibility layer: the CloudFormation and resource differences between moto 5.2.5 and AWS that the local
emulator closes.

One function per gap, named after the gap. Each is registered in :data:`PATCHES` and applied once by
:func:`apply_all`; tests use ``PATCHES.without(name)`` to show that the gap exists without its patch. Jobs are not
patched here: :mod:`batchctl.local.executor` owns their lifecycle, installed with the Batch API's own gaps by
:mod:`batchctl.local.moto_adapter`.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from moto.batch.models import ComputeEnvironment, JobDefinition, JobQueue
from moto.cloudformation import parsing
from moto.cloudformation.exceptions import UnformattedGetAttTemplateException
from moto.cloudformation.models import ChangeSet, CloudFormationBackend
from moto.cloudformation.parsing import ResourceMap
from moto.ec2.models.internet_gateways import InternetGateway
from moto.ec2.models.route_tables import Route, RouteTable
from moto.ec2.models.security_groups import SecurityGroup
from moto.ec2.models.subnets import SubnetRouteTableAssociation
from moto.ec2.models.vpn_gateway import VPCGatewayAttachment

from batchctl.local import cfn_batch, cfn_network, cfn_stack, moto_adapter
from batchctl.local.patching import PatchSet, replace_attribute

PATCHES = PatchSet()
"""The gap patches, in the order they are applied."""


def apply_all() -> None:
    """Apply every compatibility patch and the job executor's seams (idempotent); refuses another moto version."""
    moto_adapter.require_pinned_moto()
    PATCHES.apply_all()
    moto_adapter.SEAMS.apply_all()
    moto_adapter.API_PATCHES.apply_all()


def revert_all() -> None:
    """Restore moto exactly as it was (for tests that share a process with other moto users)."""
    moto_adapter.API_PATCHES.revert_all()
    moto_adapter.SEAMS.revert_all()
    PATCHES.revert_all()


# --- CloudFormation: Batch resources ------------------------------------------------------------------------------


def _adjust_compute_environment_properties(
    adjust: Callable[[dict[str, Any], str, str], dict[str, Any]],
) -> None:
    """Let `adjust(properties, account_id, region_name)` rewrite a compute environment's properties before moto
    creates it from CloudFormation."""
    original = ComputeEnvironment.create_from_cloudformation_json

    def create(
        cls: type[ComputeEnvironment],
        resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
        **kwargs: Any,
    ) -> ComputeEnvironment:
        properties = adjust(cloudformation_json.get("Properties", {}), account_id, region_name)
        cloudformation_json = {**cloudformation_json, "Properties": properties}
        return original(resource_name, cloudformation_json, account_id, region_name, **kwargs)

    replace_attribute(ComputeEnvironment, "create_from_cloudformation_json", classmethod(create))


@PATCHES.register
def patch_compute_environment_requires_service_role() -> None:
    """moto 5.2.5: an ``AWS::Batch::ComputeEnvironment`` without ``ServiceRole`` fails with KeyError 'ServiceRole'.

    AWS then uses the service-linked role AWSServiceRoleForBatch; so does the emulator (creating it on first use).
    """

    def with_service_role(properties: dict[str, Any], account_id: str, region_name: str) -> dict[str, Any]:
        if properties.get("ServiceRole"):
            return properties
        return {**properties, "ServiceRole": cfn_batch.service_linked_role_arn(account_id, region_name)}

    _adjust_compute_environment_properties(with_service_role)


@PATCHES.register
def patch_compute_environment_type_is_case_sensitive() -> None:
    """moto 5.2.5: a compute environment ``Type: managed`` fails ("type managed must be one of MANAGED | UNMANAGED").

    AWS accepts the type in any case and reports it upper case.
    """

    def upper_case_type(properties: dict[str, Any], account_id: str, region_name: str) -> dict[str, Any]:
        kind = properties.get("Type")
        return {**properties, "Type": kind.upper()} if isinstance(kind, str) else properties

    _adjust_compute_environment_properties(upper_case_type)


@PATCHES.register
def patch_job_definition_cloudformation_properties_mangled() -> None:
    """moto 5.2.5: ``AWS::Batch::JobDefinition`` lower-cases the first letter of parameter names and tag keys
    (so ``Ref::Greeting`` is never substituted), ignores ``Timeout``, ``PlatformCapabilities``, ``PropagateTags`` and
    ``Type``, and fails with KeyError 'RetryStrategy' when the template has none.
    """

    def create(
        cls: type[JobDefinition],
        resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
        **kwargs: Any,
    ) -> JobDefinition:
        properties = cloudformation_json.get("Properties", {})
        return cfn_batch.register_job_definition(resource_name, properties, account_id, region_name)

    replace_attribute(JobDefinition, "create_from_cloudformation_json", classmethod(create))


def _install_cloudformation_handlers(model: type, update: Callable[..., Any], delete: Callable[..., None]) -> None:
    """Give a moto Batch model the CloudFormation update and delete handlers it lacks.

    `update(cls, original, properties, cloudformation_json, account_id, region_name)` returns the updated (or
    replacing) resource; `delete(backend, resource_name)` removes it.
    """

    def update_from_cloudformation_json(
        cls: type,
        original_resource: Any,
        new_resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
    ) -> Any:
        properties = cloudformation_json.get("Properties", {})
        return update(cls, original_resource, properties, cloudformation_json, account_id, region_name)

    def delete_from_cloudformation_json(
        cls: type, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str
    ) -> None:
        delete(cfn_batch.backend_for(account_id, region_name), resource_name)

    replace_attribute(model, "update_from_cloudformation_json", classmethod(update_from_cloudformation_json))
    replace_attribute(model, "delete_from_cloudformation_json", classmethod(delete_from_cloudformation_json))


@PATCHES.register
def patch_compute_environment_is_create_only() -> None:
    """moto 5.2.5: a changed ``AWS::Batch::ComputeEnvironment`` is silently dropped from the stack on update
    (moto has no update handler) and a stack deletion leaves the environment behind (no delete handler).

    Updates apply state, compute resources and service role in place; a new name or type replaces the environment.
    Deletion disables, then deletes, and refuses while a job queue uses the environment, as AWS does, which makes
    moto's retrying stack deletion remove queues first.
    """
    _install_cloudformation_handlers(
        ComputeEnvironment, cfn_batch.update_compute_environment, cfn_batch.delete_compute_environment
    )


@PATCHES.register
def patch_job_queue_is_create_only() -> None:
    """moto 5.2.5: a changed ``AWS::Batch::JobQueue`` keeps its old priority, state and compute environment order
    (no update handler) and a stack deletion leaves the queue behind (no delete handler).

    Updates apply in place; a new name replaces the queue. Deletion disables, then deletes.
    """
    _install_cloudformation_handlers(JobQueue, cfn_batch.update_job_queue, cfn_batch.delete_job_queue)


@PATCHES.register
def patch_job_queue_time_limit_actions_ignored() -> None:
    """moto 5.2.5: an ``AWS::Batch::JobQueue`` is created without its ``JobStateTimeLimitActions``, so batchctl's
    ``runnable_timeout_minutes`` never cancels a job stuck in RUNNABLE on a deployed cluster. The queue keeps them
    (updates keep them too: :func:`cfn_batch.update_job_queue`)."""
    original = JobQueue.create_from_cloudformation_json

    def create(
        cls: type[JobQueue],
        resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
        **kwargs: Any,
    ) -> JobQueue:
        actions = cfn_batch.time_limit_actions(cloudformation_json.get("Properties", {}))
        moto_adapter.check_time_limit_actions(actions)
        queue = original(resource_name, cloudformation_json, account_id, region_name, **kwargs)
        moto_adapter.set_time_limit_actions(queue, actions)
        return queue

    replace_attribute(JobQueue, "create_from_cloudformation_json", classmethod(create))


@PATCHES.register
def patch_job_definition_is_create_only() -> None:
    """moto 5.2.5: a changed ``AWS::Batch::JobDefinition`` registers no new revision (no update handler) and a stack
    deletion leaves the revision ACTIVE (no delete handler).

    As on AWS, a change registers a new revision and deregisters the old one; deletion deregisters.
    """
    _install_cloudformation_handlers(
        JobDefinition, cfn_batch.update_job_definition, cfn_batch.deregister_job_definition
    )


_BATCH_ARN_ATTRIBUTES: dict[type, str] = {
    ComputeEnvironment: "ComputeEnvironmentArn",
    JobQueue: "JobQueueArn",
}


@PATCHES.register
def patch_batch_resources_have_no_getatt_attributes() -> None:
    """moto 5.2.5: ``Fn::GetAtt`` on a compute environment (ComputeEnvironmentArn) or job queue (JobQueueArn) fails
    with AttributeError 'get_cfn_attribute', so templates must use ``Ref``; CDK's Batch constructs use GetAtt.
    """
    for model, attribute in _BATCH_ARN_ATTRIBUTES.items():

        def has_cfn_attr(cls: type, attr: str, _attribute: str = attribute) -> bool:
            return attr == _attribute

        def get_cfn_attribute(resource: Any, attribute_name: str, _attribute: str = attribute) -> str:
            if attribute_name != _attribute:
                raise UnformattedGetAttTemplateException()
            return str(resource.arn)

        replace_attribute(model, "has_cfn_attr", classmethod(has_cfn_attr))
        replace_attribute(model, "get_cfn_attribute", get_cfn_attribute)


# --- CloudFormation: EC2 ------------------------------------------------------------------------------------------

_PORTLESS_PROTOCOLS = frozenset({"-1", "icmp", "icmpv6", "1", "58"})


@PATCHES.register
def patch_security_group_inline_rule_requires_ports() -> None:
    """moto 5.2.5: an inline ``SecurityGroupIngress`` rule of ``AWS::EC2::SecurityGroup`` without FromPort/ToPort
    (``IpProtocol: -1``, as CDK's ``Port.all_traffic()`` emits) fails with KeyError 'FromPort'.

    The stack then fails later with a misleading "Fn::GetAtt references undefined resource". For protocols that have
    no ports AWS treats missing ports as -1 (all); the emulator fills them in the same way.
    """
    original = SecurityGroup.create_from_cloudformation_json

    def create(
        cls: type[SecurityGroup],
        resource_name: str,
        cloudformation_json: Any,
        account_id: str,
        region_name: str,
        **kwargs: Any,
    ) -> SecurityGroup:
        cloudformation_json = copy.deepcopy(cloudformation_json)
        for rule in cloudformation_json.get("Properties", {}).get("SecurityGroupIngress", []):
            if str(rule.get("IpProtocol", "")).lower() in _PORTLESS_PROTOCOLS:
                rule.setdefault("FromPort", -1)
                rule.setdefault("ToPort", -1)
        return original(resource_name, cloudformation_json, account_id, region_name, **kwargs)

    replace_attribute(SecurityGroup, "create_from_cloudformation_json", classmethod(create))


_NETWORK_DELETERS: dict[type, Callable[[Any, str, str], None]] = {
    RouteTable: cfn_network.delete_route_table,
    Route: cfn_network.delete_route,
    SubnetRouteTableAssociation: cfn_network.delete_subnet_route_table_association,
    InternetGateway: cfn_network.delete_internet_gateway,
    VPCGatewayAttachment: cfn_network.delete_gateway_attachment,
}


@PATCHES.register
def patch_stack_delete_leaves_route_tables_and_gateways() -> None:
    """moto 5.2.5: ``AWS::EC2::RouteTable``, ``Route``, ``SubnetRouteTableAssociation``, ``InternetGateway`` and
    ``VPCGatewayAttachment`` have no delete handler: a stack deletion drops them from the stack but leaves them in
    EC2, and then cannot delete the VPC (DependencyViolation "has dependencies"): the stack ends DELETE_FAILED.
    """
    for model, deleter in _NETWORK_DELETERS.items():

        def delete(resource: Any, account_id: str, region_name: str, _deleter: Any = deleter) -> None:
            _deleter(resource, account_id, region_name)

        # moto's stack deletion calls a resource's own delete(account_id, region_name) when it has one.
        replace_attribute(model, "delete", delete)


# --- CloudFormation: stacks and change sets -----------------------------------------------------------------------


@PATCHES.register
def patch_stack_update_deletes_removed_resources_first() -> None:
    """moto 5.2.5: a stack update deletes the resources the new template dropped before it adds and updates the
    others, so moving a job queue to a new compute environment tries to delete the old environment while the queue
    still uses it. CloudFormation deletes removed resources last (cleanup phase); so does the emulator.
    """
    replace_attribute(ResourceMap, "update", cfn_stack.update_resources)


@PATCHES.register
def patch_change_set_execution_drops_outputs() -> None:
    """moto 5.2.5: after ExecuteChangeSet the stack has no ``Outputs`` (CREATE) or the previous template's outputs
    (UPDATE), because the stack keeps the output map and template of its creation.
    """
    original = ChangeSet.apply

    def apply(change_set: ChangeSet) -> None:
        original(change_set)
        cfn_stack.refresh_stack_from_change_set(change_set)

    replace_attribute(ChangeSet, "apply", apply)


@PATCHES.register
def patch_change_set_execution_failure_leaves_stack_in_progress() -> None:
    """moto 5.2.5: when a resource fails during ExecuteChangeSet the call returns HTTP 500 and the stack stays
    REVIEW_IN_PROGRESS (or UPDATE_IN_PROGRESS) with no event saying which resource failed.

    As on AWS, the call succeeds, the failed resource gets a ``*_FAILED`` event with the reason, the stack is rolled
    back and ends ROLLBACK_COMPLETE (create) or UPDATE_ROLLBACK_COMPLETE (update).
    """
    original_execute = CloudFormationBackend.execute_change_set
    original_create_resource = parsing.parse_and_create_resource
    original_delete_resource = ResourceMap._delete_resource

    def execute_change_set(backend: CloudFormationBackend, change_set_name: str, stack_name: str | None = None) -> None:
        cfn_stack.execute_change_set_reporting_failures(original_execute, backend, change_set_name, stack_name)

    def parse_and_create_resource(logical_id: str, resource_json: dict[str, Any], *args: Any, **kwargs: Any) -> Any:
        try:
            return original_create_resource(logical_id, resource_json, *args, **kwargs)
        except Exception as err:
            cfn_stack.remember_failed_resource(err, logical_id, resource_json.get("Type", ""))
            raise

    def delete_resource(resource_map: ResourceMap, parsed_resource: Any, resource_json: dict[str, Any]) -> None:
        try:
            original_delete_resource(resource_map, parsed_resource, resource_json)
        except Exception as err:
            logical_id = getattr(parsed_resource, "logical_resource_id", "")
            cfn_stack.remember_failed_resource(err, logical_id, resource_json.get("Type", ""))
            raise

    replace_attribute(CloudFormationBackend, "execute_change_set", execute_change_set)
    replace_attribute(parsing, "parse_and_create_resource", parse_and_create_resource)
    replace_attribute(ResourceMap, "_delete_resource", delete_resource)


@PATCHES.register
def patch_stack_delete_failure_loses_stack() -> None:
    """moto 5.2.5: if a resource cannot be deleted, DeleteStack returns HTTP 500 and the stack disappears from
    DescribeStacks while its remaining resources stay. AWS keeps the stack as DELETE_FAILED with the reason.
    Reading the resources of a deleted, rolled-back or DELETE_FAILED stack also re-created the deleted ones (moto's
    resource map creates what it is asked for); such a stack now only knows the resources that still exist.
    """
    replace_attribute(CloudFormationBackend, "delete_stack", cfn_stack.delete_stack_reporting_failures)


@PATCHES.register
def patch_unsupported_resource_types_listed_blank() -> None:
    """moto 5.2.5: a resource of a type moto does not implement (``AWS::S3::BucketPolicy``,
    ``AWS::EC2::SecurityGroupEgress``, ...) is skipped with a warning and then listed by ListStackResources and
    DescribeStackResources with an empty logical id, type and physical id.

    The emulator keeps a placeholder for it: no effect, but listed like any other resource and removed with the stack.
    """
    original = parsing.resource_class_from_type

    def resource_class_from_type(resource_type: str) -> Any:
        return cfn_stack.resource_class_or_placeholder(original, resource_type)

    replace_attribute(parsing, "resource_class_from_type", resource_class_from_type)


# --- CloudFormation: what AWS refuses, and data that outlives a stack ---------------------------------------------


@PATCHES.register
def patch_named_resource_replacement_allowed() -> None:
    """moto 5.2.5 (with the update handlers above): an update that changes a create-only property of a resource with
    a fixed name replaces it, or changes it in place where AWS cannot (a compute environment's type, a queue's
    scheduling policy). CloudFormation fails such an update ("cannot update a stack when a custom-named resource
    requires replacing") and rolls it back; so does the emulator, by the same rules as batchctl's preflight.
    """
    original = ResourceMap.update

    def update(resource_map: ResourceMap, template: dict[str, Any], parameters: dict[str, Any] | None = None) -> None:
        cfn_stack.refuse_named_replacements(resource_map, template)
        original(resource_map, template, parameters)

    replace_attribute(ResourceMap, "update", update)


@PATCHES.register
def patch_termination_protection_not_implemented() -> None:
    """moto 5.2.5: UpdateTerminationProtection is not implemented and DeleteStack deletes a protected stack.

    As on AWS, the flag can be switched (DescribeStacks reports it) and DeleteStack refuses a protected stack with
    "Stack [name] cannot be deleted while TerminationProtection is enabled".
    """
    from moto.cloudformation.responses import CloudFormationResponse
    from moto.core.responses import ActionResult

    original_delete = CloudFormationBackend.delete_stack

    def update_termination_protection(response: CloudFormationResponse) -> ActionResult:
        enabled = str(response._get_param("EnableTerminationProtection")).lower() == "true"
        stack = cfn_stack.update_termination_protection(
            response.cloudformation_backend, response._get_param("StackName"), enabled
        )
        return ActionResult({"StackId": stack.stack_id})

    def delete_stack(backend: CloudFormationBackend, name_or_stack_id: str) -> None:
        cfn_stack.refuse_deleting_protected_stack(backend, name_or_stack_id)
        original_delete(backend, name_or_stack_id)

    replace_attribute(CloudFormationResponse, "update_termination_protection", update_termination_protection)
    replace_attribute(CloudFormationBackend, "delete_stack", delete_stack)


@PATCHES.register
def patch_deletion_policy_retain_except_on_create_ignored() -> None:
    """moto 5.2.5: a resource with ``DeletionPolicy: RetainExceptOnCreate`` is deleted with its stack (moto keeps
    only ``Retain``). AWS keeps it, except when the deletion rolls back the stack's failed creation.
    """
    original = ResourceMap.delete

    def delete(resource_map: ResourceMap) -> None:
        cfn_stack.delete_honouring_retain_except_on_create(original, resource_map)

    replace_attribute(ResourceMap, "delete", delete)


@PATCHES.register
def patch_change_set_stacks_ignore_exports() -> None:
    """moto 5.2.5: a stack created or updated through a change set neither sees the region's exports
    (``Fn::ImportValue`` fails with "No export named ... found") nor publishes its own (ListExports stays empty);
    only CreateStack handles them. As on AWS, a change set's stack imports and exports like any other.
    """
    original = CloudFormationBackend.execute_change_set

    def execute_change_set(backend: CloudFormationBackend, change_set_name: str, stack_name: str | None = None) -> None:
        cfn_stack.execute_change_set_with_exports(original, backend, change_set_name, stack_name)

    replace_attribute(CloudFormationBackend, "execute_change_set", execute_change_set)


@PATCHES.register
def patch_stack_has_no_last_updated_time() -> None:
    """moto 5.2.5: DescribeStacks never reports ``LastUpdatedTime``. AWS sets it when an update of the stack starts
    (so an update refused before any change set leaves it as it was)."""
    original = CloudFormationBackend.execute_change_set

    def execute_change_set(backend: CloudFormationBackend, change_set_name: str, stack_name: str | None = None) -> None:
        cfn_stack.execute_change_set_recording_update_time(original, backend, change_set_name, stack_name)

    replace_attribute(CloudFormationBackend, "execute_change_set", execute_change_set)
