"""The executor fails and blocks jobs where AWS Batch does: resource limits, out of memory, jobs that can never be
placed, time-limit actions, terminate grace, fair share."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from tests.unit.local.fakes import (
    TERMINAL,
    FakeDocker,
    client,
    deploy_jobs_stack,
    describe,
    exit_codes,
    only_container,
    submit_named,
    wait_for,
    wait_for_all,
    wait_until,
)

from batchctl.local import attempts, executor, scheduler
from batchctl.local.behaviours import SWITCHES

pytestmark = pytest.mark.usefixtures("patched")

MIB = 1024 * 1024
OOM_RULES = {
    "attempts": 2,
    "evaluateOnExit": [{"onStatusReason": "OutOfMemoryError*", "action": "RETRY"}, {"onReason": "*", "action": "EXIT"}],
}


def resources(vcpus: float | None = None, memory: int | None = None, gpus: int | None = None) -> dict[str, Any]:
    requirements = [
        {"type": kind, "value": str(value)}
        for kind, value in (("VCPU", vcpus), ("MEMORY", memory), ("GPU", gpus))
        if value is not None
    ]
    return {"resourceRequirements": requirements}


def test_job_resources_are_not_limits(fast_jobs: FakeDocker) -> None:
    deploy_jobs_stack()
    with SWITCHES.without("job_resources_are_not_limits"):
        wait_for(submit_named("free", containerOverrides=resources(2, 256)), TERMINAL)
        assert "mem_limit" not in fast_jobs.launched[-1] and "nano_cpus" not in fast_jobs.launched[-1]

    wait_for(submit_named("bounded", containerOverrides=resources(2, 256)), TERMINAL)
    launch = fast_jobs.launched[-1]
    assert (launch["mem_limit"], launch["memswap_limit"], launch["nano_cpus"]) == (256 * MIB, 256 * MIB, 2 * 10**9)

    # Killed at its limit: exit 137 and AWS's reason, which retry rules match.
    fast_jobs.out_of_memory = lambda kwargs: kwargs["environment"]["AWS_BATCH_JOB_ATTEMPT"] == "1"
    job = wait_for(submit_named("hungry", containerOverrides=resources(1, 256), retryStrategy=OOM_RULES), TERMINAL)
    assert job["status"] == "SUCCEEDED"
    first, second = job["attempts"]
    assert (first["statusReason"], first["container"]["exitCode"]) == (attempts.OUT_OF_MEMORY, 137)
    assert first["container"]["reason"] == attempts.OUT_OF_MEMORY
    assert second["container"]["exitCode"] == 0

    fast_jobs.out_of_memory = lambda kwargs: True
    job = wait_for(
        submit_named("greedy", containerOverrides=resources(1, 256), retryStrategy={"attempts": 1}), TERMINAL
    )
    assert (job["status"], job["statusReason"], exit_codes(job)) == ("FAILED", attempts.OUT_OF_MEMORY, [137])


def test_runnable_job_never_says_why(fast_jobs: FakeDocker, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(scheduler.MACHINE_GPUS_ENV, "0")
    deploy_jobs_stack(max_vcpus=16)
    batch = client("batch")

    with SWITCHES.without("runnable_job_never_says_why"):
        wide = submit_named("wide", containerOverrides=resources(vcpus=64))
        wait_until(lambda: describe(wide)["status"] == "RUNNABLE", "the job is RUNNABLE")
        executor_steps = 10
        for _ in range(executor_steps):
            assert "statusReason" not in describe(wide)
        batch.cancel_job(jobId=wide, reason="done")

    wide = submit_named("wide", containerOverrides=resources(vcpus=64))
    gpu = submit_named("gpu", containerOverrides=resources(gpus=1))
    wait_until(lambda: "statusReason" in describe(wide) and "statusReason" in describe(gpu), "reasons are given")
    assert (describe(wide)["status"], describe(wide)["statusReason"]) == (
        "RUNNABLE",
        "MISCONFIGURATION:COMPUTE_ENVIRONMENT_MAX_RESOURCE - CE(s) associated with the job queue cannot meet the CPU "
        "requirement of the job.",
    )
    assert describe(gpu)["statusReason"] == (
        "MISCONFIGURATION:JOB_RESOURCE_REQUIREMENT - The job resource requirement (GPU) is higher than that can be "
        "met by the CE(s) attached to the job queue."
    )
    listed = batch.list_jobs(jobQueue="demo-queue", jobStatus="RUNNABLE")["jobSummaryList"]
    assert {summary["jobId"]: summary["statusReason"][:30] for summary in listed} == {
        wide: "MISCONFIGURATION:COMPUTE_ENVIR",
        gpu: "MISCONFIGURATION:JOB_RESOURCE_",
    }
    assert fast_jobs.containers_of(wide) == []

    # The queue's time-limit action cancels a job blocked with its reason (time scaled: 600 s -> 0.6 s).
    monkeypatch.setenv(executor.TIME_LIMIT_SCALE_ENV, "0.001")
    batch.update_job_queue(
        jobQueue="demo-queue",
        jobStateTimeLimitActions=[
            {
                "reason": "MISCONFIGURATION:COMPUTE_ENVIRONMENT_MAX_RESOURCE",
                "state": "RUNNABLE",
                "maxTimeSeconds": 600,
                "action": "CANCEL",
            }
        ],
    )
    job = wait_for(wide, TERMINAL)
    assert (job["status"], job["statusReason"]) == (
        "FAILED",
        "Canceled by JobStateTimeLimit action due to reason: MISCONFIGURATION:COMPUTE_ENVIRONMENT_MAX_RESOURCE",
    )
    assert job["attempts"] == []
    assert describe(gpu)["status"] == "RUNNABLE"  # another reason: the action does not apply
    batch.cancel_job(jobId=gpu, reason="done")


def test_capacity_reason_when_the_machine_is_full(fast_jobs: FakeDocker, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(scheduler.MACHINE_VCPUS_ENV, "1")
    deploy_jobs_stack(max_vcpus=4)
    gate = fast_jobs.gates["hold"] = threading.Event()
    blocker = submit_named("blocker", gate="hold")
    wait_for(blocker, {"RUNNING"})
    queued = submit_named("queued")
    wait_until(lambda: "statusReason" in describe(queued), "the capacity reason")
    assert describe(queued)["statusReason"] == (
        "CAPACITY:INSUFFICIENT_INSTANCE_CAPACITY - Service cannot fulfill the capacity requested for instance type "
        "[optimal]"
    )
    snapshot = client("batch").get_job_queue_snapshot(jobQueue="demo-queue")["frontOfQueue"]
    assert [entry["jobArn"] for entry in snapshot["jobs"]] == [describe(queued)["jobArn"]]
    gate.set()
    job = wait_for(queued, TERMINAL)
    assert (job["status"], job["statusReason"]) == ("SUCCEEDED", "Essential container in task exited")


def test_terminate_kills_at_once(fast_jobs: FakeDocker, monkeypatch: pytest.MonkeyPatch) -> None:
    deploy_jobs_stack()
    fast_jobs.gates["hold"] = threading.Event()
    batch = client("batch")

    def terminated() -> Any:
        job_id = submit_named("running", gate="hold")
        wait_until(lambda: fast_jobs.containers_of(job_id) != [], "its container runs")
        batch.terminate_job(jobId=job_id, reason="stop")
        job = wait_for(job_id, TERMINAL)
        assert (job["status"], job["statusReason"]) == ("FAILED", "stop")
        return only_container(fast_jobs, job_id)

    with SWITCHES.without("terminate_kills_at_once"):
        assert terminated().signals == ["SIGKILL"]

    container = terminated()
    assert (container.signals, container.stop_timeouts) == (["SIGTERM"], [30])
    monkeypatch.setenv(attempts.STOP_GRACE_ENV, "3")  # local only: a shorter grace for tests
    assert terminated().stop_timeouts == [3]


def _fair_share_start_order(fast_jobs: FakeDocker) -> list[str]:
    """maxvCpus 2: blueA (share blue) runs, a filler from another queue holds the second vCPU while blue1, blue2
    (schedulingPriority 5) and red1 queue in the fair-share queue; then the filler ends."""
    batch = client("batch")
    gates = {name: fast_jobs.gates.setdefault(name, threading.Event()) for name in ("blue", "filler")}
    for gate in gates.values():
        gate.clear()
    blue_a = submit_named("blueA", queue="fair", gate="blue", shareIdentifier="blue")
    wait_for(blue_a, {"RUNNING"})
    filler = submit_named("filler", gate="filler")
    wait_for(filler, {"RUNNING"})
    jobs = {
        "blue1": submit_named("blue1", queue="fair", shareIdentifier="blue"),
        "blue2": submit_named("blue2", queue="fair", shareIdentifier="blue", schedulingPriorityOverride=5),
        "red1": submit_named("red1", queue="fair", shareIdentifier="red"),
    }
    for job_id in jobs.values():
        wait_until(lambda job_id=job_id: scheduler.waiting_for_capacity(_job(job_id)), "queued")
    gates["filler"].set()
    wait_for_all(list(jobs.values()))
    gates["blue"].set()
    wait_for_all([blue_a, filler])
    started = {name: only_container(fast_jobs, job_id).started for name, job_id in jobs.items()}
    batch.list_jobs(jobQueue="fair")
    return sorted(started, key=started.__getitem__)


def _job(job_id: str) -> Any:
    from tests.unit.local.fakes import backend_job

    return backend_job(job_id)


def test_fair_share_policy_ignored(fast_jobs: FakeDocker) -> None:
    deploy_jobs_stack(max_vcpus=2)
    batch = client("batch")
    policy = batch.create_scheduling_policy(
        name="shares",
        fairsharePolicy={
            "shareDistribution": [{"shareIdentifier": "blue", "weightFactor": 1.0}, {"shareIdentifier": "r*"}]
        },
    )
    environment = batch.describe_compute_environments()["computeEnvironments"][0]["computeEnvironmentArn"]
    batch.create_job_queue(
        jobQueueName="fair",
        state="ENABLED",
        priority=1,
        schedulingPolicyArn=policy["arn"],
        computeEnvironmentOrder=[{"order": 1, "computeEnvironment": environment}],
    )

    with SWITCHES.without("fair_share_policy_ignored"):
        assert _fair_share_start_order(fast_jobs) == ["blue1", "blue2", "red1"]  # submission order

    # red uses nothing while blue runs blueA: red first; then blue by schedulingPriority.
    assert _fair_share_start_order(fast_jobs) == ["red1", "blue2", "blue1"]


def _queue_job(memory: int, instance_types: list[str], vcpus: int = 1, max_vcpus: int = 16) -> Any:
    from types import SimpleNamespace

    environment = SimpleNamespace(
        state="ENABLED", compute_resources={"maxvCpus": max_vcpus, "instanceTypes": instance_types}
    )
    definition = SimpleNamespace(container_properties={"resourceRequirements": [
        {"type": "VCPU", "value": str(vcpus)}, {"type": "MEMORY", "value": str(memory)}]})  # fmt: skip
    return SimpleNamespace(
        job_queue=SimpleNamespace(environments=[environment]), job_definition=definition, container_overrides={}
    )


def test_memory_beyond_the_largest_instance_type_is_a_job_resource_requirement() -> None:
    # m6i.2xlarge: 8 vCPUs, 32 GiB.
    assert scheduler.never_placeable_reason(_queue_job(32768, ["m6i.2xlarge"])) is None
    assert scheduler.never_placeable_reason(_queue_job(32769, ["m6i.2xlarge"])) == (
        "MISCONFIGURATION:JOB_RESOURCE_REQUIREMENT - The job resource requirement (memory) is higher than that can "
        "be met by the CE(s) attached to the job queue."
    )
    assert scheduler.never_placeable_reason(_queue_job(32769, ["m6i.2xlarge", "r6i.4xlarge"])) is None
    assert scheduler.never_placeable_reason(_queue_job(10**6, ["optimal"])) is None  # unknown sizes: no verdict
    assert scheduler.never_placeable_reason(_queue_job(512, ["optimal"], vcpus=17)) == (
        scheduler.COMPUTE_ENVIRONMENT_MAX_RESOURCE
    )
