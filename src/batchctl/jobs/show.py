"""`batchctl show JOB`: status and reason, attempts, array children, log stream, output prefix, resubmissions."""

from __future__ import annotations

from dataclasses import dataclass, field

from batchctl.aws.batch import Batch
from batchctl.errors import AwsError
from batchctl.jobs.lookups import describe_job, log_group_of, output_url
from batchctl.jobs.records import JobRecord
from batchctl.jobs.resolve import Resolver
from batchctl.jobs.resubmissions import Resubmission, find_resubmissions


@dataclass(frozen=True)
class JobView:
    job: JobRecord
    queue: str  # short name for this cluster's queues
    definition: str
    log_group: str
    output_url: str | None  # s3://bucket/prefix/ where the runner puts the job's outputs
    resubmit_of: str | None = None  # the job this one re-runs
    resubmit_indices: list[int] | None = None  # the original indices it re-runs (None: all, or a plain job)
    resubmissions: list[Resubmission] = field(default_factory=list)  # the jobs that re-run this one, oldest first
    resubmissions_unknown: str | None = None  # why they could not be looked up


def show_job(batch: Batch, resolver: Resolver, job_id: str, target: str) -> JobView:
    job = describe_job(batch, job_id, target)
    resubmissions: list[Resubmission] = []
    unknown = None
    # Only a finished array parent or plain job can have been resubmitted.
    if job.terminal and not job.is_array_child:
        try:
            resubmissions = find_resubmissions(batch, job)
        except AwsError as exc:
            unknown = exc.message  # the job itself is shown all the same
    return JobView(
        job=job,
        queue=resolver.queue_name(job.queue),
        definition=resolver.job_definition_name(job.definition) or job.definition,
        log_group=log_group_of(job, resolver),
        output_url=output_url(job, resolver),
        resubmit_of=job.resubmit_of,
        resubmit_indices=job.index_map or None,
        resubmissions=resubmissions,
        resubmissions_unknown=unknown,
    )
