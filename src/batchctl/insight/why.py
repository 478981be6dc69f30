"""`batchctl why JOB`: a verdict line, the evidence, and the fix (a command or a config change).

Not started (SUBMITTED, PENDING, RUNNABLE, STARTING): unfinished dependencies; whether any compute environment of
the queue can ever fit the job (batchctl.jobs.capacity); environments and queue not VALID/ENABLED; the queue's and
the job's blocked statusReason; the vCPUs in use against maxvCpus; the position at the front of the queue.
https://docs.aws.amazon.com/batch/latest/userguide/job_stuck_in_runnable.html
https://docs.aws.amazon.com/batch/latest/userguide/batch-job-queue-blocked-events.html
Failed: the failure class (failures.py), every attempt, the usage report's peak memory against the request.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from batchctl.config import ClusterConfig, instance_types
from batchctl.config.models import ComputeType, Egress
from batchctl.insight import failures
from batchctl.insight.facts import JobFacts, requested
from batchctl.insight.sizing import after_out_of_memory, gib
from batchctl.jobs.capacity import ComputeCapacity, Needs
from batchctl.jobs.records import JobRecord

# RUNNABLE blocking reasons (statusReason of the job and the "Batch Job Queue Blocked" event), and what they mean.
BLOCKED_REASONS = {
    "CAPACITY:INSUFFICIENT_INSTANCE_CAPACITY": "EC2 has no capacity for the allowed instance types right now",
    "MISCONFIGURATION:COMPUTE_ENVIRONMENT_MAX_RESOURCE": "the job needs more vCPUs than the environments' maxvCpus",
    "MISCONFIGURATION:JOB_RESOURCE_REQUIREMENT": "no allowed instance type is large enough for the job",
    "MISCONFIGURATION:EC2_INSTANCE_CONFIGURATION_UNSUPPORTED": "the instance types do not suit the AMI or architecture",
    "MISCONFIGURATION:SERVICE_ROLE_PERMISSIONS": "the Batch service role lacks permissions",
    "ACTION_REQUIRED": "AWS Batch needs an action on the account (see the console)",
    "UNDETERMINED": "AWS Batch could not tell why the queue is blocked",
}
ECR_HOST = ".dkr.ecr."
PEAK_LINE = "peak memory"  # the runner's summary line: "peak memory   248.9 MiB (process tree)"
ON_DEMAND_TYPES = (ComputeType.EC2, ComputeType.FARGATE)


@dataclass(frozen=True)
class Why:
    job_id: str
    name: str
    status: str
    verdict: str
    evidence: list[str] = field(default_factory=list)
    fixes: list[str] = field(default_factory=list)
    failure: str | None = None  # the failure class of a FAILED job
    position: int | None = None  # 1-based place at the front of its queue (GetJobQueueSnapshot)


@dataclass(frozen=True)
class Cluster:
    """What the config adds to AWS's answers: config keys for a resource, the on-demand queues, how to call batchctl."""

    environment_keys: dict[str, str]  # AWS name -> the config's short name
    definition_keys: dict[str, str]
    on_demand_queues: list[str]
    egress: str | None
    command: str = "batchctl"

    @classmethod
    def of(cls, config: ClusterConfig | None, command: str = "batchctl") -> Cluster:
        if config is None:
            return cls({}, {}, [], None, command)
        on_demand = {ce.name for ce in config.compute_environments if ce.type in ON_DEMAND_TYPES}
        return cls(
            {config.resource_name(ce.name): ce.name for ce in config.compute_environments},
            {config.resource_name(jd.name): jd.name for jd in config.job_definitions},
            [q.name for q in config.queues if q.compute_environments and set(q.compute_environments) <= on_demand],
            str(config.network.egress),
            command,
        )


def explain(facts: JobFacts, cluster: Cluster) -> Why:
    job = facts.record
    if job.status == "SUCCEEDED":
        return Why(job.id, job.name, job.status, f"{_label(job)} succeeded", _usage_evidence(facts))
    if job.status == "FAILED":
        return _failed(facts, job, cluster)
    if job.status == "RUNNING":
        return Why(
            job.id, job.name, job.status, f"{_label(job)} is running", [], [f"{cluster.command} logs {job.id} -f"]
        )
    return _not_started(facts, job, cluster)


# -- not started ---------------------------------------------------------------------------------------------------


