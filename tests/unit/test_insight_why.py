"""`why` against recorded AWS-shaped answers (botocore Stubber): the signals only AWS shows — a compute environment
INVALID with its reason, the queue's blocked reasons, the position from GetJobQueueSnapshot — and the failure
classes read from DescribeJobs."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.stub import ANY
from tests.helpers import DEMO_CONFIG
from tests.stub_aws import StubAws

from batchctl.aws.batch import Batch
from batchctl.aws.logs import Logs
from batchctl.config.models import ClusterConfig
from batchctl.insight import failures
from batchctl.insight.facts import gather
from batchctl.insight.why import Cluster, Why, explain
from batchctl.jobs.records import JobRecord
from batchctl.jobs.resolve import Resolver

ACCOUNT = "arn:aws:batch:us-east-1:123456789012"
QUEUE = f"{ACCOUNT}:job-queue/demo-cpu"
CE = f"{ACCOUNT}:compute-environment/demo-cpu-spot"
DEFINITION = f"{ACCOUNT}:job-definition/demo-helloworld:1"
CONFIG = ClusterConfig.model_validate(DEMO_CONFIG)
JOB_ID = "11111111-2222-3333-4444-555555555555"


def job(status: str = "RUNNABLE", vcpus: str = "1", memory: str = "512", **extra: Any) -> dict[str, Any]:
    return {
        "jobName": "hello-x",
        "jobId": JOB_ID,
        "jobArn": f"{ACCOUNT}:job/{JOB_ID}",
        "jobQueue": QUEUE,
        "status": status,
        "jobDefinition": DEFINITION,
        "startedAt": 0,
        "createdAt": 1_764_000_000_000,
        "container": {
            "image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/demo:helloworld",
            "resourceRequirements": [{"type": "VCPU", "value": vcpus}, {"type": "MEMORY", "value": memory}],
        },
        **extra,
    }


def queue(state: str = "ENABLED", status: str = "VALID", reason: str = "JobQueue Healthy") -> dict[str, Any]:
    return {
        "jobQueueName": "demo-cpu",
        "jobQueueArn": QUEUE,
        "state": state,
        "status": status,
        "statusReason": reason,
        "priority": 1,
        "computeEnvironmentOrder": [{"order": 1, "computeEnvironment": CE}],
    }


def environment(status: str = "VALID", reason: str = "ComputeEnvironment Healthy", max_vcpus: int = 16) -> dict:
    return {
        "computeEnvironmentName": "demo-cpu-spot",
        "computeEnvironmentArn": CE,
        "ecsClusterArn": "arn:aws:ecs:us-east-1:123456789012:cluster/x",
        "state": "ENABLED",
        "status": status,
        "statusReason": reason,
        "type": "MANAGED",
        "computeResources": {
            "type": "SPOT",
            "minvCpus": 0,
            "maxvCpus": max_vcpus,
            "instanceTypes": ["m6i.large", "m6i.xlarge"],
            "subnets": ["subnet-1"],
        },
    }


def stub_not_started(
    detail: dict[str, Any],
    *,
    the_queue: dict[str, Any] | None = None,
    the_environment: dict[str, Any] | None = None,
    snapshot: list[dict[str, Any]] | None = None,
    running: list[dict[str, Any]] | None = None,
) -> StubAws:
    aws = StubAws()
    batch = aws.stub("batch")
    batch.add_response("describe_jobs", {"jobs": [detail]}, {"jobs": [JOB_ID]})
    batch.add_response("describe_job_queues", {"jobQueues": [the_queue or queue()]}, {"jobQueues": [QUEUE]})
    batch.add_response(
        "describe_compute_environments",
        {"computeEnvironments": [the_environment or environment()]},
        {"computeEnvironments": [CE]},
    )
    batch.add_response(
        "get_job_queue_snapshot", {"frontOfQueue": {"jobs": snapshot or [], "lastUpdatedAt": 1}}, {"jobQueue": QUEUE}
    )
    running = running or []
    batch.add_response(
        "list_jobs", {"jobSummaryList": []}, {"jobQueue": QUEUE, "jobStatus": "STARTING", "maxResults": ANY}
    )
    batch.add_response(
        "list_jobs",
        {"jobSummaryList": [{"jobId": r["jobId"], "jobName": r["jobName"]} for r in running]},
        {"jobQueue": QUEUE, "jobStatus": "RUNNING", "maxResults": ANY},
    )
    if running:
        batch.add_response("describe_jobs", {"jobs": running}, {"jobs": [r["jobId"] for r in running]})
    return aws


def why_of(aws: StubAws) -> Why:
    facts = gather(
        Batch(aws.client("batch")), Logs(aws.client("logs")), aws.client("s3"), Resolver(CONFIG, {}), JOB_ID, "test"
    )
    aws.verify()
    return explain(facts, Cluster.of(CONFIG, "batchctl"))


def test_an_invalid_compute_environment_is_the_verdict_with_its_reason() -> None:
    reason = "CLIENT_ERROR - The security group 'sg-0abc' does not exist"
    answer = why_of(stub_not_started(job(), the_environment=environment("INVALID", reason)))
    assert "compute environment demo-cpu-spot is ENABLED/INVALID: " + reason in answer.verdict
    assert any("compute_environments[cpu-spot]" in fix for fix in answer.fixes)


@pytest.mark.parametrize(
    ("code", "meaning"),
    [
        ("CAPACITY:INSUFFICIENT_INSTANCE_CAPACITY", "no capacity"),
        ("MISCONFIGURATION:SERVICE_ROLE_PERMISSIONS", "service role"),
        ("MISCONFIGURATION:EC2_INSTANCE_CONFIGURATION_UNSUPPORTED", "AMI or architecture"),
    ],
)
def test_a_blocked_reason_names_the_code_and_its_meaning(code: str, meaning: str) -> None:
    detail = job(statusReason=f"{code} - the details AWS gives")
    answer = why_of(stub_not_started(detail, the_queue=queue(reason=f"{code} - blocked")))
    assert answer.verdict.startswith(f"job hello-x ({JOB_ID}) is blocked: {code}")
    assert meaning in answer.verdict
    assert answer.fixes


def test_the_snapshot_gives_the_position_and_the_vcpus_in_use_fill_max_vcpus() -> None:
    others = [job("RUNNING", vcpus="8") | {"jobId": f"run-{n}", "jobName": f"r{n}"} for n in range(2)]
    snapshot = [
        {"jobArn": f"{ACCOUNT}:job/first", "earliestTimeAtPosition": 1},
        {"jobArn": f"{ACCOUNT}:job/{JOB_ID}", "earliestTimeAtPosition": 2},
    ]
    answer = why_of(stub_not_started(job(vcpus="2"), snapshot=snapshot, running=others))
    assert answer.position == 2
    assert "16 of 16 vCPUs (maxvCpus) are in use, it needs 2" in answer.verdict
    assert "position 2 of 2 at the front of the queue (GetJobQueueSnapshot)" in answer.evidence


def test_a_job_larger_than_max_vcpus_names_both_figures_and_the_config_key() -> None:
    answer = why_of(stub_not_started(job(vcpus="64")))
    assert "can never run" in answer.verdict
    assert "demo-cpu-spot: at most 16 vCPUs (max_vcpus), 64 asked" in answer.evidence
    assert any("compute_environments[cpu-spot].max_vcpus from 16 to at least 64" in fix for fix in answer.fixes)


def test_memory_above_the_largest_type_less_the_ecs_reserve() -> None:
    answer = why_of(stub_not_started(job(memory="32000")))
    # m6i.xlarge: 16384 MiB installed, 15970 registered, 32 for the ECS agent.
    assert any("m6i.xlarge gives a job 4 vCPUs, 15938 MiB" in line for line in answer.evidence)
    assert answer.fixes[-1].endswith(f"resubmit {JOB_ID} --memory 15938")


def attempt(status_reason: str, exit_code: int | None = None, reason: str = "") -> dict[str, Any]:
    container: dict[str, Any] = {"logStreamName": ""}
    if exit_code is not None:
        container["exitCode"] = exit_code
    if reason:
        container["reason"] = reason
    return {"container": container, "statusReason": status_reason, "startedAt": 1, "stoppedAt": 2}


@pytest.mark.parametrize(
    ("status_reason", "attempts", "label"),
    [
        ("Host EC2 (instance i-0abc) terminated.", [attempt("Host EC2 (instance i-0abc) terminated.")], "spot reclaim"),
        (
            "OutOfMemoryError: Container killed due to memory usage",
            [attempt("OutOfMemoryError: Container killed due to memory usage", 137)],
            "out of memory",
        ),
        (
            "Task failed to start",
            [attempt("Task failed to start", None, "CannotPullContainerError: pull access denied")],
            "image pull",
        ),
        ("Job attempt duration exceeded timeout", [attempt("Job attempt duration exceeded timeout", 143)], "timeout"),
        ("Dependent Job failed", [], "dependency failed"),
        ("cancelled by ana with batchctl", [], "cancelled/terminated"),
        (
            "Task failed to start",
            [attempt("Task failed to start", None, "CannotStartContainerError: x")],
            "host/agent error",
        ),
        ("Essential container in task exited", [attempt("Essential container in task exited", 3)], "exit code"),
    ],
)
def test_failure_classes(status_reason: str, attempts: list[dict[str, Any]], label: str) -> None:
    record = JobRecord.from_detail(job("FAILED", statusReason=status_reason, attempts=attempts))
    found = failures.classify(record)
    assert found is not None and found.label == label


def test_a_spot_reclaim_then_success_is_not_a_failure_and_the_last_attempt_decides() -> None:
    reclaimed = attempt("Host EC2 (instance i-0abc) terminated.")
    assert failures.classify(JobRecord.from_detail(job("SUCCEEDED", attempts=[reclaimed, attempt("", 0)]))) is None
    record = JobRecord.from_detail(
        job("FAILED", statusReason="Essential container in task exited", attempts=[reclaimed, attempt("x", 2)])
    )
    found = failures.classify(record)
    assert found is not None and (found.label, found.attempt) == ("exit code", 2)


def test_out_of_memory_suggests_memory_above_the_peak_from_usage_json() -> None:
    from batchctl.insight.facts import JobFacts

    oom = "OutOfMemoryError: Container killed due to memory usage"
    detail = job("FAILED", memory="2048", statusReason=oom, attempts=[attempt(oom, 137, oom)])
    usage = {"command_started": True, "peak_rss_bytes": 2600 * 2**20, "cpu_seconds": 3.0, "elapsed_seconds": 4.0}
    answer = explain(JobFacts(detail, usage=usage), Cluster.of(CONFIG, "batchctl"))
    assert answer.failure == "out of memory"
    # max(2600, 2048) * 1.5 = 3900 MiB, on the 256 MiB grid: 3840 is below it, so 4096.
    assert answer.fixes[0] == f"memory 2048 -> 4096 MiB (peak 2.5 GiB): batchctl resubmit {JOB_ID} --memory 4096"
    assert any("peak memory 2600 MiB of 2048 MiB requested" in line for line in answer.evidence)


def test_spot_reclaim_suggests_retry_on_spot_loss_and_an_on_demand_queue() -> None:
    from batchctl.insight.facts import JobFacts

    config = ClusterConfig.model_validate(
        {
            **DEMO_CONFIG,
            "compute_environments": [*DEMO_CONFIG["compute_environments"], {"name": "od", "type": "EC2"}],
            "queues": [*DEMO_CONFIG["queues"], {"name": "ondemand", "compute_environments": ["od"]}],
        }
    )
    lost = "Host EC2 (instance i-0abc) terminated."
    answer = explain(JobFacts(job("FAILED", statusReason=lost, attempts=[attempt(lost)])), Cluster.of(config))
    assert answer.failure == "spot reclaim"
    assert any("retry_on: [spot-loss]" in fix for fix in answer.fixes)
    assert f"or on-demand: batchctl resubmit {JOB_ID} --queue ondemand" in answer.fixes


def test_an_image_outside_ecr_without_egress_cannot_be_pulled() -> None:
    config = ClusterConfig.model_validate({**DEMO_CONFIG, "network": {"egress": "none"}})
    detail = job()
    detail["container"]["image"] = "docker.io/library/python:3.12"
    aws = stub_not_started(detail)
    facts = gather(
        Batch(aws.client("batch")), Logs(aws.client("logs")), aws.client("s3"), Resolver(config, {}), JOB_ID, "test"
    )
    answer = explain(facts, Cluster.of(config))
    assert "cannot pull docker.io/library/python:3.12: the cluster has network.egress none" in answer.verdict


def test_exit_137_at_the_limit_reads_as_out_of_memory_from_the_runners_summary_line() -> None:
    from batchctl.insight.facts import JobFacts

    detail = job("FAILED", memory="320", statusReason="Essential container in task exited", attempts=[attempt("", 137)])
    facts = JobFacts(detail, runner_lines=["batchctl-run: peak memory   300.0 MiB (process tree)"])
    answer = explain(facts, Cluster.of(CONFIG))
    assert answer.failure == "out of memory"
    # max(320 * 1.5, 300 * 1.25, 320 + 256) = 576, on the 256 MiB grid: 768.
    assert answer.fixes[0].startswith("memory 320 -> 768 MiB (peak 300 MiB)")


def test_a_failed_array_counts_its_children_by_class() -> None:
    parent = job("FAILED", arrayProperties={"size": 3, "statusSummary": {"SUCCEEDED": 1, "FAILED": 2}})
    lost = "Host EC2 (instance i-0abc) terminated."
    oom = "OutOfMemoryError: Container killed due to memory usage"
    children = [
        job("FAILED", statusReason=lost, attempts=[attempt(lost)]) | {"jobId": f"{JOB_ID}:0"},
        job("FAILED", statusReason=oom, attempts=[attempt(oom, 137, oom)]) | {"jobId": f"{JOB_ID}:2"},
    ]
    aws = StubAws()
    batch = aws.stub("batch")
    batch.add_response("describe_jobs", {"jobs": [parent]}, {"jobs": [JOB_ID]})
    batch.add_response("describe_job_queues", {"jobQueues": [queue()]}, {"jobQueues": [QUEUE]})
    batch.add_response(
        "describe_compute_environments", {"computeEnvironments": [environment()]}, {"computeEnvironments": [CE]}
    )
    batch.add_response(
        "list_jobs",
        {"jobSummaryList": [{"jobId": c["jobId"], "jobName": "hello-x"} for c in children]},
        {"arrayJobId": JOB_ID, "jobStatus": "FAILED", "maxResults": ANY},
    )
    batch.add_response("describe_jobs", {"jobs": children}, {"jobs": [c["jobId"] for c in children]})
    answer = why_of(aws)
    assert answer.verdict.endswith("failed: 2 of 3 children failed (1 spot reclaim, 1 out of memory)")
    assert answer.fixes == [
        f"see one: batchctl why {JOB_ID}:0",
        f"re-run the failed ones: batchctl resubmit {JOB_ID} --failed-only",
    ]
