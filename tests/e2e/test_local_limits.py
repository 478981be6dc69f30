"""Local jobs fail and block where AWS jobs do, with real containers: the memory limit and its out-of-memory kill,
a job larger than every environment of its queue and the queue's time-limit action, the front of a queue blocked
for capacity, array cancel and terminate, and terminate's SIGTERM grace.

This module starts its own emulator with ``BATCHCTL_LOCAL_TIME_LIMIT_SCALE=0.01`` (a time-limit action's 600 s
take 6 s). Job definitions run ``debian:bookworm-slim`` directly (no runner in between, so signals reach the job's
own script) and write marker files to a host directory mounted at ``/out``. Every scenario is submitted at once;
the terminate grace (AWS's 30 s) sets the module's duration.

In CI (CI=true) a missing Docker engine or base image fails these tests; elsewhere they are skipped.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore import xform_name
from tests.emulator_fixtures import BASE_IMAGE, Emulator, batchctl_home, free_port, require_image
from tests.helpers import capture_cli, write_yaml

from batchctl.local import executor, process

pytestmark = [pytest.mark.e2e, pytest.mark.requires_docker]

CLUSTER = "limits"
CONFIG: dict[str, Any] = {
    "name": CLUSTER,
    "region": "us-east-1",
    "compute_environments": [
        {"name": "sixteen", "type": "SPOT", "max_vcpus": 16},
        {"name": "solo", "type": "SPOT", "max_vcpus": 1},
    ],
    "queues": [
        {"name": "main", "compute_environments": ["sixteen"], "runnable_timeout_minutes": 10},
        {"name": "solo", "compute_environments": ["solo"]},
    ],
    "job_definitions": [{"name": "unused", "image": "helloworld", "vcpus": 1, "memory": 512}],
}
# What batchctl's runnable_timeout_minutes: 10 asks CloudFormation for (moto's CloudFormation drops it).
TIME_LIMIT_ACTIONS = [
    {"action": "CANCEL", "state": "RUNNABLE", "maxTimeSeconds": 600, "reason": reason}
    for reason in (
        "CAPACITY:INSUFFICIENT_INSTANCE_CAPACITY",
        "MISCONFIGURATION:COMPUTE_ENVIRONMENT_MAX_RESOURCE",
        "MISCONFIGURATION:JOB_RESOURCE_REQUIREMENT",
    )
]

SCRIPT = """
import os, pathlib, signal, sys, time
base = pathlib.Path("/out") / os.environ["AWS_BATCH_JOB_ID"].replace(":", "_")
def mark(name):
    pathlib.Path("%s.%s" % (base, name)).write_text(repr(time.time()))
mode = os.environ["MODE"]
mark("started-%s" % os.environ["AWS_BATCH_JOB_ATTEMPT"])
if mode == "hog":
    hog = b"x" * (600 * 1024 * 1024)
    mark("allocated")
elif mode == "trap":
    signal.signal(signal.SIGTERM, lambda *args: mark("sigterm"))
    while True:
        time.sleep(0.2)
elif mode == "sleep":
    signal.signal(signal.SIGTERM, lambda *args: sys.exit(143))
    time.sleep(600)
"""
OOM_RULES = {
    "attempts": 2,
    "evaluateOnExit": [{"onStatusReason": "OutOfMemoryError*", "action": "RETRY"}, {"onReason": "*", "action": "EXIT"}],
}
OUT_OF_MEMORY = "OutOfMemoryError: Container killed due to memory usage"
GRACE_SECONDS = 30


@pytest.fixture(scope="module")
def emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Emulator]:
    """An emulator of this module's own, started with a time-limit scale (a local-only setting)."""
    require_image(BASE_IMAGE)
    home = tmp_path_factory.mktemp("limits-home")
    previous = os.environ.get(executor.TIME_LIMIT_SCALE_ENV)
    os.environ[executor.TIME_LIMIT_SCALE_ENV] = "0.01"
    try:
        with batchctl_home(home):
            info = process.start(port=free_port(), timeout=60)
            try:
                yield Emulator(endpoint=info.endpoint, port=info.port, home=home, info=info)
            finally:
                process.stop()
    finally:
        if previous is None:
            os.environ.pop(executor.TIME_LIMIT_SCALE_ENV, None)
        else:
            os.environ[executor.TIME_LIMIT_SCALE_ENV] = previous


