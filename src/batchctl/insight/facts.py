"""Everything `why` reads about a job, as AWS returns it: the job, its dependencies, its queue and compute
environments, the front of the queue, the vCPUs in use, the runner's usage report and the last log lines.

Kept apart from the diagnosis (why.py) so the diagnosis is a pure function of recorded AWS answers.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from batchctl.aws.batch import Batch
from batchctl.aws.logs import Logs
from batchctl.errors import BatchctlError
from batchctl.jobs.records import JobRecord, job_not_found
from batchctl.jobs.resolve import Resolver
from batchctl.jobs.show import log_group_of, output_url

LAST_LOG_LINES = 10
TAIL_EVENTS = 100  # read from the end of the stream: enough for the runner's summary and the command's last lines
RUNNER_PREFIX = "batchctl-run:"  # batchctl.runner.log prefixes every line the runner writes
MAX_RUNNING_DESCRIBED = 500  # vCPUs in use are summed over at most this many running jobs of the queue
USAGE_REPORT_KEY = "_batchctl/usage.json"  # batchctl.runner.uploads: <output prefix>_batchctl/usage.json
IN_USE_STATUSES = ("STARTING", "RUNNING")


@dataclass
class JobFacts:
    job: dict[str, Any]  # DescribeJobs detail
    dependencies: list[dict[str, Any]] = field(default_factory=list)  # DescribeJobs details of dependsOn
    queue: dict[str, Any] | None = None  # DescribeJobQueues entry
    environments: list[dict[str, Any]] = field(default_factory=list)  # DescribeComputeEnvironments, in order
    snapshot: list[dict[str, Any]] | None = None  # GetJobQueueSnapshot frontOfQueue.jobs (None: not available)
    vcpus_in_use: float | None = None  # summed over the queue's STARTING and RUNNING jobs
    failed_children: list[dict[str, Any]] = field(default_factory=list)  # an array parent's, DescribeJobs details
    usage: dict[str, Any] | None = None  # the runner's usage.json of the last attempt
    last_lines: list[str] = field(default_factory=list)  # the command's own last lines
    runner_lines: list[str] = field(default_factory=list)  # the runner's last lines (its summary block)

    @property
    def record(self) -> JobRecord:
        return JobRecord.from_detail(self.job)


def gather(batch: Batch, logs: Logs, s3: Any, resolver: Resolver, job_id: str, target: str) -> JobFacts:
    details = batch.describe_jobs([job_id])
    if not details:
        raise job_not_found(job_id, target)
    facts = JobFacts(details[0])
    job = facts.record
    dependency_ids = [str(item["jobId"]) for item in job.depends_on if item.get("jobId")]
    facts.dependencies = batch.describe_jobs(dependency_ids) if dependency_ids else []
    queues = batch.describe_job_queues([job.queue]) if job.queue else []
    facts.queue = queues[0] if queues else None
    if facts.queue is not None:
        order = sorted(facts.queue.get("computeEnvironmentOrder", []), key=lambda entry: entry.get("order", 0))
        arns = [str(entry["computeEnvironment"]) for entry in order]
        found = {item["computeEnvironmentArn"]: item for item in batch.describe_compute_environments(arns)}
        facts.environments = [found[arn] for arn in arns if arn in found]
    if job.terminal:
        if job.is_array_parent and job.children.get("FAILED"):
            pages = batch.list_jobs(array_job_id=job.id, status="FAILED")
            ids = [summary["jobId"] for page in pages for summary in page][:100]
            facts.failed_children = batch.describe_jobs(ids)
        elif not job.is_array_parent:
            facts.usage = read_usage(s3, resolver, job)
            facts.last_lines, facts.runner_lines = last_lines(logs, resolver, job)
    elif job.queue:
        facts.snapshot = _snapshot(batch, job.queue)
        facts.vcpus_in_use = vcpus_in_use(batch, job.queue)
    return facts


def read_usage(s3: Any, resolver: Resolver, job: JobRecord) -> dict[str, Any] | None:
    """The runner's usage report of the job (its last attempt), or None when there is none to read."""
    url = output_url(job, resolver)
    if not url:
        return None
    bucket, _, prefix = url.removeprefix("s3://").partition("/")
    try:
        body = s3.get_object(Bucket=bucket, Key=prefix + USAGE_REPORT_KEY)["Body"].read(1_000_000)
        report = json.loads(body)
    except Exception:  # no report (the command never ran, no runner in the image) or unreadable: no usage
        return None
    return report if isinstance(report, dict) else None


def last_lines(logs: Logs, resolver: Resolver, job: JobRecord) -> tuple[list[str], list[str]]:
    """The last lines of the command's own output, and of the runner's (its lines start with `batchctl-run:`)."""
    stream = job.log_stream or next((a.log_stream for a in reversed(job.attempts) if a.log_stream), None)
    if not stream:
        return [], []
    try:
        events = [event.message for event in logs.tail(log_group_of(job, resolver), stream, TAIL_EVENTS)]
    except BatchctlError:
        return [], []
    own = [line for line in events if not line.startswith(RUNNER_PREFIX)]
    runner = [line for line in events if line.startswith(RUNNER_PREFIX)]
    return own[-LAST_LOG_LINES:], runner[-LAST_LOG_LINES * 2 :]


def _snapshot(batch: Batch, queue: str) -> list[dict[str, Any]] | None:
    try:
        return batch.get_job_queue_snapshot(queue)
    except BatchctlError:  # an older endpoint without the call, or no permission: the position is unknown
        return None


def vcpus_in_use(batch: Batch, queue: str) -> float:
    """vCPUs requested by a queue's STARTING and RUNNING jobs (at most MAX_RUNNING_DESCRIBED of them read)."""
    ids = [
        summary["jobId"]
        for status in IN_USE_STATUSES
        for page in batch.list_jobs(queue, status=status)
        for summary in page
    ][:MAX_RUNNING_DESCRIBED]
    return sum(requested(detail)[0] or 0.0 for detail in batch.describe_jobs(ids)) if ids else 0.0


def requested(detail: dict[str, Any]) -> tuple[float | None, int | None, int]:
    """(vCPUs, memory MiB, GPUs) a job asked for, from DescribeJobs (resourceRequirements, else vcpus/memory)."""
    container = detail.get("container") or {}
    declared = {str(item.get("type")): str(item.get("value")) for item in container.get("resourceRequirements") or []}
    vcpus = declared.get("VCPU", container.get("vcpus"))
    memory = declared.get("MEMORY", container.get("memory"))
    return (
        float(vcpus) if vcpus is not None else None,
        int(float(memory)) if memory is not None else None,
        int(float(declared.get("GPU", 0))),
    )
