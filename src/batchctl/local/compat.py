"""Compatibility layer: the differences between moto 5.2.5 and AWS that the local emulator closes.

One function per gap, named after the gap. Each is registered in :data:`PATCHES` and applied once by
:func:`apply_all`; tests use ``PATCHES.without(name)`` to show that the gap exists without its patch.
Job-run behaviour is changed through launch hooks (:mod:`batchctl.local.job_container`) and small wrappers around
moto's ``Job`` methods (``status``, ``_mark_stopped``, ``run``, ...). Wrappers of the same method stack in the order
the patches are registered, the last one outermost: the retry decision sees the status reason that the patches
registered after it have set.
"""

from __future__ import annotations

import copy
import inspect
import threading
from collections.abc import Callable
from datetime import datetime
from typing import Any, cast

from moto import settings
from moto.batch.models import BatchBackend, ComputeEnvironment, Job, JobDefinition, JobQueue
from moto.batch.responses import BatchResponse
from moto.batch.utils import JobStatus
from moto.cloudformation import parsing
from moto.cloudformation.exceptions import UnformattedGetAttTemplateException
from moto.cloudformation.models import ChangeSet, CloudFormationBackend
from moto.cloudformation.parsing import ResourceMap
from moto.ec2.models.internet_gateways import InternetGateway
from moto.ec2.models.route_tables import Route, RouteTable
from moto.ec2.models.security_groups import SecurityGroup
from moto.ec2.models.subnets import SubnetRouteTableAssociation
from moto.ec2.models.vpn_gateway import VPCGatewayAttachment
from moto.logs.models import LogsBackend
from moto.moto_api._internal.managed_state_model import ManagedState
from moto.utilities.docker_utilities import DockerModel

from batchctl.local import (
    attempts,
    cfn_batch,
    cfn_network,
    cfn_stack,
    dependencies,
    job_container,
    job_logs,
    retries,
    scheduler,
)
from batchctl.local.job_state import state_of
from batchctl.local.patching import PatchSet, add_to_list, replace_attribute

PATCHES = PatchSet()
"""The gap patches, in the order they are applied."""

_INFRASTRUCTURE = PatchSet()
"""Plumbing the gap patches rely on; it changes no behaviour by itself and stays applied in ``PATCHES.without``."""


def apply_all() -> None:
    """Apply every compatibility patch (idempotent)."""
    _INFRASTRUCTURE.apply_all()
    PATCHES.apply_all()


def revert_all() -> None:
    """Restore moto exactly as it was (for tests that share a process with other moto users)."""
    PATCHES.revert_all()
    _INFRASTRUCTURE.revert_all()


# --- plumbing -----------------------------------------------------------------------------------------------------


@_INFRASTRUCTURE.register
def route_job_container_launches_through_hooks() -> None:
    """Give every Batch job a Docker client whose ``containers.run`` calls the registered launch hooks."""

    def docker_client(job: Job) -> job_container.JobDockerClient:
        # Looked up on each call: moto's client property stays the single source of the real client.
        return job_container.JobDockerClient(DockerModel.docker_client.fget(job), job)  # type: ignore[attr-defined]

    replace_attribute(Job, "docker_client", property(docker_client))


@_INFRASTRUCTURE.register
def track_job_containers() -> None:
    """Remember each attempt's container, so the emulator can stop it (timeouts, host interruptions)."""
    add_to_list(job_container.STARTED_HOOKS, attempts.remember_container)


@_INFRASTRUCTURE.register
def fail_attempts_stopped_by_the_emulator() -> None:
    """An attempt the emulator stopped fails with the emulator's reason, even if its container exited 0 on SIGTERM.

    Nothing stops attempts until a patch (timeouts) or a request (interruption) does.
    """
    original = Job._mark_stopped

    def mark_stopped(job: Job, success: bool = True) -> None:
        state = state_of(job)
        if state.stop_reason and not job.job_stopped and not state.attempt_over:
            success = False
            job.job_stopped_reason = state.stop_reason
        original(job, success)

    replace_attribute(Job, "_mark_stopped", mark_stopped)


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


# --- Batch jobs ---------------------------------------------------------------------------------------------------


