"""The runner contract: what job definitions, `batchctl submit` / `resubmit` / `show` / `outputs` and the runner
inside the container agree on. Every other part imports it from here; standard library only (it runs in job images).

Environment variables read by the runner:
  BATCHCTL_WORKSPACE_DIR           workspace root (default /workspace): inputs/ and outputs/ live under it
  BATCHCTL_INPUT_<NAME>            s3://bucket/key (one object) or s3://bucket/prefix/ (everything under it),
                                   staged into <workspace>/inputs/<name lower-cased>/ (set by submit from `inputs:`)
  BATCHCTL_OUTPUTS_BUCKET          bucket for <workspace>/outputs/** and the usage report (unset: no upload;
                                   set by the job definitions)
  BATCHCTL_OUTPUT_PREFIX           s3://bucket/prefix/ replacing s3://<outputs bucket>/<job name>/<job id>/
                                   (set by resubmit: a re-run writes under the original's prefix)
  BATCHCTL_JOB_NAME                job name for the output prefix (set by submit; unset: the name DescribeJobs
                                   gives the job's id, when outputs go to BATCHCTL_OUTPUTS_BUCKET; else "job")
  BATCHCTL_INDEX_MAP               "1,3": array child i stands for original index map[i] (set by resubmit)
  BATCHCTL_STOP_GRACE_SECONDS      after forwarding SIGTERM/SIGINT, wait this long before SIGKILL (default 20)
  BATCHCTL_USAGE_INTERVAL_SECONDS  how often the process tree's memory is sampled (default 0.25)
  AWS_BATCH_JOB_ID, AWS_BATCH_JOB_ARRAY_INDEX, AWS_BATCH_JOB_ATTEMPT   set by AWS Batch
  AWS_ENDPOINT_URL, AWS_RETRY_MODE, AWS_MAX_ATTEMPTS, credentials     honoured by boto3 as usual
  AWS_REGION, AWS_DEFAULT_REGION, ECS_CONTAINER_METADATA_URI_V4      the region of the job-name lookup

Set by the job definitions for the command (the runner passes them on): BATCHCTL_CLUSTER and
BATCHCTL_<ROLE>_BUCKET for the cluster's inputs, workspace and outputs buckets.

Given to the command (besides everything the runner received):
  BATCHCTL_ARRAY_INDEX   the job's (original) array index, for array jobs only
  BATCHCTL_INPUTS_DIR, BATCHCTL_OUTPUTS_DIR, BATCHCTL_OUTPUT_URL (the S3 prefix outputs go to, when uploading)

Output prefix: s3://<outputs bucket>/<job name>/<job id>/ for a plain job and .../<job id>/<index>/ for an array
child, where the job id is the array's parent id (AWS gives a child "<parent id>:<index>") and the index the
original one (after the index map). BATCHCTL_OUTPUT_PREFIX replaces s3://<bucket>/<job name>/<job id>/ as a whole;
array children still get their index appended, so children of one array never overwrite each other.
"""

from __future__ import annotations

from collections.abc import Iterable

# Read by the runner.
WORKSPACE_DIR = "BATCHCTL_WORKSPACE_DIR"
INPUT_PREFIX = "BATCHCTL_INPUT_"
OUTPUTS_BUCKET = "BATCHCTL_OUTPUTS_BUCKET"
OUTPUT_PREFIX = "BATCHCTL_OUTPUT_PREFIX"
JOB_NAME = "BATCHCTL_JOB_NAME"
INDEX_MAP = "BATCHCTL_INDEX_MAP"
STOP_GRACE_SECONDS = "BATCHCTL_STOP_GRACE_SECONDS"
USAGE_INTERVAL_SECONDS = "BATCHCTL_USAGE_INTERVAL_SECONDS"

# Set by AWS Batch in every job container; names starting with AWS_BATCH are reserved for them, and SubmitJob refuses
# overrides of them (https://docs.aws.amazon.com/batch/latest/userguide/job_env_vars.html).
AWS_RESERVED_PREFIX = "AWS_BATCH"
AWS_JOB_ID = "AWS_BATCH_JOB_ID"
AWS_ARRAY_INDEX = "AWS_BATCH_JOB_ARRAY_INDEX"
AWS_ATTEMPT = "AWS_BATCH_JOB_ATTEMPT"

# Set by the job definitions: which cluster the job runs in and its buckets.
CLUSTER = "BATCHCTL_CLUSTER"
BUCKET_VARIABLES = {
    "outputs": OUTPUTS_BUCKET,
    "inputs": "BATCHCTL_INPUTS_BUCKET",
    "workspace": "BATCHCTL_WORKSPACE_BUCKET",
}

# Given to the command by the runner.
ARRAY_INDEX = "BATCHCTL_ARRAY_INDEX"
INPUTS_DIR = "BATCHCTL_INPUTS_DIR"
OUTPUTS_DIR = "BATCHCTL_OUTPUTS_DIR"
OUTPUT_URL = "BATCHCTL_OUTPUT_URL"

# The job name of the output prefix when nothing names the job.
DEFAULT_JOB_NAME = "job"


class IndexMapError(ValueError):
    """A BATCHCTL_INDEX_MAP that is not a list of array indices, or that does not fit the job."""


def input_variable(name: str) -> str:
    """The variable an input named `name` is staged from: BATCHCTL_INPUT_<NAME>."""
    return INPUT_PREFIX + name.upper()


def parse_index_map(raw: str) -> list[int]:
    """`1,3` -> [1, 3]; `` -> [] (no map)."""
    items = [item.strip() for item in raw.split(",") if item.strip()]
    if not all(item.isdigit() for item in items):
        raise IndexMapError(f"{INDEX_MAP}={raw!r} must be comma-separated array indices, e.g. '1,3'")
    return [int(item) for item in items]


def format_index_map(indices: Iterable[int]) -> str:
    return ",".join(str(index) for index in indices)


def original_index(aws_index: int | None, index_map: list[int]) -> int | None:
    """The index a job stands for: child i of a re-run stands for map[i]; a plain job with a map of one index
    stands for that index (AWS arrays have at least two children); without a map the index is AWS's own."""
    if not index_map:
        return aws_index
    if aws_index is None:
        if len(index_map) == 1:
            return index_map[0]
        raise IndexMapError(f"{INDEX_MAP} has {len(index_map)} indices but the job is not an array child")
    if aws_index >= len(index_map):
        raise IndexMapError(f"array index {aws_index} is outside {INDEX_MAP} ({len(index_map)} indices)")
    return index_map[aws_index]


def job_name_segment(name: str | None) -> str:
    """The job name as one segment of the output prefix."""
    return (name or "").strip().replace("/", "_") or DEFAULT_JOB_NAME


def output_base(override: str, bucket: str, job_name: str | None, job_id: str) -> str | None:
    """The prefix a job's outputs start from (array children append their index): the override
    (BATCHCTL_OUTPUT_PREFIX) as a prefix, else s3://<bucket>/<job name>/<parent job id>/; None without either."""
    override = override.strip()
    if override:
        return override if override.endswith("/") else override + "/"
    bucket = bucket.strip().removeprefix("s3://").strip("/")
    if not bucket:
        return None
    return f"s3://{bucket}/{job_name_segment(job_name)}/{job_id.split(':', 1)[0]}/"


def child_prefix(base: str, index: int | None) -> str:
    """An array child's outputs go under its (original) index; a plain job's under the base itself."""
    return base if index is None else f"{base}{index}/"
