"""Jobs run in real containers through the emulator: environment, logs, S3 access, image handling.

The job definition comes from the same template as the stack test, with its image set to an ECR image of the
emulator, pushed to its registry (jobs pull ECR images from there, as on AWS).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.emulator_fixtures import (
    ACCOUNT_ID,
    BASE_IMAGE,
    REGION,
    Emulator,
    require_docker,
    require_image,
    require_registry,
)

from batchctl.aws.ecr import Ecr
from batchctl.images.push import push_images

pytestmark = [pytest.mark.integration, pytest.mark.e2e, pytest.mark.requires_docker]

TEMPLATE_PATH = Path(__file__).parent / "data" / "batch_stack.json"
STACK = "emulator-jobs"
IMAGE = f"{ACCOUNT_ID}.dkr.ecr.{REGION}.amazonaws.com/{STACK}-jobs:e2e"

# Prints its environment and writes one object to the stack's bucket through the emulator endpoint it was given.
# The base image has python3 but no AWS SDK: moto accepts the unsigned path-style request.
JOB_SCRIPT = """
import os, urllib.request
print("greeting Ref::Greeting")
for name in sorted(os.environ):
    print(name + "=" + os.environ[name])
index = os.environ.get("AWS_BATCH_JOB_ARRAY_INDEX", "single")
url = os.environ["AWS_ENDPOINT_URL"] + "/" + os.environ["DATA_BUCKET"] + "/outputs/" + index + ".txt"
body = ("written by " + os.environ["AWS_BATCH_JOB_ID"]).encode()
opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
headers = {"Content-Type": "application/octet-stream"}
opener.open(urllib.request.Request(url, data=body, method="PUT", headers=headers), timeout=10).read()
print("uploaded", url)
"""


@pytest.fixture(scope="module")
def cluster(emulator: Emulator) -> Iterator[dict[str, str]]:
    """The stack deployed with a job definition that runs JOB_SCRIPT from a locally tagged ECR-style image."""
    require_docker()
    require_image(BASE_IMAGE)
    import docker

    require_registry()
    engine = docker.from_env()
    engine.images.get(BASE_IMAGE).tag(IMAGE)
    push_images(engine, Ecr(emulator.client("ecr")), [IMAGE])
    template = json.loads(TEMPLATE_PATH.read_text())
    container = template["Resources"]["JobDefinition"]["Properties"]["ContainerProperties"]
    container["Image"] = IMAGE
    container["Command"] = ["python3", "-c", JOB_SCRIPT]

    cloudformation = emulator.client("cloudformation")
    created = cloudformation.create_change_set(
        StackName=STACK, ChangeSetName="create-1", ChangeSetType="CREATE", TemplateBody=json.dumps(template)
    )
    cloudformation.execute_change_set(ChangeSetName=created["Id"])
    cloudformation.get_waiter("stack_create_complete").wait(
        StackName=STACK, WaiterConfig={"Delay": 1, "MaxAttempts": 60}
    )
    stack = cloudformation.describe_stacks(StackName=STACK)["Stacks"][0]
    try:
        yield {output["OutputKey"]: output["OutputValue"] for output in stack["Outputs"]}
    finally:
        engine.images.remove(IMAGE)
        engine.close()


def wait_for_job(emulator: Emulator, job_id: str, timeout: float = 120) -> dict[str, Any]:
    batch = emulator.client("batch")
    deadline = time.monotonic() + timeout
    while True:
        (job,) = batch.describe_jobs(jobs=[job_id])["jobs"]
        if job["status"] in {"SUCCEEDED", "FAILED"}:
            return dict(job)
        assert time.monotonic() < deadline, f"job {job_id} still {job['status']} after {timeout} s"
        time.sleep(0.5)


def log_lines(emulator: Emulator, group: str, stream: str) -> list[str]:
    events = emulator.client("logs").get_log_events(logGroupName=group, logStreamName=stream)["events"]
    return [event["message"] for event in events]


def test_array_job_runs_in_containers_with_batch_environment_and_logs(
    emulator: Emulator, cluster: dict[str, str]
) -> None:
    batch = emulator.client("batch")
    submitted = batch.submit_job(
        jobName="e2e-array",
        jobQueue=cluster["JobQueueArn"],
        jobDefinition=cluster["JobDefinitionArn"],
        arrayProperties={"size": 2},
        containerOverrides={"environment": [{"name": "FROM_SUBMIT", "value": "yes"}]},
    )
    parent_id = submitted["jobId"]

    parent = wait_for_job(emulator, parent_id)
    assert parent["status"] == "SUCCEEDED"
    assert parent["arrayProperties"]["statusSummary"]["SUCCEEDED"] == 2

    (queue,) = batch.describe_job_queues(jobQueues=[cluster["JobQueueArn"]])["jobQueues"]
    environment_name = queue["computeEnvironmentOrder"][0]["computeEnvironment"].rsplit("/", 1)[1]
    s3 = emulator.client("s3")
    for index in range(2):
        child_id = f"{parent_id}:{index}"
        child = wait_for_job(emulator, child_id)
        assert child["status"] == "SUCCEEDED", child.get("statusReason")
        stream = child["container"]["logStreamName"]
        assert stream.startswith("hello/default/")
        assert child["attempts"][0]["container"]["logStreamName"] == stream

        lines = log_lines(emulator, cluster["JobLogGroupName"], stream)
        assert "greeting hello" in lines  # job definition parameter substituted into the command
        assert f"AWS_BATCH_JOB_ID={child_id}" in lines
        assert f"AWS_BATCH_JOB_ARRAY_INDEX={index}" in lines
        assert "AWS_BATCH_JOB_ARRAY_SIZE=2" in lines
        assert "AWS_BATCH_JOB_ATTEMPT=1" in lines
        assert f"AWS_BATCH_JQ_NAME={queue['jobQueueName']}" in lines
        assert f"AWS_BATCH_CE_NAME={environment_name}" in lines
        assert f"AWS_ENDPOINT_URL={emulator.endpoint}" in lines
        assert f"AWS_REGION={REGION}" in lines
        assert f"DATA_BUCKET={cluster['DataBucketName']}" in lines
        assert "FROM_SUBMIT=yes" in lines

        body = s3.get_object(Bucket=cluster["DataBucketName"], Key=f"outputs/{index}.txt")["Body"].read()
        assert body == f"written by {child_id}".encode()

    import docker

    engine = docker.from_env()
    try:
        leftovers = [c.name for c in engine.containers.list(all=True) if c.name.startswith("e2e-array-")]
    finally:
        engine.close()
    assert leftovers == []


def test_an_image_missing_from_the_registry_fails_as_on_aws(emulator: Emulator, cluster: dict[str, str]) -> None:
    batch = emulator.client("batch")
    missing = f"{ACCOUNT_ID}.dkr.ecr.{REGION}.amazonaws.com/{STACK}-jobs:never-built"
    definition = batch.register_job_definition(
        jobDefinitionName="e2e-missing-image",
        type="container",
        containerProperties={
            "image": missing,
            "command": ["true"],
            "resourceRequirements": [{"type": "VCPU", "value": "1"}, {"type": "MEMORY", "value": "128"}],
        },
    )
    started = time.monotonic()
    submitted = batch.submit_job(
        jobName="e2e-missing", jobQueue=cluster["JobQueueArn"], jobDefinition=definition["jobDefinitionArn"]
    )
    job = wait_for_job(emulator, submitted["jobId"], timeout=30)
    assert job["status"] == "FAILED"
    assert job["statusReason"] == "Task failed to start"
    assert job["attempts"][-1]["container"]["reason"] == (
        f"CannotPullContainerError: Error response from daemon: manifest for {missing} not found: "
        "manifest unknown: Requested image not found"
    )
    assert time.monotonic() - started < 15


def test_log_lines_arrive_while_the_job_runs(emulator: Emulator, cluster: dict[str, str]) -> None:
    batch = emulator.client("batch")
    script = "import time\nprint('first', flush=True)\ntime.sleep(4)\nprint('second', flush=True)"
    submitted = batch.submit_job(
        jobName="e2e-live-logs",
        jobQueue=cluster["JobQueueArn"],
        jobDefinition=cluster["JobDefinitionArn"],
        containerOverrides={"command": ["python3", "-c", script]},
    )
    job_id = submitted["jobId"]
    deadline = time.monotonic() + 60
    while True:
        (job,) = batch.describe_jobs(jobs=[job_id])["jobs"]
        stream = job.get("container", {}).get("logStreamName")
        if job["status"] == "RUNNING" and stream and log_lines(emulator, cluster["JobLogGroupName"], stream):
            break
        assert job["status"] not in {"SUCCEEDED", "FAILED"}, "the job ended before any line was delivered"
        assert time.monotonic() < deadline
        time.sleep(0.2)
    assert log_lines(emulator, cluster["JobLogGroupName"], stream) == ["first"]

    assert wait_for_job(emulator, job_id)["status"] == "SUCCEEDED"
    assert log_lines(emulator, cluster["JobLogGroupName"], stream) == ["first", "second"]
