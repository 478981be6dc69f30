"""The whole job file is checked before its first SubmitJob, so a bad second job never leaves the first submitted.

- Every queue and job definition the requests name is looked up (DescribeJobQueues, DescribeJobDefinitions):
  an ARN given in full that does not exist, or a deregistered (INACTIVE) definition, is an error at its field.
- A job whose vCPUs, memory or GPUs no compute environment of its queue can ever provide is refused with the
  numbers (capacity.py), unless forced: AWS would accept it and leave it RUNNABLE forever.
A dry run calls no AWS API: it makes the capacity check from batchctl.yaml for the cluster's own queues.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from batchctl.aws.batch import Batch
from batchctl.errors import BatchctlError, ConfigError, NotFoundError
from batchctl.jobs.capacity import ComputeCapacity, Needs, never_fits
from batchctl.jobs.requests import PlannedJob

if TYPE_CHECKING:
    from batchctl.config import ClusterConfig

Locate = Callable[[PlannedJob, str], str]  # a planned job and a field -> `jobs.yaml:7: job "x": queue`


@dataclass(frozen=True)
class Lookups:
    """What the account knows of the requests' queues and definitions (ARN -> description)."""

    queues: dict[str, dict[str, Any]]
    definitions: dict[str, dict[str, Any]]
    environments: dict[str, dict[str, Any]]


def check_live(batch: Batch, planned: list[PlannedJob], locate: Locate, where: str, *, force: bool) -> None:
    """Look up every queue and definition, then check that each job can ever run; raise listing every problem."""
    lookups = lookup(batch, planned)
    problems: list[BatchctlError] = []
    for item in planned:
        queue_arn = str(item.request["jobQueue"])
        definition_arn = str(item.request["jobDefinition"])
        queue = lookups.queues.get(queue_arn)
        definition = lookups.definitions.get(definition_arn)
        if queue is None:
            problems.append(
                NotFoundError(
                    f"{locate(item, 'queue')}: job queue {queue_arn} does not exist in {where}",
                    hint="check the ARN (`aws batch describe-job-queues`), or use a queue name from batchctl.yaml",
                )
            )
        if definition is None:
            problems.append(
                NotFoundError(
                    f"{locate(item, 'definition')}: job definition {definition_arn} does not exist in {where}",
                    hint="check the ARN and revision (`aws batch describe-job-definitions`), or use a name from "
                    "batchctl.yaml",
                )
            )
        elif definition.get("status") == "INACTIVE":
            problems.append(
                ConfigError(
                    f"{locate(item, 'definition')}: job definition {definition_arn} is deregistered (INACTIVE)",
                    hint="use an active revision",
                )
            )
        if queue is None or definition is None or force:
            continue
        environments = [_live_capacity(lookups.environments.get(arn), arn) for arn in _environment_arns(queue)]
        capacity = _capacity_problem(item, _live_needs(item, definition), environments, locate, queue["jobQueueName"])
        if capacity:
            problems.append(capacity)
    _raise(problems)


def check_dry_run(config: ClusterConfig, planned: list[PlannedJob], locate: Locate, *, force: bool) -> None:
    """The capacity check from batchctl.yaml (a dry run calls no AWS API); ARNs cannot be checked there."""
    if force:
        return
    problems: list[BatchctlError] = []
    for item in planned:
        queue = next((queue for queue in config.queues if queue.name == item.job.queue), None)
        definition = next((jd for jd in config.job_definitions if jd.name == item.job.definition), None)
        if queue is None or definition is None:
            continue
        environments = [
            ComputeCapacity(config.resource_name(ce.name), str(ce.type), ce.max_vcpus, tuple(ce.instance_types))
            for ce in (config.compute_environment(name) for name in queue.compute_environments)
            if ce is not None
        ]
        defaults = Needs(definition.vcpus, definition.memory, definition.gpus)
        problem = _capacity_problem(item, _needs(item, defaults), environments, locate, queue.name)
        if problem:
            problems.append(problem)
    _raise(problems)