def _not_started(facts: JobFacts, job: JobRecord, cluster: Cluster) -> Why:
    label, cmd = _label(job), cluster.command
    evidence: list[str] = []
    vcpus, memory, gpus = requested(facts.job)
    evidence.append(f"asks for {_needs_text(vcpus, memory, gpus)}")
    queue = facts.queue or {}
    queue_name = queue.get("jobQueueName", job.queue.rsplit("/", 1)[-1])
    if queue:
        evidence.append(
            f"queue {queue_name}: {queue.get('state')}/{queue.get('status')}"
            + (f" ({queue['statusReason']})" if queue.get("statusReason") else "")
        )
    for environment in facts.environments:
        resources = environment.get("computeResources") or {}
        evidence.append(
            f"compute environment {environment['computeEnvironmentName']} ({resources.get('type', 'UNMANAGED')}): "
            f"{environment.get('state')}/{environment.get('status')}"
            + (f" ({environment['statusReason']})" if environment.get("statusReason") else "")
            + (f", maxvCpus {resources['maxvCpus']}" if "maxvCpus" in resources else "")
        )
    position = _position(facts)
    if facts.snapshot:
        evidence.append(
            f"position {position} of {len(facts.snapshot)} at the front of the queue (GetJobQueueSnapshot)"
            if position
            else f"not among the {len(facts.snapshot)} job(s) at the front of the queue (GetJobQueueSnapshot)"
        )
    elif facts.snapshot is not None:
        evidence.append("the front of the queue is empty (GetJobQueueSnapshot): no job of it is RUNNABLE")

    def answer(verdict: str, fixes: list[str], more: list[str] | None = None) -> Why:
        return Why(job.id, job.name, job.status, verdict, [*(more or []), *evidence], fixes, None, position)

    # 1. A queue or environment that cannot run anything.
    if queue and (queue.get("state") != "ENABLED" or queue.get("status") == "INVALID"):
        return answer(
            f"{label} cannot start: queue {queue_name} is {queue.get('state')}/{queue.get('status')}",
            [f"enable or fix queue {queue_name} ({queue.get('statusReason') or 'see batchctl queues'})"],
        )
    usable = [e for e in facts.environments if e.get("state") == "ENABLED" and e.get("status") == "VALID"]
    if facts.environments and not usable:
        broken = facts.environments[0]
        name = broken["computeEnvironmentName"]
        return answer(
            f"{label} cannot start: compute environment {name} is {broken.get('state')}/{broken.get('status')}"
            + (f": {broken['statusReason']}" if broken.get("statusReason") else ""),
            [
                f"fix compute_environments[{cluster.environment_keys.get(name, name)}] in batchctl.yaml "
                f"(the reason above), then `{cmd} deploy`"
            ],
        )
    # 2. Dependencies not finished yet.
    waiting = [d for d in facts.dependencies if d.get("status") not in ("SUCCEEDED", "FAILED")]
    if waiting:
        items = [_dependency(JobRecord.from_detail(d)) for d in waiting]
        return answer(
            f"{label} is waiting for {len(waiting)} unfinished dependenc{'y' if len(waiting) == 1 else 'ies'}: "
            + "; ".join(items),
            [f"nothing to fix: it starts when they finish (follow one: {cmd} logs {waiting[0]['jobId']} -f)"],
        )
    # 3. Never fits any environment of the queue (submitted with --force or by another tool).
    needs = Needs(vcpus, memory, gpus)
    shortfalls = [(e, _capacity(e).shortfall(needs)) for e in facts.environments]
    if shortfalls and all(reason for _, reason in shortfalls):
        return answer(
            f"{label} can never run on queue {queue_name}: no compute environment fits it",
            _capacity_fixes(job, needs, shortfalls, cluster),
            [f"{e['computeEnvironmentName']}: {reason}" for e, reason in shortfalls],
        )
    # 4. No egress and an image outside ECR: the pull would fail.
    image = str((facts.job.get("container") or {}).get("image") or "")
    if cluster.egress == Egress.NONE and image and ECR_HOST not in image:
        return answer(
            f"{label} cannot pull {image}: the cluster has network.egress none and the image is not in ECR",
            [f"push it to the cluster repository (`{cmd} image push`) and use its tag, or set network.egress"],
        )
    # 5. A blocked reason from AWS.
    blocked = _blocked_code(job.status_reason) or _blocked_code(str(queue.get("statusReason") or ""))
    if blocked:
        return answer(
            f"{label} is blocked: {blocked} — {BLOCKED_REASONS[blocked]}",
            _blocked_fixes(blocked, job, cluster),
            [f"status reason: {job.status_reason}"] if job.status_reason else [],
        )
    # 6. Capacity in use.
    max_vcpus = sum(float((e.get("computeResources") or {}).get("maxvCpus", 0)) for e in usable)
    if facts.vcpus_in_use is not None and max_vcpus and facts.vcpus_in_use + (vcpus or 0) > max_vcpus:
        return answer(
            f"{label} is waiting for capacity: {facts.vcpus_in_use:g} of {max_vcpus:g} vCPUs (maxvCpus) are in use, "
            f"it needs {vcpus or 0:g}",
            [f"wait, or raise max_vcpus of the queue's compute environments in batchctl.yaml and `{cmd} deploy`"],
        )
    state = {"SUBMITTED": "was just submitted", "PENDING": "is pending", "STARTING": "is starting"}
    return answer(
        f"{label} {state.get(job.status, 'is RUNNABLE')}: nothing stops it"
        + (f" (position {position} in the queue)" if position else ""),
        [f"wait: {cmd} logs {job.id} -f"],
        [f"{facts.vcpus_in_use:g} of {max_vcpus:g} vCPUs in use"]
        if facts.vcpus_in_use is not None and max_vcpus
        else [],
    )