@PATCHES.register
def patch_job_container_lacks_aws_environment() -> None:
    """moto 5.2.5: job containers get neither an endpoint nor credentials to reach the emulator, and of the AWS Batch
    variables only ``AWS_BATCH_JOB_ID`` (array children get no ``AWS_BATCH_JOB_ARRAY_INDEX``).

    Containers get ``AWS_ENDPOINT_URL`` (the emulator on 127.0.0.1, host networking), dummy credentials and the
    region unless the job sets them, and always the reserved ``AWS_BATCH_*`` variables: JOB_ID, JOB_ATTEMPT,
    JQ_NAME, CE_NAME and, for array children, JOB_ARRAY_INDEX and JOB_ARRAY_SIZE. moto's ``MOTO_HOST`` becomes the
    loopback address too.
    """
    add_to_list(job_container.LAUNCH_HOOKS, job_container.set_container_environment)
    # moto also tells containers MOTO_HOST: inside a container it asks the Docker socket for its own (bridge)
    # address. With host networking the emulator is on the loopback address, and no private address is used.
    replace_attribute(settings, "moto_server_host", job_container.loopback_host)


@PATCHES.register
def patch_job_environment_accumulates_on_every_read() -> None:
    """moto 5.2.5: a job's environment is merged into the submit-time override list in place, so every DescribeJobs
    appends the job definition's variables and ``AWS_BATCH_JOB_ID`` again, and array children, which share that list,
    see each other's entries.
    """
    original = Job._get_container_property

    def get_container_property(job: Job, name: str, default: Any) -> Any:
        if name != "environment":
            return original(job, name, default)
        overrides = [dict(entry) for entry in job.container_overrides.get("environment") or []]
        overridden = {entry["name"] for entry in overrides}
        definition = (job.job_definition.container_properties or {}).get("environment") or []
        merged = overrides + [dict(entry) for entry in definition if entry["name"] not in overridden]
        merged.append({"name": "AWS_BATCH_JOB_ID", "value": job.job_id})
        return merged

    replace_attribute(Job, "_get_container_property", get_container_property)


@PATCHES.register
def patch_job_image_pulled_when_missing_locally() -> None:
    """moto 5.2.5 (through the Docker SDK): an image that is not in the local engine is pulled, which fails offline,
    and the job ends FAILED with no ``statusReason``. An image that is present is used without pulling.

    The emulator never pulls: a missing image fails the job at once with a CannotPullContainerError reason, the
    error AWS reports for an image it cannot get.
    """
    add_to_list(job_container.LAUNCH_HOOKS, job_container.require_local_image)


@PATCHES.register
def patch_job_log_configuration_ignored() -> None:
    """moto 5.2.5: job output always goes to ``/aws/batch/job``, ignoring the job definition's ``logConfiguration``
    (awslogs-group, awslogs-stream-prefix), and DescribeJobs reports ``logStreamName`` only after the job ended.

    Output goes to the configured group and stream ``<prefix>/default/<task id>``; the stream exists and
    ``logStreamName`` is reported from the moment the job starts, as on AWS.
    """
    original_init = Job.__init__
    original_start_attempt = Job._start_attempt

    def init(job: Job, *args: Any, **kwargs: Any) -> None:
        original_init(job, *args, **kwargs)
        destination = job_container.log_destination(job, job_container.new_task_id())
        job._log_group = destination.group
        job._stream_name = destination.stream

    def start_attempt(job: Job) -> None:
        job.log_stream_name = job._stream_name
        original_start_attempt(job)

    replace_attribute(Job, "__init__", init)
    replace_attribute(Job, "_start_attempt", start_attempt)
    add_to_list(job_container.LAUNCH_HOOKS, job_container.ensure_log_stream)


@PATCHES.register
def patch_job_logs_arrive_only_when_job_ends() -> None:
    """moto 5.2.5: a job's output reaches CloudWatch Logs only after its container has exited, so following the log
    of a running job shows nothing. On AWS the awslogs driver delivers lines as they are written.

    A forwarder sends new lines while the container runs; moto's copy at the end adds only what is still missing.
    """
    original_init = Job.__init__

    def init(job: Job, *args: Any, **kwargs: Any) -> None:
        original_init(job, *args, **kwargs)
        # A stand-in with the backend's interface (it delegates everything but put_log_events).
        job._log_backend = cast(LogsBackend, job_logs.DeduplicatingLogs(job._log_backend))

    def start_forwarding(job: Job, container: Any) -> None:
        job_logs.LiveLogForwarder(job, container).start()

    replace_attribute(Job, "__init__", init)
    add_to_list(job_container.STARTED_HOOKS, start_forwarding)


