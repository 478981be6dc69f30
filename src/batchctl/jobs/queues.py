"""`batchctl queues [--all]`: state, priority, compute environments and jobs by status of each queue.

Cost: DescribeJobQueues and DescribeComputeEnvironments (one page per 100), then per queue shown one ListJobs
pass with an AFTER_CREATED_AT filter, which returns jobs of every status: ceil(M / 1000) pages for the queue's
M jobs (array parents; AWS keeps finished jobs for a limited time).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from batchctl.aws.batch import Batch
from batchctl.jobs.records import ALL_STATUSES

_EVERY_JOB = [{"name": "AFTER_CREATED_AT", "values": ["0"]}]


@dataclass(frozen=True)
class ComputeEnvironmentView:
    order: int
    name: str
    state: str
    status: str


@dataclass(frozen=True)
class QueueView:
    name: str  # the short name for this cluster's queues, else the AWS name
    arn: str
    state: str
    status: str
    status_reason: str
    priority: int
    compute_environments: list[ComputeEnvironmentView] = field(default_factory=list)
    jobs: dict[str, int] = field(default_factory=dict)


def queue_views(batch: Batch, queues: dict[str, str] | None) -> list[QueueView]:
    """`queues`: short name -> ARN of the queues to show; None for every queue of the account and region."""
    described = batch.describe_job_queues(list(queues.values()) if queues is not None else None)
    names = {arn: short for short, arn in (queues or {}).items()}
    environment_arns = sorted(
        {entry["computeEnvironment"] for queue in described for entry in queue.get("computeEnvironmentOrder", [])}
    )
    environments = {
        item["computeEnvironmentArn"]: item for item in batch.describe_compute_environments(environment_arns)
    }
    views = []
    for queue in described:
        arn = queue["jobQueueArn"]
        order = sorted(queue.get("computeEnvironmentOrder", []), key=lambda entry: entry["order"])
        views.append(
            QueueView(
                name=names.get(arn, queue["jobQueueName"]),
                arn=arn,
                state=queue.get("state", ""),
                status=queue.get("status", ""),
                status_reason=queue.get("statusReason", "") or "",
                priority=int(queue.get("priority", 0)),
                compute_environments=[_environment(entry, environments) for entry in order],
                jobs=_count_jobs(batch, arn),
            )
        )
    return views


def _environment(entry: dict[str, object], environments: dict[str, dict[str, str]]) -> ComputeEnvironmentView:
    arn = str(entry["computeEnvironment"])
    item = environments.get(arn, {})
    name = item.get("computeEnvironmentName") or arn.rsplit("/", 1)[-1]
    return ComputeEnvironmentView(int(str(entry["order"])), name, item.get("state", ""), item.get("status", ""))


def _count_jobs(batch: Batch, queue_arn: str) -> dict[str, int]:
    counts: Counter[str] = Counter()
    for page in batch.list_jobs(queue_arn, filters=_EVERY_JOB):
        counts.update(summary.get("status", "") for summary in page if ":" not in summary["jobId"])
    return {status: counts.get(status, 0) for status in ALL_STATUSES}
