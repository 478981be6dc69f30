"""`batchctl show JOB`: status and reason, attempts, array children, log stream, output prefix, resubmissions.

A resubmission is named `<original AWS name>-r<n>` (see batchctl.jobs.resubmit) in the original's queue, so one
ListJobs with the JOB_NAME filter `<original AWS name>-r*` (a trailing `*` matches a prefix, on AWS and in the
emulator) finds every resubmission of a job: no tag lookup per job.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from batchctl.aws.batch import Batch
from batchctl.errors import AwsError
from batchctl.jobs.records import JobRecord, job_not_found
from batchctl.jobs.requests import JOB_NAME_ENV, JOB_TAG
from batchctl.jobs.resolve import Resolver

OUTPUTS_BUCKET_ENV = "BATCHCTL_OUTPUTS_BUCKET"
OUTPUT_PREFIX_ENV = "BATCHCTL_OUTPUT_PREFIX"
RUNNER_DEFAULT_JOB_NAME = "job"
MAX_AWS_JOB_NAME = 128
RESUBMISSION_MARK = "-r"
# Room kept after the base name for the mark and a resubmission number of up to 4 digits.
_RESUBMISSION_BASE_LENGTH = MAX_AWS_JOB_NAME - len(RESUBMISSION_MARK) - 4


@dataclass(frozen=True)
class Resubmission:
    number: int  # n of `<original AWS name>-r<n>`
    job_id: str
    status: str


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


def describe_job(batch: Batch, job_id: str, target: str) -> JobRecord:
    details = batch.describe_jobs([job_id])
    if not details:
        raise job_not_found(job_id, target)
    return JobRecord.from_detail(details[0])


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


def resubmission_base(aws_name: str) -> str:
    """The part of a job's AWS name its resubmissions' names start with (cut so that `-r<n>` fits in 128)."""
    return aws_name[:_RESUBMISSION_BASE_LENGTH]


def find_resubmissions(batch: Batch, job: JobRecord) -> list[Resubmission]:
    """Every `<base>-r<n>` job of the job's queue, by n: one ListJobs call per 1000 jobs matching the prefix."""
    base = resubmission_base(job.aws_name)
    # The prefix also matches resubmissions of resubmissions (`<base>-r1-r1`): only `-r<digits>` at the end counts.
    pattern = re.compile(re.escape(base + RESUBMISSION_MARK) + r"(\d+)", re.IGNORECASE)
    filters = [{"name": "JOB_NAME", "values": [f"{base}{RESUBMISSION_MARK}*"]}]
    found = []
    for page in batch.list_jobs(job.queue, filters=filters):
        for summary in page:
            matched = pattern.fullmatch(str(summary.get("jobName", "")))
            if matched and ":" not in summary["jobId"]:
                found.append(Resubmission(int(matched.group(1)), summary["jobId"], summary.get("status", "")))
    return sorted(found, key=lambda item: item.number)


def log_group_of(job: JobRecord, resolver: Resolver) -> str:
    return job.log_group or resolver.log_group(job.definition)


def output_base(job: JobRecord, resolver: Resolver) -> str | None:
    """s3://bucket/prefix/ the runner starts a job's output prefix from: BATCHCTL_OUTPUT_PREFIX, or
    s3://<outputs bucket>/<job name>/<job id>/. None without an outputs bucket."""
    override = job.environment.get(OUTPUT_PREFIX_ENV, "").strip()
    if override:
        return override.rstrip("/") + "/"
    bucket = job.environment.get(OUTPUTS_BUCKET_ENV, "").strip() or resolver.bucket("outputs")
    if not bucket:
        return None
    bucket = bucket.removeprefix("s3://").strip("/")
    name = (job.tags.get(JOB_TAG) or job.environment.get(JOB_NAME_ENV) or RUNNER_DEFAULT_JOB_NAME).strip()
    return f"s3://{bucket}/{name.replace('/', '_')}/{job.parent_id}/"


def output_url(job: JobRecord, resolver: Resolver, index: int | None = None) -> str | None:
    """Where the runner uploads this job's outputs (see batchctl.runner.job): for an array parent the common
    prefix of its children, unless `index` picks one. With an index map, child i writes under original index map[i]."""
    base = output_base(job, resolver)
    if base is None:
        return None
    index = job.array_index if index is None else index
    index_map = job.index_map
    if index is not None and index < len(index_map):
        index = index_map[index]
    elif index is None and len(index_map) == 1 and not job.is_array_parent:
        index = index_map[0]  # a plain job standing for one index of an earlier array
    return base if index is None else f"{base}{index}/"
