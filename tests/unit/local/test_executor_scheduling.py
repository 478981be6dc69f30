"""The executor places jobs as AWS Batch does: attempts, capacity and order, dependencies."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from tests.unit.local.fakes import (
    TERMINAL,
    FakeContainer,
    FakeDocker,
    children_containers,
    deploy_jobs_stack,
    describe,
    interval,
    max_overlap,
    only_container,
    queue_behind_blocker,
    submit_named,
    wait_for,
    wait_for_all,
    wait_until_queued,
)

from batchctl.local import executor, scheduler
from batchctl.local.behaviours import SWITCHES

pytestmark = pytest.mark.usefixtures("patched")


def test_job_attempt_recorded_when_runnable(fast_jobs: FakeDocker) -> None:
    deploy_jobs_stack(max_vcpus=1)
    gate = fast_jobs.gates["blocker"] = threading.Event()

    with SWITCHES.without("job_attempt_recorded_when_runnable"):
        blocker, queued = queue_behind_blocker()
        assert len(describe(queued)["attempts"]) == 1  # an attempt that has not run
        gate.set()
        wait_for_all([blocker, queued])

    gate.clear()
    blocker, queued = queue_behind_blocker()
    assert describe(queued)["attempts"] == []
    gate.set()
    job = wait_for(queued, {"SUCCEEDED"})
    (attempt,) = job["attempts"]
    assert attempt["startedAt"] >= describe(blocker)["attempts"][0]["stoppedAt"]
    assert job["startedAt"] == attempt["startedAt"]
    assert attempt["startedAt"] >= int(only_container(fast_jobs, queued).started * 1000) - 1000


def test_compute_environment_max_vcpus_ignored(fast_jobs: FakeDocker) -> None:
    deploy_jobs_stack(max_vcpus=2)
    fast_jobs.duration = lambda kwargs: 0.5

    def peak_of_four() -> int:
        jobs = [submit_named(f"job{number}") for number in range(4)]
        assert {job["status"] for job in wait_for_all(jobs)} == {"SUCCEEDED"}
        return max_overlap([interval(only_container(fast_jobs, job)) for job in jobs])

    with SWITCHES.without("compute_environment_max_vcpus_ignored"):
        assert peak_of_four() == 4

    assert peak_of_four() == 2


def test_capacity_goes_by_queue_priority_then_submission_order(fast_jobs: FakeDocker) -> None:
    deploy_jobs_stack(max_vcpus=1, urgent_queue_priority=100)
    gate = fast_jobs.gates["blocker"] = threading.Event()
    blocker = submit_named("blocker", gate="blocker")
    wait_for(blocker, {"RUNNING"})
    first, second = submit_named("first"), submit_named("second")
    urgent = submit_named("urgent", queue="urgent-queue")
    for job_id in (first, second, urgent):
        wait_until_queued(job_id)
        assert describe(job_id)["status"] == "RUNNABLE"

    gate.set()
    wait_for_all([first, second, urgent])
    started = sorted(fast_jobs.containers_started, key=lambda container: container.started)
    assert [container.job_id for container in started] == [blocker, urgent, first, second]
    assert max_overlap([interval(container) for container in started]) == 1


def test_capacity_counts_vcpus_and_overflows_to_the_next_environment(fast_jobs: FakeDocker) -> None:
    deploy_jobs_stack(max_vcpus=2, overflow_vcpus=1)
    gate = fast_jobs.gates["hold"] = threading.Event()
    two_vcpus = {"resourceRequirements": [{"type": "VCPU", "value": "2"}]}
    wide = submit_named("wide", gate="hold", containerOverrides=dict(two_vcpus))
    wait_for(wide, {"RUNNING"})
    narrow = submit_named("narrow", gate="hold")
    wait_for(narrow, {"RUNNING"})
    waiting = submit_named("waiting")
    wait_until_queued(waiting)

    environment_of = {
        container.job_id: container.kwargs["environment"]["AWS_BATCH_CE_NAME"]
        for container in fast_jobs.containers_started
    }
    assert environment_of == {wide: "demo-ce", narrow: "demo-overflow"}
    gate.set()
    assert {job["status"] for job in wait_for_all([wide, narrow, waiting])} == {"SUCCEEDED"}


def test_machine_vcpu_limit_bounds_every_environment(fast_jobs: FakeDocker, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(scheduler.MACHINE_VCPUS_ENV, "1")
    deploy_jobs_stack(max_vcpus=16)
    fast_jobs.duration = lambda kwargs: 0.3
    jobs = [submit_named(f"job{number}") for number in range(3)]
    # Larger than the machine: it still runs, alone.
    jobs.append(submit_named("big", containerOverrides={"resourceRequirements": [{"type": "VCPU", "value": "4"}]}))
    assert {job["status"] for job in wait_for_all(jobs)} == {"SUCCEEDED"}
    assert max_overlap([interval(only_container(fast_jobs, job)) for job in jobs]) == 1


def test_job_dependency_types_ignored(fast_jobs: FakeDocker) -> None:
    deploy_jobs_stack()

    def duration(kwargs: dict[str, Any]) -> float:
        slow_first_child = (
            kwargs["name"].startswith("first-") and kwargs["environment"]["AWS_BATCH_JOB_ARRAY_INDEX"] == "0"
        )
        return 0.8 if slow_first_child else 0.05

    fast_jobs.duration = duration

    def n_to_n() -> tuple[list[FakeContainer], list[FakeContainer]]:
        first = submit_named("first", arrayProperties={"size": 2})
        second = submit_named("second", arrayProperties={"size": 2}, dependsOn=[{"jobId": first, "type": "N_TO_N"}])
        wait_for_all([f"{first}:0", f"{first}:1", f"{second}:0", f"{second}:1"])
        return children_containers(fast_jobs, first, 2), children_containers(fast_jobs, second, 2)

    with SWITCHES.without("job_dependency_types_ignored"):
        sequential = submit_named("seq", arrayProperties={"size": 3}, dependsOn=[{"type": "SEQUENTIAL"}])
        assert {job["status"] for job in wait_for_all([f"{sequential}:{i}" for i in range(3)])} == {"FAILED"}
        first, second = n_to_n()
        assert second[1].started >= interval(first[0])[1]  # waited for the whole first array

    sequential = submit_named("seq", arrayProperties={"size": 3}, dependsOn=[{"type": "SEQUENTIAL"}])
    assert {job["status"] for job in wait_for_all([f"{sequential}:{i}" for i in range(3)])} == {"SUCCEEDED"}
    children = children_containers(fast_jobs, sequential, 3)
    assert children[1].started >= interval(children[0])[1]
    assert children[2].started >= interval(children[1])[1]

    first, second = n_to_n()
    assert second[0].started >= interval(first[0])[1]
    assert second[1].started >= interval(first[1])[1]
    assert second[1].started < interval(first[0])[1]  # child 1 did not wait for child 0 of the other array


def test_plain_dependency_on_an_array_waits_for_every_child(fast_jobs: FakeDocker) -> None:
    deploy_jobs_stack()
    fast_jobs.duration = lambda kwargs: 0.3 if kwargs["name"].startswith("first-") else 0.0
    first = submit_named("first", arrayProperties={"size": 2})
    after = submit_named("after", arrayProperties={"size": 2}, dependsOn=[{"jobId": first}])
    wait_for_all([f"{after}:0", f"{after}:1"])
    last_stop = max(interval(container)[1] for container in children_containers(fast_jobs, first, 2))
    assert min(container.started for container in children_containers(fast_jobs, after, 2)) >= last_stop


def test_failed_dependency_has_no_status_reason(fast_jobs: FakeDocker) -> None:
    deploy_jobs_stack()
    fast_jobs.exit_code = lambda kwargs: 1 if kwargs["name"].startswith("doomed-") else 0

    def dependent_of_failure() -> dict[str, Any]:
        doomed = submit_named("doomed")
        after = submit_named("after", dependsOn=[{"jobId": doomed}])
        assert wait_for(doomed, TERMINAL)["status"] == "FAILED"
        return wait_for(after, TERMINAL)

    with SWITCHES.without("failed_dependency_has_no_status_reason"):
        job = dependent_of_failure()
        assert job["status"] == "FAILED"
        assert "statusReason" not in job

    job = dependent_of_failure()
    assert (job["status"], job["statusReason"]) == ("FAILED", "Dependent Job failed")
    assert job["attempts"] == []
    assert fast_jobs.containers_of(job["jobId"]) == []

    # In a SEQUENTIAL array the children after a failed one fail the same way, without running.
    fast_jobs.exit_code = lambda kwargs: 1 if kwargs["environment"]["AWS_BATCH_JOB_ARRAY_INDEX"] == "0" else 0
    chain = submit_named("chain", arrayProperties={"size": 3}, dependsOn=[{"type": "SEQUENTIAL"}])
    children = wait_for_all([f"{chain}:{index}" for index in range(3)])
    assert [child.get("statusReason") for child in children[1:]] == ["Dependent Job failed"] * 2
    assert [fast_jobs.containers_of(f"{chain}:{index}") for index in (1, 2)] == [[], []]
    assert describe(chain)["status"] == "FAILED"


def test_array_children_start_in_index_order_whichever_asks_first(
    fast_jobs: FakeDocker, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Children become RUNNABLE at about the same moment; one whose thread asks for capacity first must not jump
    ahead of an earlier sibling that is still SUBMITTED (here child 0's thread is held back on purpose)."""
    deploy_jobs_stack(max_vcpus=1)
    fast_jobs.duration = lambda kwargs: 0.05
    submitted = executor.Lifecycle.submitted

    def child_0_late(lifecycle: executor.Lifecycle) -> None:
        submitted(lifecycle)
        if lifecycle.job.job_id.endswith(":0"):
            time.sleep(0.3)

    monkeypatch.setattr(executor.Lifecycle, "submitted", child_0_late)
    parent = submit_named("array", arrayProperties={"size": 3})
    children = wait_for_all([f"{parent}:{index}" for index in range(3)])
    assert {child["status"] for child in children} == {"SUCCEEDED"}
    started = [only_container(fast_jobs, f"{parent}:{index}").started for index in range(3)]
    assert started == sorted(started)
