"""What the dashboard shows beyond the SDK's own results, read through the SDK's clients and AWS wrappers.

- compute environments with their vCPU bounds (DescribeComputeEnvironments computeResources) and the vCPUs in use
  by the running jobs of their queues (as `why` counts them);
- the front of a queue (GetJobQueueSnapshot frontOfQueue.jobs, the first RUNNABLE jobs in placement order,
  https://docs.aws.amazon.com/batch/latest/APIReference/API_GetJobQueueSnapshot.html);
- an array's children by index: one ListJobs(arrayJobId, jobStatus) pass per status, 1000 summaries a page
  (https://docs.aws.amazon.com/batch/latest/APIReference/API_ListJobs.html), so 10,000 children cost about 16 calls;
- the jobs of one submission (batchctl's submission tag), for its dependency graph.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from batchctl import outputs as keys
from batchctl.aws.batch import Batch
from batchctl.errors import BatchctlError
from batchctl.insight.facts import vcpus_in_use
from batchctl.jobs.records import ALL_STATUSES, JobRecord

if TYPE_CHECKING:
    from batchctl.api import Batchctl
    from batchctl.jobs.queues import QueueView

FRONT_SHOWN = 10
SUBMISSION_WINDOW = timedelta(hours=6)  # a submission's jobs are created within this of each other


@dataclass(frozen=True)
class EnvironmentUse:
    name: str
    state: str
    status: str
    kind: str  # EC2, SPOT, FARGATE, FARGATE_SPOT
    min_vcpus: float | None
    max_vcpus: float | None
    vcpus_in_use: float  # requested by the STARTING and RUNNING jobs of the queues that use it


@dataclass(frozen=True)
class FrontJob:
    job_id: str
    since: datetime | None


def batch_of(sdk: Batchctl) -> Batch:
    return Batch(sdk.aws.client("batch"))


def environments(sdk: Batchctl, queues: list[QueueView]) -> list[EnvironmentUse]:
    batch = batch_of(sdk)
    in_use = {queue.arn: vcpus_in_use(batch, queue.arn) for queue in queues}
    by_name: dict[str, float] = {}
    for queue in queues:
        for environment in queue.compute_environments:
            by_name[environment.name] = by_name.get(environment.name, 0.0) + in_use[queue.arn]
    arns = [value for key, value in sdk.stack_outputs().items() if key.startswith(keys.COMPUTE_ENVIRONMENT)]
    found = batch.describe_compute_environments(arns)
    return [_use(item, by_name.get(item.get("computeEnvironmentName", ""), 0.0)) for item in found]


def _use(item: dict[str, Any], in_use: float) -> EnvironmentUse:
    resources = item.get("computeResources") or {}
    return EnvironmentUse(
        name=item.get("computeEnvironmentName", ""),
        state=item.get("state", ""),
        status=item.get("status", ""),
        kind=str(resources.get("type") or item.get("type", "")),
        min_vcpus=_number(resources.get("minvCpus")),
        max_vcpus=_number(resources.get("maxvCpus")),
        vcpus_in_use=in_use,
    )


def front_of_queue(sdk: Batchctl, queue_arn: str) -> list[FrontJob] | None:
    """None: the endpoint cannot say (no GetJobQueueSnapshot, or no permission)."""
    try:
        jobs = batch_of(sdk).get_job_queue_snapshot(queue_arn)
    except BatchctlError:
        return None
    return [
        FrontJob(str(item.get("jobArn", "")).rsplit("/", 1)[-1], _time(item.get("earliestTimeAtPosition")))
        for item in jobs[:FRONT_SHOWN]
    ]


def child_statuses(sdk: Batchctl, parent: JobRecord) -> list[str]:
    """The status of each child of an array, by index ("" for a child no listing returned)."""
    statuses = [""] * (parent.array_size or 0)
    batch = batch_of(sdk)
    for status in ALL_STATUSES:
        for page in batch.list_jobs(array_job_id=parent.id, status=status):
            for summary in page:
                index = _child_index(summary)
                if index is not None and 0 <= index < len(statuses):
                    statuses[index] = str(summary.get("status") or status)
    return statuses


def _child_index(summary: dict[str, Any]) -> int | None:
    index = (summary.get("arrayProperties") or {}).get("index")
    if index is None:
        _, _, tail = str(summary.get("jobId", "")).rpartition(":")
        index = tail if tail.isdigit() else None
    return int(index) if index is not None else None


def submission_jobs(sdk: Batchctl, job: JobRecord) -> list[JobRecord]:
    """The jobs submitted together with `job` (same submission tag), oldest first; just the job without one."""
    if not job.submission or job.created is None:
        return [job]
    since = job.created - SUBMISSION_WINDOW
    found = sdk.jobs(all_statuses=True, all_users=True, since=since)
    together = [record for record in found if record.submission == job.submission]
    return together or [job]


def _number(value: Any) -> float | None:
    return float(value) if value is not None else None


def _time(millis: Any) -> datetime | None:
    return datetime.fromtimestamp(int(millis) / 1000, tz=UTC) if millis else None