def _capacity(environment: dict[str, Any]) -> ComputeCapacity:
    resources = environment.get("computeResources") or {}
    if not resources:
        return ComputeCapacity(environment["computeEnvironmentName"], "EC2", float("inf"), ())
    return ComputeCapacity(
        environment["computeEnvironmentName"],
        str(resources.get("type", "EC2")),
        float(resources.get("maxvCpus", float("inf"))),
        tuple(resources.get("instanceTypes") or ()),
    )


def _capacity_fixes(
    job: JobRecord, needs: Needs, shortfalls: list[tuple[dict[str, Any], str | None]], cluster: Cluster
) -> list[str]:
    cmd, fixes = cluster.command, []
    for environment, reason in shortfalls:
        name = environment["computeEnvironmentName"]
        key = f"compute_environments[{cluster.environment_keys.get(name, name)}]"
        max_vcpus = float((environment.get("computeResources") or {}).get("maxvCpus", 0))
        if reason and "max_vcpus" in reason and needs.vcpus:
            fixes.append(
                f"raise {key}.max_vcpus from {max_vcpus:g} to at least {needs.vcpus:g} in batchctl.yaml, "
                f"then `{cmd} deploy`"
            )
        elif reason and "instance type" in reason:
            fixes.append(f"allow a larger type in {key}.instance_types in batchctl.yaml, then `{cmd} deploy`")
    smaller = []
    largest = max((float((e.get("computeResources") or {}).get("maxvCpus", 0)) for e, _ in shortfalls), default=0)
    if needs.vcpus and largest and needs.vcpus > largest:
        smaller.append(f"--vcpus {largest:g}")
    sizes = [
        size
        for environment, _ in shortfalls
        for size in map(instance_types.largest, (environment.get("computeResources") or {}).get("instanceTypes") or [])
        if size is not None
    ]
    most_memory = max((size.job_memory_mib for size in sizes), default=0)
    if needs.memory_mib and most_memory and needs.memory_mib > most_memory:
        smaller.append(f"--memory {most_memory}")
    if smaller:
        fixes.append(f"or ask for less: {cmd} cancel {job.id} && {cmd} resubmit {job.id} {' '.join(smaller)}")
    return fixes


def _blocked_code(reason: str) -> str | None:
    return next((code for code in BLOCKED_REASONS if reason.startswith(code)), None)


def _blocked_fixes(code: str, job: JobRecord, cluster: Cluster) -> list[str]:
    cmd = cluster.command
    if code.startswith("CAPACITY"):
        queues = list(cluster.on_demand_queues)
        return [
            "wait, or allow more instance types (compute_environments[].instance_types) in batchctl.yaml",
            *(
                [f"or run it on-demand: {cmd} cancel {job.id} && {cmd} resubmit {job.id} --queue {queues[0]}"]
                if queues
                else []
            ),
        ]
    if code.endswith(("MAX_RESOURCE", "RESOURCE_REQUIREMENT")):
        return [
            f"raise compute_environments[].max_vcpus or allow larger instance_types in batchctl.yaml "
            f"(`{cmd} deploy`), or {cmd} cancel {job.id} && {cmd} resubmit {job.id} --vcpus N --memory M"
        ]
    return ["see the AWS Batch console for the compute environment, then `batchctl deploy`"]