_TERMINAL = frozenset({JobStatus.SUCCEEDED.value, JobStatus.FAILED.value})
_NOT_YET_RUNNABLE = frozenset({JobStatus.SUBMITTED.value, JobStatus.PENDING.value})


def _array_parent_status(parent: Job, children: list[Job]) -> str | None:
    """AWS: a parent is SUBMITTED, PENDING once a child is RUNNABLE, then SUCCEEDED if every child succeeded,
    else FAILED once every child has finished."""
    statuses = [child.status for child in children]
    if all(status in _TERMINAL for status in statuses):
        if not parent.job_stopped:
            started = [child.job_started_at for child in children if child.job_started_at > datetime(1970, 1, 2)]
            parent.job_started_at = min(started) if started else parent.job_started_at
            parent.job_stopped_at = max(child.job_stopped_at for child in children)
            parent.job_stopped = True
        succeeded = all(status == JobStatus.SUCCEEDED.value for status in statuses)
        parent._status = JobStatus.SUCCEEDED.value if succeeded else JobStatus.FAILED.value
    elif any(status not in _NOT_YET_RUNNABLE for status in statuses):
        parent._status = JobStatus.PENDING.value
    else:
        parent._status = JobStatus.SUBMITTED.value
    return parent._status


@PATCHES.register
def patch_array_job_parent_never_fails() -> None:
    """moto 5.2.5: an array job's parent becomes SUCCEEDED when all children succeed but stays SUBMITTED forever if
    any child fails, so anything waiting for the parent never finishes.
    """
    base: property = vars(ManagedState)["status"]

    def get_status(job: Job) -> str | None:
        children = getattr(job, "_child_jobs", None)
        if children:
            return _array_parent_status(job, children)
        return base.fget(job) if base.fget else None

    def set_status(job: Job, value: str) -> None:
        if base.fset:
            base.fset(job, value)

    replace_attribute(Job, "status", property(get_status, set_status))


@PATCHES.register
def patch_job_exit_code_missing_from_describe_jobs() -> None:
    """moto 5.2.5: DescribeJobs reports no exit code: ``container.exitCode`` is only in ListJobs, and each attempt's
    ``container`` has no ``exitCode`` nor ``reason``, so a failed job cannot say how its command ended.

    As on AWS, the job's ``container`` and its latest attempt carry the exit code, and a stopped job's attempt carries
    the status reason (and, when the container could not run, the container's reason).
    """
    original_describe = Job.describe
    original_stop_attempt = Job._stop_attempt

    def describe(job: Job) -> dict[str, Any]:
        result = original_describe(job)
        if job.exit_code is not None and "container" in result:
            result["container"] = {**result["container"], "exitCode": job.exit_code}
        return result

    def stop_attempt(job: Job) -> None:
        original_stop_attempt(job)
        attempt = job.latest_attempt
        if attempt:
            if job.exit_code is not None:
                attempt["container"]["exitCode"] = job.exit_code
            if job.job_stopped_reason:
                attempt["statusReason"] = job.job_stopped_reason
            container_reason = state_of(job).container_reason
            if container_reason:
                attempt["container"]["reason"] = container_reason

    replace_attribute(Job, "describe", describe)
    replace_attribute(Job, "_stop_attempt", stop_attempt)


# --- Batch jobs: scheduling, attempts, cancellation ---------------------------------------------------------------

_NOT_STARTED_STATUSES = frozenset({JobStatus.SUBMITTED.value, JobStatus.PENDING.value, JobStatus.RUNNABLE.value})


@PATCHES.register
def patch_job_attempt_recorded_when_runnable() -> None:
    """moto 5.2.5: a job's attempt, and its ``startedAt``, are recorded when the job becomes RUNNABLE, before it has
    capacity or a container: a job waiting in the queue looks started, and one cancelled while RUNNABLE keeps an
    attempt that never ran.

    As on AWS, the attempt is recorded, and ``startedAt`` stamped, when its container is launched.
    """
    start_attempt = Job._start_attempt

    def defer(job: Job) -> None:
        """moto calls this at RUNNABLE, just after stamping startedAt; the launch hook below does both instead."""
        job.job_started_at = attempts.NOT_STARTED

    def record(job: Job, client: Any, kwargs: dict[str, Any]) -> None:
        attempts.record_attempt_start(job, start_attempt)

    replace_attribute(Job, "_start_attempt", defer)
    add_to_list(job_container.LAUNCH_HOOKS, record, first=True)


