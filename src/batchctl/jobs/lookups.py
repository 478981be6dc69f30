"""Lookups every job command shares: a job by id, its log group, where its outputs are.

Where outputs are follows the runner's own rule (batchctl.runner.contract), from the job's environment as
DescribeJobs reports it, so `show`, `outputs` and `resubmit` name the prefix the runner really wrote to.
"""

from __future__ import annotations

import contextlib

from batchctl.aws.batch import Batch
from batchctl.jobs.records import JobRecord, job_not_found
from batchctl.jobs.resolve import Resolver
from batchctl.jobs.tags import JOB_TAG
from batchctl.runner import contract


def describe_job(batch: Batch, job_id: str, target: str) -> JobRecord:
    details = batch.describe_jobs([job_id])
    if not details:
        raise job_not_found(job_id, target)
    return JobRecord.from_detail(details[0])


def log_group_of(job: JobRecord, resolver: Resolver) -> str:
    return job.log_group or resolver.log_group(job.definition)


def job_output_base(job: JobRecord, resolver: Resolver) -> str | None:
    """s3://bucket/prefix/ the runner starts a job's output prefix from; None without an outputs bucket."""
    return contract.output_base(
        job.environment.get(contract.OUTPUT_PREFIX, ""),
        job.environment.get(contract.OUTPUTS_BUCKET, "").strip() or resolver.bucket("outputs") or "",
        job.tags.get(JOB_TAG) or job.environment.get(contract.JOB_NAME),
        job.parent_id,
    )


def output_url(job: JobRecord, resolver: Resolver, index: int | None = None) -> str | None:
    """Where the runner uploads this job's outputs: for an array parent the common prefix of its children, unless
    `index` picks one. With an index map, child i writes under original index map[i]."""
    base = job_output_base(job, resolver)
    if base is None:
        return None
    index = job.array_index if index is None else index
    if index is not None or not job.is_array_parent:
        # A map the runner refuses leaves the index as it is: the job wrote nothing under the map.
        with contextlib.suppress(contract.IndexMapError):
            index = contract.original_index(index, job.index_map)
    return contract.child_prefix(base, index)