def _position(facts: JobFacts) -> int | None:
    arn = str(facts.job.get("jobArn") or "")
    for number, entry in enumerate(facts.snapshot or [], start=1):
        if (arn and entry.get("jobArn") == arn) or str(entry.get("jobArn", "")).endswith("/" + facts.job["jobId"]):
            return number
    return None


def _dependency(job: JobRecord) -> str:
    text = f"{job.name} {job.id} ({job.status})"
    if job.is_array_parent:
        done = job.children.get("SUCCEEDED", 0) + job.children.get("FAILED", 0)
        text = f"{job.name} {job.id} ({job.status}, {done} of {job.array_size} children finished)"
    return text


# -- failed ------------------------------------------------------------------------------------------------------


def _failed(facts: JobFacts, job: JobRecord, cluster: Cluster) -> Why:
    cmd, label = cluster.command, _label(job)
    if job.is_array_parent:
        return _failed_array(facts, job, cluster)
    failure = failures.classify(job)
    _, memory, _ = requested(facts.job)
    peak_mib = _peak_mib(facts)
    evidence = [f"status reason: {job.status_reason}"] if job.status_reason else []
    for attempt in job.attempts:
        one = failures.attempt_failure(attempt)
        evidence.append(
            f"attempt {attempt.number}: exit {attempt.exit_code if attempt.exit_code is not None else '-'}"
            + (f", {attempt.status_reason}" if attempt.status_reason else "")
            + (f", container: {attempt.reason}" if attempt.reason and attempt.reason != attempt.status_reason else "")
            + (f" [{one.label}]" if one else "")
        )
    # Exit 137 with the peak at the limit is an out-of-memory kill even when no reason says so.
    if (
        failure
        and failure.label == failures.EXIT_CODE
        and _exit_code(job) == failures.OUT_OF_MEMORY_EXIT_CODE
        and peak_mib is not None
        and memory
        and peak_mib >= memory * 0.9
    ):
        failure = failures.Failure(failures.OUT_OF_MEMORY, f"exit 137 with the peak at the {memory} MiB limit")
    evidence.extend(_usage_evidence(facts, memory))
    if facts.last_lines:
        evidence.append("last log lines:")
        evidence.extend(f"  {line}" for line in facts.last_lines)
    if failure is None:
        return Why(job.id, job.name, job.status, f"{label} failed", evidence, [f"{cmd} logs {job.id}"])
    fixes = _failure_fixes(failure, facts, job, cluster, memory, peak_mib)
    return Why(
        job.id,
        job.name,
        job.status,
        f"{label} failed: {failure.label} ({failure.evidence})",
        evidence,
        fixes,
        failure.label,
    )