@PATCHES.register
def patch_compute_environment_max_vcpus_ignored() -> None:
    """moto 5.2.5: every job starts as soon as it is RUNNABLE: a compute environment's ``maxvCpus`` never holds a
    job back, so a queue of many jobs runs them all at once.

    A RUNNABLE job now starts only when a compute environment of its queue has room for its vCPUs, in queue-priority
    then submission order (see :mod:`batchctl.local.scheduler`); it holds them until its attempt ends.
    """
    previous = inspect.getattr_static(Job, "status")
    original_mark_stopped = Job._mark_stopped

    def get_status(job: Job) -> str | None:
        # moto's thread moves a job on from RUNNABLE by reading its status: withholding the move is the wait. Any
        # other reader (an API call) would move it on too, so it is shown RUNNABLE and nothing else happens.
        own_thread = threading.current_thread() is job
        if scheduler.waiting_for_capacity(job) and (not own_thread or not scheduler.admit(job)):
            return JobStatus.RUNNABLE.value
        return cast(str | None, previous.fget(job))

    def mark_stopped(job: Job, success: bool = True) -> None:
        original_mark_stopped(job, success)
        scheduler.release(job)

    replace_attribute(Job, "status", property(get_status, previous.fset))
    replace_attribute(Job, "_mark_stopped", mark_stopped)


@PATCHES.register
def patch_job_dependency_types_ignored() -> None:
    """moto 5.2.5: a dependency is a plain job id to wait for: a ``SEQUENTIAL`` dependency (it has no job id) fails
    every child of the array (KeyError 'jobId'), and an ``N_TO_N`` child waits for the whole other array instead of
    the child with its own index.

    Dependencies now resolve per array child as on AWS (see :mod:`batchctl.local.dependencies`).
    """
    replace_attribute(Job, "_wait_for_dependencies", dependencies.wait_for_dependencies)


@PATCHES.register
def patch_failed_dependency_has_no_status_reason() -> None:
    """moto 5.2.5: a job whose dependency failed is FAILED without a ``statusReason``.

    AWS gives such a job the status reason "Dependent Job failed"; so does the emulator (the job never starts).
    """
    original = Job._mark_stopped

    def mark_stopped(job: Job, success: bool = True) -> None:
        never_ran = not job.job_stopped and not job.stop and not job.attempts and job.job_stopped_reason is None
        if not success and never_ran and dependencies.has_failed_dependency(job):
            job.job_stopped_reason = dependencies.DEPENDENCY_FAILED_REASON
        original(job, success)

    replace_attribute(Job, "_mark_stopped", mark_stopped)


@PATCHES.register
def patch_job_retry_strategy_ignored() -> None:
    """moto 5.2.5: a job gets one attempt whatever its retry strategy: the job definition's ``retryStrategy`` is
    never read and SubmitJob's is dropped by the request handler, so ``evaluateOnExit`` rules do nothing.

    As on AWS, a failed attempt is retried while attempts remain and ``evaluateOnExit`` says RETRY (or no rule
    matches): the attempt is closed (exit code, status reason, stoppedAt), the job goes back to RUNNABLE and runs again
    with the next ``AWS_BATCH_JOB_ATTEMPT`` and a log stream of its own (see :mod:`batchctl.local.retries`).
    """
    original_submit = BatchResponse.submitjob
    original_init = Job.__init__
    original_run = Job.run
    original_mark_stopped = Job._mark_stopped
    status = inspect.getattr_static(Job, "status")

    def submitjob(response: BatchResponse) -> str:
        token = retries.submitted_retry_strategy.set(response._get_param("retryStrategy"))
        try:
            return original_submit(response)
        finally:
            retries.submitted_retry_strategy.reset(token)

    def init(job: Job, *args: Any, **kwargs: Any) -> None:
        original_init(job, *args, **kwargs)
        state_of(job).retry_strategy = retries.submitted_retry_strategy.get()

    def run(job: Job) -> None:
        original_run(job)
        state = state_of(job)
        while state.retry_requested:
            with state.lock:  # a cancellation between attempts ends the job instead
                if job.job_stopped:
                    return
                attempts.prepare_next_attempt(job)
            original_run(job)

    def mark_stopped(job: Job, success: bool = True) -> None:
        state = state_of(job)
        if state.attempt_over and not job.stop:
            return  # moto's loop ending the attempt that was closed for a retry
        failed = attempts.attempt_failed(job, success)
        if failed and not job.job_stopped and retries.should_retry(job, attempts.status_reason(job)):
            attempts.end_attempt_for_retry(job)
            return
        original_mark_stopped(job, success)

    def get_status(job: Job) -> str | None:
        return attempts.reported_status(job, status.fget(job))

    replace_attribute(BatchResponse, "submitjob", submitjob)
    replace_attribute(Job, "__init__", init)
    replace_attribute(Job, "run", run)
    replace_attribute(Job, "_mark_stopped", mark_stopped)
    replace_attribute(Job, "status", property(get_status, status.fset))


