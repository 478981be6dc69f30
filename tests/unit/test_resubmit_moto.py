"""The two ListJobs queries of `resubmit` against moto in-process (container runs off): what the emulator answers.

- JOB_NAME `<name>-r*`: a trailing `*` matches a prefix (AWS documents it; moto 5.2.5 implements it), which is how
  a job finds its resubmissions in one call.
- arrayJobId + jobStatus=FAILED: an array's failed children only.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto.batch.models import batch_backends

from batchctl.aws.batch import Batch
from batchctl.jobs.records import JobRecord
from batchctl.jobs.resubmissions import find_resubmissions
from batchctl.jobs.resubmit import failed_indices

REGION = "us-east-1"
ACCOUNT = "123456789012"


@pytest.fixture
def batch() -> Iterator[tuple[Any, str, str]]:
    """A Batch client with a queue and a job definition; jobs succeed at once."""
    with mock_aws(config={"batch": {"use_docker": False}}):
        iam = boto3.client("iam", region_name=REGION)
        client = boto3.client("batch", region_name=REGION)
        role = iam.create_role(RoleName="batch", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
        environment = client.create_compute_environment(
            computeEnvironmentName="demo-cpu", type="UNMANAGED", state="ENABLED", serviceRole=role
        )["computeEnvironmentArn"]
        queue = client.create_job_queue(
            jobQueueName="demo-cpu",
            state="ENABLED",
            priority=1,
            computeEnvironmentOrder=[{"order": 1, "computeEnvironment": environment}],
        )["jobQueueArn"]
        definition = client.register_job_definition(
            jobDefinitionName="demo-hello",
            type="container",
            containerProperties={"image": "hello", "command": ["x"], "vcpus": 1, "memory": 128},
        )["jobDefinitionArn"]
        yield client, queue, definition


def _submit(client: Any, queue: str, definition: str, name: str, **extra: Any) -> str:
    return str(client.submit_job(jobName=name, jobQueue=queue, jobDefinition=definition, **extra)["jobId"])


def _record(client: Any, job_id: str) -> JobRecord:
    return JobRecord.from_detail(client.describe_jobs(jobs=[job_id])["jobs"][0])


def test_a_job_finds_its_resubmissions_by_name_prefix(batch: tuple[Any, str, str]) -> None:
    client, queue, definition = batch
    original = _submit(client, queue, definition, "flaky-0a1b2c3d")
    first = _submit(client, queue, definition, "flaky-0a1b2c3d-r1")
    second = _submit(client, queue, definition, "flaky-0a1b2c3d-r2")
    _submit(client, queue, definition, "flaky-0a1b2c3d-r1-r1")  # a resubmission of the first one
    _submit(client, queue, definition, "flaky-9f9f9f9f-r1")  # another job's
    found = find_resubmissions(Batch(client), _record(client, original))
    assert [(item.number, item.job_id) for item in found] == [(1, first), (2, second)]


def test_failed_children_are_listed_by_array_and_status(batch: tuple[Any, str, str]) -> None:
    client, queue, definition = batch
    parent = _submit(client, queue, definition, "flaky-0a1b2c3d", arrayProperties={"size": 5})
    deadline = time.monotonic() + 30
    while client.describe_jobs(jobs=[parent])["jobs"][0]["status"] != "SUCCEEDED":
        assert time.monotonic() < deadline, "moto never finished the array"
        time.sleep(0.2)
    backend = batch_backends[ACCOUNT][REGION]
    for index in (1, 3):
        job = backend.get_job_by_id(f"{parent}:{index}")
        assert job is not None
        job.status = "FAILED"  # what the container's exit would have done
    assert failed_indices(Batch(client), _record(client, parent)) == [1, 3]
