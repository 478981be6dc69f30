"""The job's own name from AWS Batch, for a job submitted by another tool than batchctl (no BATCHCTL_JOB_NAME).

One DescribeJobs call on the job's own id (AWS_BATCH_JOB_ID), whose answer names the job
(https://docs.aws.amazon.com/batch/latest/APIReference/API_DescribeJobs.html). The job role needs
batch:DescribeJobs, an action without resource-level permissions, so granted on "*"
(https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsbatch.html).
The name only places the outputs, so a lookup that fails is said in the log and never fails the job.

The Batch client needs a region, which ECS on EC2 does not always put in the environment: then it is the one in
the task's ARN, from the ECS task metadata endpoint that ECS gives every task
(https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-metadata-endpoint-v4.html).
"""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Callable, Mapping
from typing import Any

from . import contract, log
from .s3client import client_config, describe_error

ECS_METADATA_URI = "ECS_CONTAINER_METADATA_URI_V4"
# A lookup that only names the outputs: few attempts, short timeouts.
LOOKUP_ATTEMPTS = 3
LOOKUP_TIMEOUT_SECONDS = 5


def aws_job_name(job_id: str, environ: Mapping[str, str]) -> str | None:
    """The name AWS Batch has for `job_id`, or None (with a log line saying why)."""
    try:
        jobs = _batch_client(environ).describe_jobs(jobs=[job_id]).get("jobs", [])
    except Exception as error:  # missing boto3, no region, AccessDenied, network: all end the lookup the same way
        log.say(f"cannot look up the job's name ({describe_error(error)}); give the job role batch:DescribeJobs")
        return None
    if not jobs or not jobs[0].get("jobName"):
        log.say(f"cannot look up the job's name: DescribeJobs does not know job {job_id}")
        return None
    return str(jobs[0]["jobName"])


def region(environ: Mapping[str, str]) -> str | None:
    """AWS_REGION or AWS_DEFAULT_REGION, else the region of the task's ARN (ECS task metadata), else None."""
    named = environ.get("AWS_REGION") or environ.get("AWS_DEFAULT_REGION")
    if named:
        return named
    metadata = environ.get(ECS_METADATA_URI, "").strip()
    if not metadata:
        return None
    try:
        # A link-local address: never through a proxy the job's environment may name.
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        with opener.open(f"{metadata.rstrip('/')}/task", timeout=LOOKUP_TIMEOUT_SECONDS) as answer:
            task_arn = str(json.loads(answer.read(1 << 20)).get("TaskARN", ""))
    except (OSError, ValueError):
        return None
    parts = task_arn.split(":")  # arn:aws:ecs:<region>:<account>:task/...
    return parts[3] if len(parts) > 4 and parts[3] else None


def _batch_client(environ: Mapping[str, str]) -> Any:
    import boto3

    endpoint = environ.get("AWS_ENDPOINT_URL_BATCH") or environ.get("AWS_ENDPOINT_URL") or None
    config = client_config(max_attempts=LOOKUP_ATTEMPTS, read_timeout=LOOKUP_TIMEOUT_SECONDS)
    return boto3.client("batch", region_name=region(environ), endpoint_url=endpoint, config=config)


def lookup_for(environ: Mapping[str, str]) -> Callable[[str], str | None] | None:
    """The name lookup for identify_job, when the name places the outputs (the outputs bucket, no override):
    a job that uploads nothing never imports boto3."""
    if environ.get(contract.OUTPUT_PREFIX, "").strip() or not environ.get(contract.OUTPUTS_BUCKET, "").strip():
        return None
    return lambda job_id: aws_job_name(job_id, environ)