@PATCHES.register
def patch_container_exit_has_no_status_reason() -> None:
    """moto 5.2.5: a job whose container exited has no ``statusReason``, on the job or its attempt.

    AWS reports "Essential container in task exited" (``evaluateOnExit`` rules can match it).
    """
    original = Job._mark_stopped

    def mark_stopped(job: Job, success: bool = True) -> None:
        exited = job.exit_code is not None and not job.job_stopped and not state_of(job).stop_reason
        if exited and job.job_stopped_reason is None:
            job.job_stopped_reason = attempts.ESSENTIAL_CONTAINER_EXITED
        original(job, success)

    replace_attribute(Job, "_mark_stopped", mark_stopped)


@PATCHES.register
def patch_job_timeout_fails_without_reason() -> None:
    """moto 5.2.5: at an attempt's ``attemptDurationSeconds`` the job is FAILED with no ``statusReason`` (an error in
    the emulator's log), then its container is killed; the deadline counts from when the job became RUNNABLE, and a
    retry strategy would retry the timed-out attempt.

    As on AWS: counted from the attempt's start, the container gets SIGTERM, then SIGKILL 30 s later, and the attempt
    fails with "Job attempt duration exceeded timeout"; a timed-out job is not retried.
    """

    def no_moto_deadline(job: Job) -> int | None:
        return None  # moto's own check; the attempt timer replaces it

    replace_attribute(Job, "_get_attempt_duration", no_moto_deadline)
    add_to_list(job_container.STARTED_HOOKS, attempts.start_attempt_timer)


@PATCHES.register
def patch_cancelled_job_still_starts() -> None:
    """moto 5.2.5: cancelling a job that has not started (SUBMITTED, PENDING, RUNNABLE) only flags it: unless it is
    waiting for a dependency, moto still starts its container, kills it, and the job shows an attempt.

    As on AWS, the job is FAILED at once with the reason given, and its container never starts.
    """
    original = Job.terminate

    def terminate(job: Job, reason: str) -> None:
        state = state_of(job)
        with state.lock:
            not_started = not job._child_jobs and not job.job_stopped and job._status in _NOT_STARTED_STATUSES
            original(job, reason)
            if not_started:
                job._mark_stopped(success=False)

    replace_attribute(Job, "terminate", terminate)
    add_to_list(job_container.LAUNCH_HOOKS, attempts.refuse_stopped_job, first=True)


@PATCHES.register
def patch_array_job_cancel_ignores_children() -> None:
    """moto 5.2.5: CancelJob and TerminateJob on an array job only flag the parent: its children go on starting
    and running, so the whole array still runs.

    As on AWS, cancelling the parent cancels the children that have not started; terminating it terminates all.
    """
    original_cancel = BatchBackend.cancel_job
    original_terminate = BatchBackend.terminate_job

    def children(backend: BatchBackend, job_id: str) -> list[Job]:
        job = backend.get_job_by_id(job_id)
        return list(job._child_jobs or []) if job is not None else []

    def cancel_job(backend: BatchBackend, job_id: str, reason: str) -> None:
        original_cancel(backend, job_id, reason)
        for child in children(backend, job_id):
            original_cancel(backend, child.job_id, reason)  # a child that has started is left running, as on AWS

    def terminate_job(backend: BatchBackend, job_id: str, reason: str) -> None:
        original_terminate(backend, job_id, reason)
        for child in children(backend, job_id):
            original_terminate(backend, child.job_id, reason)

    replace_attribute(BatchBackend, "cancel_job", cancel_job)
    replace_attribute(BatchBackend, "terminate_job", terminate_job)


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