def _failure_fixes(
    failure: failures.Failure,
    facts: JobFacts,
    job: JobRecord,
    cluster: Cluster,
    memory: int | None,
    peak_mib: float | None,
) -> list[str]:
    cmd = cluster.command
    definition = _definition_key(job, cluster)
    label = failure.label
    if label == failures.OUT_OF_MEMORY:
        target = after_out_of_memory(peak_mib or 0.0, memory)
        peak = f"peak {gib(peak_mib)}" if peak_mib is not None else "the limit was reached"
        return [
            f"memory {memory or '?'} -> {target} MiB ({peak}): {cmd} resubmit {job.id} --memory {target}",
            f"or set memory: {target} for job_definitions[{definition}] in batchctl.yaml",
        ]
    if label == failures.SPOT_RECLAIM:
        fixes = [
            f"add retry on spot loss: job_definitions[{definition}] retries: 3 and retry_on: [spot-loss] "
            "in batchctl.yaml (or `retries: 3` and `retry_on: [spot-loss]` in the job file)",
            f"run it again: {cmd} resubmit {job.id}",
        ]
        if cluster.on_demand_queues:
            fixes.append(f"or on-demand: {cmd} resubmit {job.id} --queue {cluster.on_demand_queues[0]}")
        return fixes
    if label == failures.IMAGE_PULL:
        image = str((facts.job.get("container") or {}).get("image") or "")
        tag = image.rsplit(":", 1)[-1] if ":" in image.rsplit("/", 1)[-1] else "TAG"
        return [
            f"push the image: {cmd} image build DIR --tag {tag} && {cmd} image push {tag}",
            f"then {cmd} resubmit {job.id}",
        ]
    if label == failures.TIMEOUT:
        seconds = int(((facts.job.get("timeout") or {}).get("attemptDurationSeconds")) or 0)
        longer = f" to {seconds * 2}" if seconds else ""
        return [f"raise timeout{longer} (seconds) in the job file or job_definitions[{definition}].timeout"]
    if label == failures.DEPENDENCY_FAILED:
        failed = [d for d in facts.dependencies if d.get("status") == "FAILED"]
        if failed:
            return [f"see why the dependency failed: {cmd} why {failed[0]['jobId']}"]
        return ["see why its dependency failed: batchctl why DEPENDENCY"]
    if label == failures.HOST_ERROR:
        return [
            f"retry host errors: job_definitions[{definition}] retry_on: [host-error] in batchctl.yaml",
            f"run it again: {cmd} resubmit {job.id}",
        ]
    if label == failures.CANCELLED:
        return [f"run it again if that was not meant: {cmd} resubmit {job.id}"]
    return [f"read its log: {cmd} logs {job.id}", f"after a fix: {cmd} resubmit {job.id}"]


def _failed_array(facts: JobFacts, job: JobRecord, cluster: Cluster) -> Why:
    counts: dict[str, int] = {}
    for detail in facts.failed_children:
        failure = failures.classify(JobRecord.from_detail(detail))
        key = failure.label if failure else "unknown"
        counts[key] = counts.get(key, 0) + 1
    failed = job.children.get("FAILED", 0)
    summary = ", ".join(f"{count} {label}" for label, count in sorted(counts.items(), key=lambda kv: -kv[1]))
    evidence = [
        "children: " + ", ".join(f"{count} {status.lower()}" for status, count in job.children.items() if count)
    ]
    top = max(counts, key=lambda key: counts[key]) if counts else None
    return Why(
        job.id,
        job.name,
        job.status,
        f"{_label(job)} failed: {failed} of {job.array_size} children failed" + (f" ({summary})" if summary else ""),
        evidence,
        [
            *([f"see one: {cluster.command} why {facts.failed_children[0]['jobId']}"] if facts.failed_children else []),
            f"re-run the failed ones: {cluster.command} resubmit {job.id} --failed-only",
        ],
        top,
    )


def _exit_code(job: JobRecord) -> int | None:
    if job.exit_code is not None:
        return job.exit_code
    return job.attempts[-1].exit_code if job.attempts else None


def _peak_mib(facts: JobFacts) -> float | None:
    if facts.usage and facts.usage.get("command_started") and facts.usage.get("peak_rss_bytes"):
        return float(facts.usage["peak_rss_bytes"]) / 2**20
    for line in reversed(facts.runner_lines):  # the runner's summary block, when usage.json was not uploaded
        _, found, rest = line.partition(PEAK_LINE)
        if found:
            try:
                return float(rest.split()[0])
            except (IndexError, ValueError):
                return None
    return None


def _usage_evidence(facts: JobFacts, memory: int | None = None) -> list[str]:
    usage = facts.usage
    if not usage or not usage.get("command_started"):
        return []
    peak = float(usage.get("peak_rss_bytes") or 0) / 2**20
    asked = f" of {memory} MiB requested" if memory else ""
    return [
        f"usage: peak memory {peak:.0f} MiB{asked}, {usage.get('cpu_seconds', 0)} CPU-s in "
        f"{usage.get('elapsed_seconds', 0)} s (usage.json)"
    ]


def _definition_key(job: JobRecord, cluster: Cluster) -> str:
    name = job.definition.rsplit("/", 1)[-1].split(":", 1)[0]
    return cluster.definition_keys.get(name, name)


def _needs_text(vcpus: float | None, memory: int | None, gpus: int) -> str:
    parts = [f"{vcpus:g} vCPUs" if vcpus is not None else "? vCPUs", f"{memory} MiB" if memory else "? MiB"]
    return ", ".join(parts + ([f"{gpus} GPU(s)"] if gpus else []))


def _label(job: JobRecord) -> str:
    return f"job {job.name} ({job.id})"
