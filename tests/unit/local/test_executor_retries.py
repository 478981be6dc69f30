"""The executor ends attempts as AWS Batch does: retries, timeouts, cancel, terminate, Spot interruptions."""

from __future__ import annotations

import re
import threading
import time
from typing import Any

import pytest
from tests.unit.local.fakes import (
    TERMINAL,
    FakeDocker,
    backend_job,
    client,
    deploy_jobs_stack,
    describe,
    exit_codes,
    interval,
    only_container,
    queue_behind_blocker,
    submit_named,
    wait_for,
    wait_for_all,
    wait_until,
    wait_until_queued,
)

from batchctl.local import interruption, retries
from batchctl.local.behaviours import SWITCHES
from batchctl.local.job_state import state_of

pytestmark = pytest.mark.usefixtures("patched")


def test_job_retry_strategy_ignored(fast_jobs: FakeDocker) -> None:
    deploy_jobs_stack(retry_strategy={"Attempts": 3})
    fast_jobs.exit_code = lambda kwargs: 0 if kwargs["environment"]["AWS_BATCH_JOB_ATTEMPT"] == "3" else 3

    with SWITCHES.without("job_retry_strategy_ignored"):
        job = wait_for(submit_named("flaky"), TERMINAL)
        assert (job["status"], exit_codes(job)) == ("FAILED", [3])

    job_id = submit_named("flaky")
    job = wait_for(job_id, TERMINAL)
    assert (job["status"], exit_codes(job)) == ("SUCCEEDED", [3, 3, 0])
    assert [
        container.kwargs["environment"]["AWS_BATCH_JOB_ATTEMPT"] for container in fast_jobs.containers_of(job_id)
    ] == [
        "1",
        "2",
        "3",
    ]
    assert [attempt["statusReason"] for attempt in job["attempts"]] == ["Essential container in task exited"] * 3
    for earlier, later in zip(job["attempts"], job["attempts"][1:], strict=False):
        assert later["startedAt"] >= earlier["stoppedAt"] >= earlier["startedAt"]

    # Each attempt logs to a stream of its own.
    streams = [attempt["container"]["logStreamName"] for attempt in job["attempts"]]
    assert len(set(streams)) == 3
    assert job["container"]["logStreamName"] == streams[-1]
    logs = client("logs")
    for number, stream in enumerate(streams, start=1):
        events = logs.get_log_events(logGroupName="/aws/batch/job", logStreamName=stream)["events"]
        assert f"AWS_BATCH_JOB_ATTEMPT={number}" in [event["message"] for event in events]


