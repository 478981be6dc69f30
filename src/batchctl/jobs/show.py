"""`batchctl show JOB`: status and reason, attempts, array children, log stream, output prefix."""

from __future__ import annotations

from dataclasses import dataclass

from batchctl.aws.batch import Batch
from batchctl.jobs.records import JobRecord, job_not_found
from batchctl.jobs.requests import JOB_NAME_ENV, JOB_TAG
from batchctl.jobs.resolve import Resolver

OUTPUTS_BUCKET_ENV = "BATCHCTL_OUTPUTS_BUCKET"
OUTPUT_PREFIX_ENV = "BATCHCTL_OUTPUT_PREFIX"
RUNNER_DEFAULT_JOB_NAME = "job"


@dataclass(frozen=True)
class JobView:
    job: JobRecord
    queue: str  # short name for this cluster's queues
    definition: str
    log_group: str
    output_url: str | None  # s3://bucket/prefix/ where the runner puts the job's outputs


def describe_job(batch: Batch, job_id: str, target: str) -> JobRecord:
    details = batch.describe_jobs([job_id])
    if not details:
        raise job_not_found(job_id, target)
    return JobRecord.from_detail(details[0])


def show_job(batch: Batch, resolver: Resolver, job_id: str, target: str) -> JobView:
    job = describe_job(batch, job_id, target)
    return JobView(
        job=job,
        queue=resolver.queue_name(job.queue),
        definition=resolver.job_definition_name(job.definition) or job.definition,
        log_group=log_group_of(job, resolver),
        output_url=output_url(job, resolver),
    )


def log_group_of(job: JobRecord, resolver: Resolver) -> str:
    return job.log_group or resolver.log_group(job.definition)


def output_url(job: JobRecord, resolver: Resolver, index: int | None = None) -> str | None:
    """Where the runner uploads this job's outputs (see batchctl.runner.job): for an array parent the common
    prefix of its children, unless `index` picks one."""
    index = job.array_index if index is None else index
    override = job.environment.get(OUTPUT_PREFIX_ENV, "").strip()
    if override:
        base = override.rstrip("/") + "/"
    else:
        bucket = job.environment.get(OUTPUTS_BUCKET_ENV, "").strip() or resolver.bucket("outputs")
        if not bucket:
            return None
        bucket = bucket.removeprefix("s3://").strip("/")
        name = (job.tags.get(JOB_TAG) or job.environment.get(JOB_NAME_ENV) or RUNNER_DEFAULT_JOB_NAME).strip()
        base = f"s3://{bucket}/{name.replace('/', '_')}/{job.parent_id}/"
    return base if index is None else f"{base}{index}/"
