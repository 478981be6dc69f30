"""The executor runs jobs as AWS Batch does: container environment, image, logs, array status, exit codes.

Each behaviour has a test that shows moto's gap with the behaviour switched off (``SWITCHES.without``).
"""

from __future__ import annotations

import time

import pytest
from tests.unit.local.fakes import (
    IMAGE,
    REGION,
    FakeDocker,
    client,
    create_queue,
    describe,
    env_of,
    submit,
    wait_for,
    wait_for_children,
)

from batchctl.local import moto_adapter, registry
from batchctl.local.behaviours import SWITCHES

pytestmark = pytest.mark.usefixtures("patched")


def test_job_container_lacks_aws_environment(fake_docker: FakeDocker) -> None:
    create_queue()
    overrides = {
        "environment": [
            {"name": "SHARED", "value": "submit"},
            {"name": "AWS_REGION", "value": "eu-west-1"},
            {"name": "AWS_BATCH_JOB_ID", "value": "not-allowed"},
        ]
    }

    with SWITCHES.without("job_container_lacks_aws_environment"):
        single = submit()
        wait_for(single, {"SUCCEEDED"})
        assert "AWS_ENDPOINT_URL" not in env_of(fake_docker.launched[-1])

    fake_docker.launched.clear()
    parent = submit(arrayProperties={"size": 2}, containerOverrides=overrides)
    wait_for_children(parent, 2)
    launches = sorted(fake_docker.launched, key=lambda launch: env_of(launch)["AWS_BATCH_JOB_ARRAY_INDEX"])
    assert len(launches) == 2
    for index, launch in enumerate(launches):
        env = env_of(launch)
        assert env["AWS_ENDPOINT_URL"] == "http://127.0.0.1:4711"
        assert env["MOTO_HOST"] == "http://127.0.0.1"
        assert (env["AWS_ACCESS_KEY_ID"], env["AWS_SECRET_ACCESS_KEY"]) == ("test", "test")
        assert env["AWS_DEFAULT_REGION"] == REGION
        assert env["AWS_REGION"] == "eu-west-1"  # submit-time value wins over the default
        assert env["SHARED"] == "submit"  # submit-time value wins over the job definition
        assert env["FROM_DEFINITION"] == "definition"
        assert env["AWS_BATCH_JOB_ID"] == f"{parent}:{index}"  # reserved: Batch's value always
        assert env["AWS_BATCH_JOB_ATTEMPT"] == "1"
        assert env["AWS_BATCH_JQ_NAME"] == "demo-queue"
        assert env["AWS_BATCH_CE_NAME"] == "demo-ce"
        assert env["AWS_BATCH_JOB_ARRAY_INDEX"] == str(index)
        assert env["AWS_BATCH_JOB_ARRAY_SIZE"] == "2"


def test_patch_job_environment_accumulates_on_every_read(fake_docker: FakeDocker) -> None:
    create_queue()
    overrides = {"environment": [{"name": "SHARED", "value": "submit"}]}

    def sizes(job_id: str) -> list[int]:
        return [len(describe(job_id)["container"]["environment"]) for _ in range(3)]

    with moto_adapter.API_PATCHES.without("patch_job_environment_accumulates_on_every_read"):
        job_id = submit(containerOverrides=overrides)
        wait_for(job_id, {"SUCCEEDED"})
        growing = sizes(job_id)
        assert growing[0] < growing[1] < growing[2]

    job_id = submit(containerOverrides=overrides)
    wait_for(job_id, {"SUCCEEDED"})
    assert sizes(job_id) == [3, 3, 3]
    environment = {entry["name"]: entry["value"] for entry in describe(job_id)["container"]["environment"]}
    assert environment == {"SHARED": "submit", "FROM_DEFINITION": "definition", "AWS_BATCH_JOB_ID": job_id}


def test_image_comes_from_the_registry_and_nothing_else_is_pulled(
    fake_docker: FakeDocker, monkeypatch: pytest.MonkeyPatch
) -> None:
    create_queue()
    fake_docker.local_images.clear()

    job = wait_for(submit(), {"SUCCEEDED", "FAILED"})
    assert job["status"] == "FAILED"
    # AWS: the job "Task failed to start"; the pull error is the attempt's container reason (what onReason matches).
    assert job["statusReason"] == registry.STATUS_REASON
    reason = job["attempts"][-1]["container"]["reason"]
    assert reason.startswith(f"CannotPullContainerError: image {IMAGE} is not in the local Docker engine")
    assert fake_docker.pulled == [] and fake_docker.launched == []

    # What the registry says is the reason AWS gives; the attempt fails before any container exists.
    def unpushed(image: str) -> str:
        raise registry.ImagePullError(f"CannotPullContainerError: {image}: not found")

    fake_docker.local_images.add(IMAGE)
    monkeypatch.setattr(registry, "image_for_job", unpushed)
    job = wait_for(submit(), {"SUCCEEDED", "FAILED"})
    assert (job["status"], job["statusReason"]) == ("FAILED", registry.STATUS_REASON)
    assert job["attempts"][-1]["container"]["reason"] == f"CannotPullContainerError: {IMAGE}: not found"
    assert fake_docker.launched == []

    # The reference the registry gives is the one the engine runs.
    fake_docker.local_images.add("127.0.0.1:5000/demo:helloworld")
    monkeypatch.setattr(registry, "image_for_job", lambda image: "127.0.0.1:5000/demo:helloworld")
    assert wait_for(submit(), {"SUCCEEDED", "FAILED"})["status"] == "SUCCEEDED"
    assert [launch["image"] for launch in fake_docker.launched] == ["127.0.0.1:5000/demo:helloworld"]
    assert fake_docker.pulled == []