@pytest.fixture(scope="module")
def cluster(emulator: Emulator, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    workdir = tmp_path_factory.mktemp("limits")
    markers = workdir / "markers"
    markers.mkdir()
    config = write_yaml(workdir / "batchctl.yaml", CONFIG)
    code, _, err = capture_cli(["--local", "-f", str(config), "-o", "json", "deploy", "--yes"])
    assert code == 0, err
    batch = emulator.client("batch")
    queues = {queue["jobQueueName"]: queue for queue in batch.describe_job_queues()["jobQueues"]}
    main = next(name for name in queues if name.endswith("main"))
    solo = next(name for name in queues if name.endswith("solo"))
    batch.update_job_queue(jobQueue=main, jobStateTimeLimitActions=TIME_LIMIT_ACTIONS)
    batch.register_job_definition(
        jobDefinitionName="limits-script",
        type="container",
        containerProperties={
            "image": BASE_IMAGE,
            "command": ["python3", "-c", SCRIPT],
            "resourceRequirements": [{"type": "VCPU", "value": "1"}, {"type": "MEMORY", "value": "256"}],
            "volumes": [{"name": "out", "host": {"sourcePath": str(markers)}}],
            "mountPoints": [{"sourceVolume": "out", "containerPath": "/out", "readOnly": False}],
        },
    )
    return {"batch": batch, "main": main, "solo": solo, "markers": markers, "emulator": emulator}


def submit(cluster: dict[str, Any], name: str, mode: str, queue: str = "main", **kwargs: Any) -> str:
    overrides = kwargs.pop("containerOverrides", {})
    overrides.setdefault("environment", []).append({"name": "MODE", "value": mode})
    response = cluster["batch"].submit_job(
        jobName=name, jobQueue=cluster[queue], jobDefinition="limits-script", containerOverrides=overrides, **kwargs
    )
    return str(response["jobId"])


@pytest.fixture(scope="module")
def jobs(cluster: dict[str, Any]) -> dict[str, str]:
    """Every scenario at once; the terminate grace first, since it takes longest."""
    return {
        "trap": submit(cluster, "trap", "trap"),
        "hog": submit(cluster, "hog", "hog", retryStrategy=OOM_RULES),
        "roomy": submit(
            cluster, "roomy", "hog", containerOverrides={"resourceRequirements": [{"type": "MEMORY", "value": "1024"}]}
        ),
        "wide": submit(
            cluster, "wide", "sleep", containerOverrides={"resourceRequirements": [{"type": "VCPU", "value": "64"}]}
        ),
        "array": submit(cluster, "array", "sleep", queue="solo", arrayProperties={"size": 3}),
    }


def describe(cluster: dict[str, Any], job_id: str) -> dict[str, Any]:
    return dict(cluster["batch"].describe_jobs(jobs=[job_id])["jobs"][0])


def wait_until(what: str, condition: Any, timeout: float = 60, explain: Any = None) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        details = f": {explain()}" if explain is not None and time.monotonic() >= deadline else ""
        assert time.monotonic() < deadline, f"timed out after {timeout} s waiting until {what}{details}"
        time.sleep(0.5)


def statuses(cluster: dict[str, Any], job_ids: list[str]) -> list[tuple[str, str | None, int]]:
    return [
        (job["status"], job.get("statusReason"), len(job["attempts"]))
        for job in (describe(cluster, job_id) for job_id in job_ids)
    ]


def finished(cluster: dict[str, Any], job_id: str, timeout: float = 90) -> dict[str, Any]:
    return dict(
        wait_until(
            f"{job_id} ends",
            lambda: (job := describe(cluster, job_id))["status"] in {"SUCCEEDED", "FAILED"} and job,
            timeout,
        )
    )


def marker(cluster: dict[str, Any], job_id: str, name: str) -> Path:
    return Path(cluster["markers"]) / f"{job_id.replace(':', '_')}.{name}"


def job_containers(job_id: str) -> list[Any]:
    import docker

    client = docker.from_env()
    try:
        return [c for c in client.containers.list(all=True) if job_id.replace(":", "-") in c.name]
    finally:
        client.close()


# --- scenarios ------------------------------------------------------------------------------------------------------


def test_out_of_memory_fails_with_aws_reason_and_is_retried_by_the_rule(
    cluster: dict[str, Any], jobs: dict[str, str]
) -> None:
    job = finished(cluster, jobs["hog"])
    assert (job["status"], job["statusReason"]) == ("FAILED", OUT_OF_MEMORY)
    assert [(a["statusReason"], a["container"]["exitCode"], a["container"]["reason"]) for a in job["attempts"]] == [
        (OUT_OF_MEMORY, 137, OUT_OF_MEMORY)
    ] * 2  # the onStatusReason "OutOfMemoryError*" rule retried the first
    assert marker(cluster, jobs["hog"], "started-2").exists()
    assert not marker(cluster, jobs["hog"], "allocated").exists()

    roomy = finished(cluster, jobs["roomy"])  # the same allocation within a 1024 MiB limit
    assert (roomy["status"], roomy["container"]["exitCode"]) == ("SUCCEEDED", 0)
    assert marker(cluster, jobs["roomy"], "allocated").exists()


def test_a_job_larger_than_its_environments_is_misconfigured_then_cancelled_by_the_time_limit(
    cluster: dict[str, Any], jobs: dict[str, str]
) -> None:
    reason = wait_until("the blocked reason", lambda: describe(cluster, jobs["wide"]).get("statusReason"), timeout=10)
    assert reason == (
        "MISCONFIGURATION:COMPUTE_ENVIRONMENT_MAX_RESOURCE - CE(s) associated with the job queue cannot meet the CPU "
        "requirement of the job."
    )
    job = finished(cluster, jobs["wide"], timeout=30)  # 600 s at the module's scale: 6 s
    assert (job["status"], job["statusReason"], job["attempts"]) == (
        "FAILED",
        "Canceled by JobStateTimeLimit action due to reason: MISCONFIGURATION:COMPUTE_ENVIRONMENT_MAX_RESOURCE",
        [],
    )
    assert job_containers(jobs["wide"]) == []


def test_capacity_bound_children_front_the_queue_and_array_cancel_and_terminate_reach_them(
    cluster: dict[str, Any], jobs: dict[str, str]
) -> None:
    parent = jobs["array"]
    children = [f"{parent}:{index}" for index in range(3)]
    batch = cluster["batch"]
    wait_until(
        "child 0 runs",
        lambda: marker(cluster, children[0], "started-1").exists(),
        timeout=90,
        explain=lambda: statuses(cluster, children),
    )
    front = batch.get_job_queue_snapshot(jobQueue=cluster["solo"])["frontOfQueue"]["jobs"]
    assert [entry["jobArn"] for entry in front] == [describe(cluster, child)["jobArn"] for child in children[1:]]

    batch.cancel_job(jobId=parent, reason="e2e: cancel the array")
    for child in children[1:]:
        job = describe(cluster, child)  # at once, without a container
        assert (job["status"], job["statusReason"], job["attempts"]) == ("FAILED", "e2e: cancel the array", [])
        assert job_containers(child) == []
    assert describe(cluster, children[0])["status"] == "RUNNING"  # a started child runs on

    batch.terminate_job(jobId=parent, reason="e2e: terminate the array")
    job = finished(cluster, children[0], timeout=30)
    assert (job["status"], job["statusReason"], job["container"]["exitCode"]) == (
        "FAILED",
        "e2e: terminate the array",
        143,  # its own SIGTERM handler ended it
    )
    assert describe(cluster, parent)["status"] == "FAILED"
    wait_until("the container is removed", lambda: job_containers(children[0]) == [], timeout=30)


def test_terminate_gives_a_sigterm_trapping_container_its_grace(cluster: dict[str, Any], jobs: dict[str, str]) -> None:
    trap = jobs["trap"]
    wait_until("the trap runs", lambda: marker(cluster, trap, "started-1").exists())
    requested = time.time()
    cluster["batch"].terminate_job(jobId=trap, reason="e2e: terminate")
    sigterm_at = float(wait_until("SIGTERM arrives", lambda: marker(cluster, trap, "sigterm").exists() and
                                  marker(cluster, trap, "sigterm").read_text(), timeout=10))  # fmt: skip
    assert describe(cluster, trap)["status"] == "RUNNING"  # it trapped SIGTERM and runs on
    job = finished(cluster, trap, timeout=GRACE_SECONDS + 30)
    assert (job["status"], job["statusReason"]) == ("FAILED", "e2e: terminate")
    assert job["attempts"][0]["container"]["exitCode"] == 137  # SIGKILL at the end of the grace
    assert sigterm_at - requested < 5
    assert job["stoppedAt"] / 1000 - sigterm_at >= GRACE_SECONDS - 1


def test_queues_and_environments_report_health_as_aws(cluster: dict[str, Any], jobs: dict[str, str]) -> None:
    batch = cluster["batch"]
    assert {queue["statusReason"] for queue in batch.describe_job_queues()["jobQueues"]} == {"JobQueue Healthy"}
    environments = batch.describe_compute_environments()["computeEnvironments"]
    assert {environment["statusReason"] for environment in environments} == {"ComputeEnvironment Healthy"}


def aws_cli(emulator: Emulator, *args: str) -> dict[str, Any]:
    """``aws batch ...`` against the emulator; where awscli is not installed, boto3 with the same parameters."""
    if shutil.which("aws") is None:
        return _as_awscli_would(emulator, *args)
    environment = {**os.environ, "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test",
                   "AWS_DEFAULT_REGION": "us-east-1"}  # fmt: skip
    command = ["aws", "--endpoint-url", emulator.endpoint, "--output", "json", "batch", *args]
    result = subprocess.run(command, capture_output=True, text=True, env=environment, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    return dict(json.loads(result.stdout or "{}"))


def _as_awscli_would(emulator: Emulator, operation: str, *options: str) -> dict[str, Any]:
    """awscli's translation of ``batch OPERATION --kebab-name VALUE ...``: the operation and member names from the
    service model, a JSON value parsed, a single value of a list member wrapped, an integer member converted."""
    client = emulator.client("batch")
    model = client.meta.service_model
    name = next(op for op in model.operation_names if xform_name(op, "-") == operation)
    members = model.operation_model(name).input_shape.members
    by_option = {xform_name(member, "-"): member for member in members}
    parameters: dict[str, Any] = {}
    for option, value in zip(options[::2], options[1::2], strict=True):
        member = by_option[option.removeprefix("--")]
        parameters[member] = _awscli_value(members[member].type_name, value)
    answer = getattr(client, xform_name(name))(**parameters)
    answer.pop("ResponseMetadata", None)
    return dict(json.loads(json.dumps(answer, default=str)))


def _awscli_value(kind: str, value: str) -> Any:
    if kind in {"structure", "map"} or value.startswith(("[", "{")):
        return json.loads(value)
    if kind == "list":
        return [value]
    return int(value) if kind == "integer" else value


def test_awscli_describes_lists_submits_and_cancels(cluster: dict[str, Any], jobs: dict[str, str]) -> None:
    emulator = cluster["emulator"]
    queues = aws_cli(emulator, "describe-job-queues")["jobQueues"]
    assert {queue["jobQueueName"] for queue in queues} >= {cluster["main"], cluster["solo"]}
    listed = aws_cli(emulator, "list-jobs", "--job-queue", cluster["solo"], "--job-status", "FAILED")
    assert [summary["jobId"] for summary in listed["jobSummaryList"]] in ([], [jobs["array"]])
    children = aws_cli(emulator, "list-jobs", "--array-job-id", jobs["array"], "--job-status", "FAILED")
    assert all("arrayProperties" in summary for summary in children["jobSummaryList"])
    submitted = aws_cli(
        emulator, "submit-job", "--job-name", "from-awscli", "--job-queue", cluster["main"],
        "--job-definition", "limits-script", "--container-overrides",
        json.dumps({"environment": [{"name": "MODE", "value": "sleep"}], "resourceRequirements": [
            {"type": "VCPU", "value": "64"}]}),
    )  # fmt: skip
    aws_cli(emulator, "cancel-job", "--job-id", submitted["jobId"], "--reason", "from awscli")
    described = aws_cli(emulator, "describe-jobs", "--jobs", submitted["jobId"])["jobs"][0]
    assert (described["status"], described["statusReason"]) == ("FAILED", "from awscli")