def test_submitted_retry_strategy_replaces_the_definitions(fast_jobs: FakeDocker) -> None:
    deploy_jobs_stack(retry_strategy={"Attempts": 3})
    fast_jobs.exit_code = lambda kwargs: int(kwargs["environment"]["EXIT_CODE"])

    def run(exit_code: int, strategy: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        overrides = {"environment": [{"name": "EXIT_CODE", "value": str(exit_code)}]}
        job_id = submit_named("job", containerOverrides=overrides, retryStrategy=strategy, **kwargs)
        return wait_for(job_id, TERMINAL)

    assert exit_codes(run(3, {"attempts": 1})) == [3]
    exit_rule = {"attempts": 3, "evaluateOnExit": [{"onExitCode": "3", "action": "EXIT"}]}
    assert exit_codes(run(3, exit_rule)) == [3]
    assert exit_codes(run(4, exit_rule)) == [4, 4, 4]  # no rule matches: retried
    prefix_rules = {
        "attempts": 2,
        "evaluateOnExit": [{"onExitCode": "4*", "action": "retry"}, {"onReason": "*", "action": "exit"}],
    }
    assert exit_codes(run(42, prefix_rules)) == [42, 42]
    assert exit_codes(run(3, prefix_rules)) == [3]

    parent = submit_named(
        "array",
        arrayProperties={"size": 2},
        retryStrategy={"attempts": 2},
        containerOverrides={"environment": [{"name": "EXIT_CODE", "value": "5"}]},
    )
    children = wait_for_all([f"{parent}:0", f"{parent}:1"])
    assert [exit_codes(child) for child in children] == [[5, 5], [5, 5]]
    assert describe(parent)["status"] == "FAILED"


@pytest.mark.parametrize(
    ("rules", "exit_code", "reason", "status_reason", "action"),
    [
        ([], 1, "", "", "RETRY"),
        ([{"onExitCode": "1", "action": "exit"}], 1, "", "", "EXIT"),
        ([{"onExitCode": "1", "action": "EXIT"}], 10, "", "", "RETRY"),
        ([{"onExitCode": "1*", "action": "EXIT"}], 10, "", "", "EXIT"),
        ([{"onStatusReason": "Host EC2*", "action": "RETRY"}, {"onReason": "*", "action": "EXIT"}], 1, "", "x", "EXIT"),
        (
            [{"onStatusReason": "Host EC2*", "action": "RETRY"}, {"onReason": "*", "action": "EXIT"}],
            143,
            "",
            "Host EC2 (instance i-0123456789abcdef0) terminated.",
            "RETRY",
        ),
        (
            [{"onReason": "CannotPullContainerError:*", "action": "EXIT"}],
            None,
            "CannotPullContainerError: x",
            "",
            "EXIT",
        ),
        ([{"onExitCode": "1", "onStatusReason": "other", "action": "EXIT"}], 1, "", "Essential", "RETRY"),
    ],
)
def test_evaluate_on_exit_first_matching_rule_decides(
    rules: list[dict[str, str]], exit_code: int | None, reason: str, status_reason: str, action: str
) -> None:
    assert retries.exit_action(rules, exit_code, reason, status_reason) == action


def test_container_exit_has_no_status_reason(fast_jobs: FakeDocker) -> None:
    deploy_jobs_stack()
    with SWITCHES.without("container_exit_has_no_status_reason"):
        job = wait_for(submit_named("done"), TERMINAL)
        assert "statusReason" not in job

    job = wait_for(submit_named("done"), TERMINAL)
    assert job["statusReason"] == job["attempts"][0]["statusReason"] == "Essential container in task exited"


def test_job_timeout_fails_without_reason(fast_jobs: FakeDocker) -> None:
    deploy_jobs_stack(max_vcpus=1, retry_strategy={"Attempts": 2})
    gate = fast_jobs.gates["blocker"] = threading.Event()
    fast_jobs.gates["forever"] = threading.Event()

    def timed_out_after_queueing() -> dict[str, Any]:
        blocker = submit_named("blocker", gate="blocker")
        wait_for(blocker, {"RUNNING"})
        slow = submit_named("slow", gate="forever", timeout={"attemptDurationSeconds": 1})
        wait_until_queued(slow)
        time.sleep(1.2)  # longer in the queue than the timeout: only time running counts
        gate.set()
        job = wait_for(slow, TERMINAL, timeout=20)
        gate.clear()
        return job

    with SWITCHES.without("job_timeout_fails_without_reason"):
        job = timed_out_after_queueing()
        assert job["status"] == "FAILED"
        assert "statusReason" not in job
        assert len(job["attempts"]) == 2  # retried

    job = timed_out_after_queueing()
    assert (job["status"], job["statusReason"]) == ("FAILED", "Job attempt duration exceeded timeout")
    (attempt,) = job["attempts"]  # a timed-out job is not retried
    assert attempt["statusReason"] == "Job attempt duration exceeded timeout"
    container = only_container(fast_jobs, job["jobId"])
    assert container.signals == ["SIGTERM"]
    started, stopped = interval(container)
    assert 1.0 <= stopped - started < 5


def test_cancelled_job_still_starts(fast_jobs: FakeDocker) -> None:
    deploy_jobs_stack(max_vcpus=1)
    gate = fast_jobs.gates["blocker"] = threading.Event()
    batch = client("batch")

    with SWITCHES.without("cancelled_job_still_starts"):
        blocker, queued = queue_behind_blocker()
        batch.cancel_job(jobId=queued, reason="not needed")
        assert wait_for(queued, TERMINAL)["status"] == "FAILED"
        assert fast_jobs.containers_of(queued) != []  # started, then killed
        gate.set()
        wait_for(blocker, TERMINAL)

    gate.clear()
    blocker, queued = queue_behind_blocker()
    pending = submit_named("pending", dependsOn=[{"jobId": blocker}])
    wait_for(pending, {"PENDING"})
    batch.cancel_job(jobId=queued, reason="not needed")
    batch.terminate_job(jobId=pending, reason="not wanted")  # a job that has not started is cancelled
    for job_id, reason in ((queued, "not needed"), (pending, "not wanted")):
        job = describe(job_id)  # at once, not when capacity frees
        assert (job["status"], job["statusReason"], job["attempts"]) == ("FAILED", reason, [])
        assert job.get("startedAt", 0) < 86_400_000  # moto's "never": 1 January 1970
    gate.set()
    assert wait_for(blocker, TERMINAL)["status"] == "SUCCEEDED"
    assert fast_jobs.containers_of(queued) == fast_jobs.containers_of(pending) == []


def test_array_job_cancel_ignores_children(fast_jobs: FakeDocker) -> None:
    deploy_jobs_stack(max_vcpus=1)
    gate = fast_jobs.gates["hold"] = threading.Event()
    batch = client("batch")

    def array_with_one_running_child() -> str:
        parent = submit_named("array", gate="hold", arrayProperties={"size": 3})
        wait_until(
            lambda: sum(describe(f"{parent}:{index}")["status"] == "RUNNING" for index in range(3)) == 1,
            "one child runs",
        )
        return parent

    with SWITCHES.without("array_job_cancel_ignores_children"):
        parent = array_with_one_running_child()
        batch.cancel_job(jobId=parent, reason="stop the array")
        gate.set()
        children = wait_for_all([f"{parent}:{index}" for index in range(3)])
        assert [child["status"] for child in children] == ["SUCCEEDED"] * 3

    gate.clear()
    parent = array_with_one_running_child()
    batch.cancel_job(jobId=parent, reason="stop the array")
    statuses = {index: describe(f"{parent}:{index}") for index in range(3)}
    running = [index for index, child in statuses.items() if child["status"] == "RUNNING"]
    assert len(running) == 1  # cancelling leaves a started child alone
    for index, child in statuses.items():
        if index not in running:
            assert (child["status"], child["statusReason"]) == ("FAILED", "stop the array")
            assert fast_jobs.containers_of(f"{parent}:{index}") == []

    batch.terminate_job(jobId=parent, reason="stop it all")
    child = wait_for(f"{parent}:{running[0]}", TERMINAL)
    assert (child["status"], child["statusReason"]) == ("FAILED", "stop it all")
    assert only_container(fast_jobs, f"{parent}:{running[0]}").signals == ["SIGTERM"]
    assert describe(parent)["status"] == "FAILED"


# --- Spot interruptions -------------------------------------------------------------------------------------------

SPOT_RULES = {
    "Attempts": 2,
    "EvaluateOnExit": [{"Action": "RETRY", "OnStatusReason": "Host EC2*"}, {"Action": "EXIT", "OnReason": "*"}],
}


def running_with_container(job_id: str) -> None:
    wait_for(job_id, {"RUNNING"})
    wait_until(lambda: state_of(backend_job(job_id)).container is not None, f"{job_id} has a container")


def test_interrupt_fails_the_attempt_as_a_spot_reclaim_and_the_retry_rule_applies(fast_jobs: FakeDocker) -> None:
    deploy_jobs_stack(retry_strategy=SPOT_RULES)
    gate = fast_jobs.gates["hold"] = threading.Event()
    job_id = submit_named("reclaimed", gate="hold")
    running_with_container(job_id)

    result = interruption.interrupt(job_id)
    assert re.fullmatch(r"Host EC2 \(instance i-[0-9a-f]{17}\) terminated\.", result.status_reason)
    wait_until(lambda: len(fast_jobs.containers_of(job_id)) == 2, "the second attempt starts")
    gate.set()
    job = wait_for(job_id, TERMINAL)
    assert job["status"] == "SUCCEEDED"
    first, second = job["attempts"]
    assert (first["statusReason"], first["container"]["exitCode"]) == (result.status_reason, 143)
    assert second["container"]["exitCode"] == 0
    assert fast_jobs.containers_of(job_id)[0].signals == ["SIGTERM"]

    # The same rules end a job that fails on its own: EXIT on any other reason.
    fast_jobs.exit_code = lambda kwargs: 3
    job = wait_for(submit_named("broken"), TERMINAL)
    assert (job["status"], exit_codes(job)) == ("FAILED", [3])


def test_interrupt_refuses_jobs_that_are_not_running(fast_jobs: FakeDocker) -> None:
    deploy_jobs_stack(max_vcpus=1)
    gate = fast_jobs.gates["hold"] = threading.Event()
    with pytest.raises(interruption.JobNotFoundError, match="job nope not found"):
        interruption.interrupt("nope")

    parent = submit_named("array", gate="hold", arrayProperties={"size": 2})
    running_with_container(f"{parent}:0")
    wait_until_queued(f"{parent}:1")
    with pytest.raises(interruption.JobNotRunningError, match="is an array job"):
        interruption.interrupt(parent)
    with pytest.raises(interruption.JobNotRunningError, match="is RUNNABLE, not RUNNING"):
        interruption.interrupt(f"{parent}:1")
    gate.set()
    wait_for_all([f"{parent}:0", f"{parent}:1"])
    with pytest.raises(interruption.JobNotRunningError, match="is SUCCEEDED, not RUNNING"):
        interruption.interrupt(f"{parent}:0")


def test_cancelled_terminated_and_never_run_jobs_are_not_retried(fast_jobs: FakeDocker) -> None:
    deploy_jobs_stack(max_vcpus=1, retry_strategy={"Attempts": 3})
    gate = fast_jobs.gates["hold"] = threading.Event()
    fast_jobs.exit_code = lambda kwargs: 1 if kwargs["name"].startswith("doomed-") else 0
    batch = client("batch")

    running = submit_named("running", gate="hold")
    wait_for(running, {"RUNNING"})
    queued = submit_named("queued")
    wait_until_queued(queued)
    batch.cancel_job(jobId=queued, reason="cancelled")
    batch.terminate_job(jobId=running, reason="terminated")
    assert [len(wait_for(job_id, TERMINAL)["attempts"]) for job_id in (running, queued)] == [1, 0]

    gate.set()
    doomed = submit_named("doomed")
    after = submit_named("after", dependsOn=[{"jobId": doomed}])
    assert exit_codes(wait_for(doomed, TERMINAL)) == [1, 1, 1]
    assert wait_for(after, TERMINAL)["attempts"] == []
