"""The adapter between moto and the executor: the version guard, the seams, and the Batch API's own gaps."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest
from tests.emulator_fixtures import free_port
from tests.unit.local.fakes import FakeDocker, client, deploy_jobs_stack, submit_named, wait_for, wait_until_queued

from batchctl.local import behaviours, compat, moto_adapter, server

TEST_MODULES = sorted(Path(__file__).parent.glob("test_*.py"))


def test_the_guard_refuses_any_moto_but_the_pinned_version() -> None:
    moto_adapter.require_pinned_moto(moto_adapter.PINNED_MOTO_VERSION)
    with pytest.raises(moto_adapter.MotoVersionError) as error:
        moto_adapter.require_pinned_moto("5.3.0")
    assert str(error.value) == (
        "the local emulator needs moto 5.2.5, found 5.3.0: install the pinned version "
        '(pip install "moto[server]==5.2.5")'
    )


def test_the_pinned_version_is_the_one_installed_and_in_pyproject() -> None:
    assert moto_adapter.installed_moto_version() == moto_adapter.PINNED_MOTO_VERSION
    pyproject = (Path(__file__).parents[3] / "pyproject.toml").read_text()
    assert f'"moto[server]=={moto_adapter.PINNED_MOTO_VERSION}"' in pyproject


def test_the_emulator_does_not_start_with_another_moto(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(moto_adapter, "installed_moto_version", lambda: "5.3.0")
    with pytest.raises(moto_adapter.MotoVersionError, match=r"needs moto 5\.2\.5, found 5\.3\.0"):
        compat.apply_all()
    monkeypatch.setattr(server, "configure_moto_environment", lambda port: None)
    assert server.serve(free_port(), tmp_path / "state") == server.EXIT_MOTO_VERSION
    assert not (tmp_path / "state").exists()  # refused before it started anything (the registry included)


def test_every_behaviour_and_api_patch_has_its_own_test() -> None:
    defined = {name for path in TEST_MODULES for name in _test_names(path)}
    names = [f"test_{name}" for name in behaviours.SWITCHES.names]
    names += [f"test_{name}" for name in moto_adapter.API_PATCHES.names]
    assert [name for name in names if name not in defined] == []


def _test_names(path: Path) -> list[str]:
    return [
        line.split("(", 1)[0].removeprefix("def ")
        for line in path.read_text().splitlines()
        if line.startswith("def test_")
    ]


def test_one_seam_ends_a_job() -> None:
    """Only the adapter names moto's ``_mark_stopped``, once: the executor's finish is where a job ends."""
    local = Path(sys.modules["batchctl.local"].__file__ or "").parent
    uses = {path.name: path.read_text().count("_mark_stopped") for path in local.glob("*.py")}
    assert {name: count for name, count in uses.items() if count} == {"moto_adapter.py": 1}


def test_private_moto_attributes_are_used_in_the_adapter_only() -> None:
    local = Path(sys.modules["batchctl.local"].__file__ or "").parent
    private = ("._jobs", "._child_jobs", "._status", "._log_backend", "._get_container_property", "._tick")
    offenders = {
        path.name
        for path in local.glob("*.py")
        # CloudFormation handlers and the server's shutdown are moto's control plane, not the executor.
        if path.name
        not in {"moto_adapter.py", "cfn_batch.py", "cfn_stack.py", "cfn_network.py", "compat.py", "server.py"}
        and any(name in path.read_text() for name in private)
    }
    assert offenders == set()


def test_submit_keeps_what_moto_drops(fast_jobs: FakeDocker) -> None:
    deploy_jobs_stack()
    job_id = submit_named("kept", retryStrategy={"attempts": 2}, shareIdentifier="blue", schedulingPriorityOverride=7)
    wait_for(job_id, {"SUCCEEDED"})
    from tests.unit.local.fakes import backend_job

    from batchctl.local.job_state import state_of

    state = state_of(backend_job(job_id))
    assert (state.retry_strategy, state.share_identifier, state.scheduling_priority) == ({"attempts": 2}, "blue", 7)
    assert client("batch").describe_jobs(jobs=[job_id])["jobs"][0]["status"] == "SUCCEEDED"


def test_patch_queue_and_environment_have_no_health_reason(fast_jobs: FakeDocker) -> None:
    deploy_jobs_stack()
    batch = client("batch")
    with moto_adapter.API_PATCHES.without("patch_queue_and_environment_have_no_health_reason"):
        assert "statusReason" not in batch.describe_job_queues()["jobQueues"][0]
        assert batch.describe_compute_environments()["computeEnvironments"][0]["statusReason"] != (
            "ComputeEnvironment Healthy"
        )
    assert batch.describe_job_queues()["jobQueues"][0]["statusReason"] == "JobQueue Healthy"
    assert batch.describe_compute_environments()["computeEnvironments"][0]["statusReason"] == (
        "ComputeEnvironment Healthy"
    )


ACTIONS = [{"reason": "CAPACITY:INSUFFICIENT_INSTANCE_CAPACITY", "state": "RUNNABLE", "maxTimeSeconds": 600,
            "action": "CANCEL"}]  # fmt: skip


def test_patch_job_queue_time_limit_actions_dropped(fast_jobs: FakeDocker) -> None:
    deploy_jobs_stack()
    batch = client("batch")
    environment = batch.describe_compute_environments()["computeEnvironments"][0]["computeEnvironmentArn"]
    order = [{"order": 1, "computeEnvironment": environment}]

    def create(name: str) -> dict[str, object]:
        batch.create_job_queue(
            jobQueueName=name, state="ENABLED", priority=1, computeEnvironmentOrder=order,
            jobStateTimeLimitActions=ACTIONS,
        )  # fmt: skip
        return dict(batch.describe_job_queues(jobQueues=[name])["jobQueues"][0])

    with moto_adapter.API_PATCHES.without("patch_job_queue_time_limit_actions_dropped"):
        assert "jobStateTimeLimitActions" not in create("dropped")
    assert create("kept")["jobStateTimeLimitActions"] == ACTIONS
    batch.update_job_queue(jobQueue="kept", jobStateTimeLimitActions=[])
    assert "jobStateTimeLimitActions" not in batch.describe_job_queues(jobQueues=["kept"])["jobQueues"][0]
    # AWS accepts 600 to 86400 seconds; outside that nothing is created or changed.
    queues_before = [queue["jobQueueName"] for queue in batch.describe_job_queues()["jobQueues"]]
    for seconds in (599, 86401):
        actions = [{**ACTIONS[0], "maxTimeSeconds": seconds}]
        with pytest.raises(batch.exceptions.ClientException, match="maxTimeSeconds must be 600 to 86400"):
            batch.create_job_queue(
                jobQueueName=f"refused-{seconds}", state="ENABLED", priority=1, computeEnvironmentOrder=order,
                jobStateTimeLimitActions=actions,
            )  # fmt: skip
        with pytest.raises(batch.exceptions.ClientException, match="maxTimeSeconds must be 600 to 86400"):
            batch.update_job_queue(jobQueue="kept", jobStateTimeLimitActions=actions)
    assert [queue["jobQueueName"] for queue in batch.describe_job_queues()["jobQueues"]] == queues_before
    assert "jobStateTimeLimitActions" not in batch.describe_job_queues(jobQueues=["kept"])["jobQueues"][0]


def test_patch_job_queue_snapshot_missing(fast_jobs: FakeDocker) -> None:
    import threading

    import botocore.exceptions

    deploy_jobs_stack(max_vcpus=1)
    batch = client("batch")
    gate = fast_jobs.gates["hold"] = threading.Event()
    blocker = submit_named("blocker", gate="hold")
    wait_for(blocker, {"RUNNING"})
    first, second = submit_named("first"), submit_named("second")
    for job_id in (first, second):
        wait_until_queued(job_id)

    with (
        moto_adapter.API_PATCHES.without("patch_job_queue_snapshot_missing"),
        pytest.raises(botocore.exceptions.ClientError),
    ):
        batch.get_job_queue_snapshot(jobQueue="demo-queue")

    front = batch.get_job_queue_snapshot(jobQueue="demo-queue")["frontOfQueue"]
    arns = [batch.describe_jobs(jobs=[job_id])["jobs"][0]["jobArn"] for job_id in (first, second)]
    assert [entry["jobArn"] for entry in front["jobs"]] == arns  # the running blocker is not in the queue
    assert all(entry["earliestTimeAtPosition"] > 0 for entry in front["jobs"])
    assert front["lastUpdatedAt"] >= front["jobs"][0]["earliestTimeAtPosition"]
    gate.set()
    for job_id in (blocker, first, second):
        wait_for(job_id, {"SUCCEEDED"})
    assert batch.get_job_queue_snapshot(jobQueue="demo-queue")["frontOfQueue"]["jobs"] == []


def test_patch_list_jobs_by_queue_lists_array_children(fast_jobs: FakeDocker) -> None:
    deploy_jobs_stack()
    batch = client("batch")
    parent = submit_named("array", arrayProperties={"size": 2})
    for index in range(2):
        wait_for(f"{parent}:{index}", {"SUCCEEDED"})

    with moto_adapter.API_PATCHES.without("patch_list_jobs_by_queue_lists_array_children"):
        listed = batch.list_jobs(jobQueue="demo-queue", jobStatus="SUCCEEDED")["jobSummaryList"]
        assert {summary["jobId"] for summary in listed} == {parent, f"{parent}:0", f"{parent}:1"}
        assert len(batch.list_jobs(jobQueue="demo-queue")["jobSummaryList"]) == 3  # any status

    listed = batch.list_jobs(jobQueue="demo-queue", jobStatus="SUCCEEDED")["jobSummaryList"]
    assert [(summary["jobId"], summary["arrayProperties"]) for summary in listed] == [(parent, {"size": 2})]
    assert batch.list_jobs(jobQueue="demo-queue")["jobSummaryList"] == []  # no status given: RUNNING only
    children = batch.list_jobs(arrayJobId=parent, jobStatus="SUCCEEDED")["jobSummaryList"]
    assert sorted((summary["jobId"], summary["arrayProperties"]["index"]) for summary in children) == [
        (f"{parent}:0", 0),
        (f"{parent}:1", 1),
    ]


def test_patch_filter_log_events_accepts_any_stream_names(aws: None) -> None:
    logs = client("logs")
    logs.create_log_group(logGroupName="/g")
    now = int(time.time() * 1000)
    for name in ("a", "b"):
        logs.create_log_stream(logGroupName="/g", logStreamName=name)
        logs.put_log_events(logGroupName="/g", logStreamName=name, logEvents=[{"timestamp": now, "message": name}])
    many = [f"s{index}" for index in range(101)]

    with moto_adapter.API_PATCHES.without("patch_filter_log_events_accepts_any_stream_names"):
        found = logs.filter_log_events(logGroupName="/g", logStreamNames=["a", "not-yet"])["events"]
        assert [event["message"] for event in found] == ["a"]
        assert logs.filter_log_events(logGroupName="/g", logStreamNames=many)["events"] == []

    with pytest.raises(logs.exceptions.ResourceNotFoundException, match="log stream does not exist"):
        logs.filter_log_events(logGroupName="/g", logStreamNames=["a", "not-yet"])
    with pytest.raises(logs.exceptions.InvalidParameterException, match="less than or equal to 100"):
        logs.filter_log_events(logGroupName="/g", logStreamNames=many)
    found = logs.filter_log_events(logGroupName="/g", logStreamNames=["a", "b"])["events"]
    assert sorted(event["message"] for event in found) == ["a", "b"]