def lookup(batch: Batch, planned: list[PlannedJob]) -> Lookups:
    queue_arns = sorted({str(item.request["jobQueue"]) for item in planned})
    definition_arns = sorted({str(item.request["jobDefinition"]) for item in planned})
    queues: dict[str, dict[str, Any]] = {}
    for queue in batch.describe_job_queues(queue_arns):
        queues[queue["jobQueueArn"]] = queue
        queues[queue["jobQueueName"]] = queue
    definitions: dict[str, dict[str, Any]] = {}
    for definition in batch.describe_job_definitions(definition_arns):
        definitions[definition["jobDefinitionArn"]] = definition
        definitions[f"{definition['jobDefinitionName']}:{definition['revision']}"] = definition
    environment_arns = sorted({arn for queue in queues.values() for arn in _environment_arns(queue)})
    environments = {
        item["computeEnvironmentArn"]: item for item in batch.describe_compute_environments(environment_arns)
    }
    return Lookups(queues, definitions, environments)


def _environment_arns(queue: dict[str, Any]) -> list[str]:
    order = sorted(queue.get("computeEnvironmentOrder", []), key=lambda entry: entry.get("order", 0))
    return [str(entry["computeEnvironment"]) for entry in order]


def _live_capacity(environment: dict[str, Any] | None, arn: str) -> ComputeCapacity:
    if environment is None:  # not described: nothing to go on, so treat it as able (no false refusals)
        return ComputeCapacity(arn.rsplit("/", 1)[-1], "EC2", float("inf"), ())
    resources = environment.get("computeResources") or {}
    if environment.get("type") == "UNMANAGED" or not resources:
        return ComputeCapacity(environment["computeEnvironmentName"], "EC2", float("inf"), ())
    return ComputeCapacity(
        environment["computeEnvironmentName"],
        str(resources.get("type", "EC2")),
        float(resources.get("maxvCpus", float("inf"))),
        tuple(resources.get("instanceTypes", ())),
    )


def _live_needs(item: PlannedJob, definition: dict[str, Any]) -> Needs:
    container = definition.get("containerProperties") or {}
    declared = _requirements(container.get("resourceRequirements", []))
    vcpus = declared.get("VCPU", container.get("vcpus"))
    memory = declared.get("MEMORY", container.get("memory"))
    defaults = Needs(
        float(vcpus) if vcpus is not None else None,
        int(float(memory)) if memory is not None else None,
        int(float(declared.get("GPU", 0))),
    )
    return _needs(item, defaults)


def _needs(item: PlannedJob, defaults: Needs) -> Needs:
    """The job's resources: its overrides (in the request) over the job definition's."""
    overrides = _requirements(item.request.get("containerOverrides", {}).get("resourceRequirements", []))
    return Needs(
        float(overrides["VCPU"]) if "VCPU" in overrides else defaults.vcpus,
        int(overrides["MEMORY"]) if "MEMORY" in overrides else defaults.memory_mib,
        int(overrides["GPU"]) if "GPU" in overrides else defaults.gpus,
    )


def _requirements(items: list[dict[str, str]]) -> dict[str, str]:
    return {str(entry["type"]): str(entry["value"]) for entry in items if "type" in entry and "value" in entry}


def _capacity_problem(
    item: PlannedJob, needs: Needs, environments: list[ComputeCapacity], locate: Locate, queue: str
) -> ConfigError | None:
    reasons = never_fits(needs, environments)
    if reasons is None:
        return None
    field = _field(item, needs, environments)
    return ConfigError(
        f"{locate(item, field)}: no compute environment of queue {queue} can ever run this job "
        f"({'; '.join(reasons)}); AWS would leave it RUNNABLE forever",
        hint="ask for less, use a queue with larger instances (or raise max_vcpus / instance_types in "
        "batchctl.yaml and deploy), or pass --force to submit it anyway",
    )


def _field(item: PlannedJob, needs: Needs, environments: list[ComputeCapacity]) -> str:
    """The job file field to point at: the resource that does not fit, where the job sets it."""
    for field, asked in (("gpus", needs.gpus), ("vcpus", needs.vcpus), ("memory", needs.memory_mib)):
        if asked and getattr(item.job, field) is not None:
            probe = Needs(needs.vcpus if field == "vcpus" else None, needs.memory_mib if field == "memory" else None, 0)
            if field == "gpus":
                probe = Needs(None, None, needs.gpus)
            if never_fits(probe, environments) is not None:
                return field
    return "definition"


def _raise(problems: list[BatchctlError]) -> None:
    if not problems:
        return
    if len(problems) == 1:
        raise problems[0]
    first = problems[0]
    raise type(first)(
        f"{len(problems)} problems in the job file, nothing was submitted; first: {first.message}",
        hint=first.hint,
        details=[problem.message for problem in problems],
    )