def test_job_log_configuration_ignored(fake_docker: FakeDocker) -> None:
    logs = client("logs")
    logs.create_log_group(logGroupName="/demo/jobs")
    create_queue({"LogDriver": "awslogs", "Options": {"awslogs-group": "/demo/jobs", "awslogs-stream-prefix": "hello"}})

    with SWITCHES.without("job_log_configuration_ignored"):
        job_id = submit()
        wait_for(job_id, {"SUCCEEDED"})
        assert logs.describe_log_streams(logGroupName="/demo/jobs")["logStreams"] == []

    fake_docker.release.clear()
    job_id = submit()
    running = wait_for(job_id, {"RUNNING"})
    stream = running["container"]["logStreamName"]
    assert stream.startswith("hello/default/")
    assert len(stream.rsplit("/", 1)[1]) == 32  # an ECS task id
    assert [s["logStreamName"] for s in logs.describe_log_streams(logGroupName="/demo/jobs")["logStreams"]] == [stream]

    fake_docker.release.set()
    finished = wait_for(job_id, {"SUCCEEDED"})
    assert finished["container"]["logStreamName"] == stream
    assert finished["attempts"][0]["container"]["logStreamName"] == stream
    messages = [
        event["message"] for event in logs.get_log_events(logGroupName="/demo/jobs", logStreamName=stream)["events"]
    ]
    assert messages[0] == "job output"
    assert f"AWS_BATCH_JOB_ID={job_id}" in messages


def test_job_log_configuration_defaults_follow_aws(fake_docker: FakeDocker) -> None:
    create_queue()
    job = wait_for(submit(), {"SUCCEEDED"})
    stream = job["container"]["logStreamName"]
    assert stream.startswith("demo-job/default/")
    events = client("logs").get_log_events(logGroupName="/aws/batch/job", logStreamName=stream)["events"]
    assert events[0]["message"] == "job output"


def test_job_logs_arrive_only_when_job_ends(fake_docker: FakeDocker) -> None:
    create_queue()
    logs = client("logs")

    def messages(stream: str) -> list[str]:
        events = logs.get_log_events(logGroupName="/aws/batch/job", logStreamName=stream)["events"]
        return [event["message"] for event in events]

    fake_docker.release.clear()
    with SWITCHES.without("job_logs_arrive_only_when_job_ends"):
        job_id = submit()
        stream = wait_for(job_id, {"RUNNING"})["container"]["logStreamName"]
        time.sleep(1.5)
        assert messages(stream) == []
        fake_docker.release.set()
        wait_for(job_id, {"SUCCEEDED"})

    fake_docker.release.clear()
    job_id = submit()
    stream = wait_for(job_id, {"RUNNING"})["container"]["logStreamName"]
    deadline = time.monotonic() + 10
    while not messages(stream):
        assert time.monotonic() < deadline, "no log line arrived while the job was running"
        time.sleep(0.1)
    assert describe(job_id)["status"] == "RUNNING"
    assert messages(stream)[0] == "job output"

    fake_docker.release.set()
    wait_for(job_id, {"SUCCEEDED"})
    assert messages(stream) == fake_docker.containers_started[-1].output  # every line once


def test_array_job_parent_never_fails(fake_docker: FakeDocker) -> None:
    create_queue()
    fake_docker.exit_code = lambda kwargs: 1 if kwargs["name"].endswith("-1") else 0

    with SWITCHES.without("array_job_parent_never_fails"):
        parent = submit(arrayProperties={"size": 2})
        wait_for_children(parent, 2)
        assert describe(parent)["status"] == "SUBMITTED"

    parent = submit(arrayProperties={"size": 2})
    wait_for_children(parent, 2)
    job = describe(parent)
    assert job["status"] == "FAILED"
    assert job["arrayProperties"]["statusSummary"]["FAILED"] == 1
    assert "stoppedAt" in job
    listed = client("batch").list_jobs(jobQueue="demo-queue", jobStatus="FAILED")["jobSummaryList"]
    assert parent in [summary["jobId"] for summary in listed]

    fake_docker.exit_code = lambda kwargs: 0
    parent = submit(arrayProperties={"size": 2})
    wait_for_children(parent, 2)
    assert describe(parent)["status"] == "SUCCEEDED"


def test_patch_job_exit_code_missing_from_describe_jobs(fake_docker: FakeDocker) -> None:
    create_queue()
    fake_docker.exit_code = lambda kwargs: 3

    with moto_adapter.API_PATCHES.without("patch_job_exit_code_missing_from_describe_jobs"):
        job = wait_for(submit(), {"SUCCEEDED", "FAILED"})
        assert job["status"] == "FAILED"
        assert "exitCode" not in job["container"]

    job = wait_for(submit(), {"SUCCEEDED", "FAILED"})
    assert job["status"] == "FAILED"
    assert job["container"]["exitCode"] == 3
    assert job["attempts"][-1]["container"]["exitCode"] == 3


def test_patch_job_container_lacks_resources_and_image(fake_docker: FakeDocker) -> None:
    create_queue()
    overrides = {"resourceRequirements": [{"type": "VCPU", "value": "2"}, {"type": "MEMORY", "value": "768"}]}

    with moto_adapter.API_PATCHES.without("patch_job_container_lacks_resources_and_image"):
        job = wait_for(submit(containerOverrides=overrides), {"SUCCEEDED", "FAILED"})
        assert "resourceRequirements" not in job["container"]
        assert "image" not in job["container"]

    job = wait_for(submit(containerOverrides=overrides), {"SUCCEEDED", "FAILED"})
    assert job["container"]["resourceRequirements"] == overrides["resourceRequirements"]
    assert job["container"]["image"] == IMAGE
