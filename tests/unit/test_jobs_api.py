"""The job use cases over stubbed AWS clients (botocore Stubber): every AWS call is expected, in order.

A call the code makes that a test did not expect fails the test, so these also pin the number of calls.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError, ConnectTimeoutError, ReadTimeoutError
from botocore.stub import ANY, Stubber
from tests.helpers import DEMO_CONFIG
from tests.stub_aws import StubAws, stub_with_stack_outputs

from batchctl.api import Batchctl
from batchctl.aws.batch import Batch, UncertainSubmission, _surface_uncertain_submit_failures
from batchctl.config import ClusterConfig
from batchctl.errors import AwsError, BatchctlError, NotFoundError
from batchctl.jobs.follow import LogLine, Notice
from batchctl.jobs.submit import submit_once

ARN = "arn:aws:batch:us-east-1:123456789012"
QUEUE = f"{ARN}:job-queue/demo-cpu"
DEFINITION = f"{ARN}:job-definition/demo-helloworld:1"
OUTPUTS = {
    "QueueCpu": QUEUE,
    "JobDefinitionHelloworld": DEFINITION,
    "LogGroupHelloworld": "/demo/job/helloworld",
    "BucketInputs": "demo-inputs",
    "BucketOutputs": "demo-outputs",
    "RepositoryUri": "123456789012.dkr.ecr.us-east-1.amazonaws.com/demo",
}
T0 = int(datetime(2026, 1, 2, tzinfo=UTC).timestamp() * 1000)


@pytest.fixture
def aws() -> Iterator[StubAws]:
    stub = stub_with_stack_outputs(OUTPUTS)
    yield stub
    stub.verify()


@pytest.fixture
def api(aws: StubAws) -> Batchctl:
    return Batchctl(ClusterConfig.model_validate(DEMO_CONFIG), aws, user="alice", poll_seconds=0)  # type: ignore[arg-type]


def summary(index: int, status: str = "SUCCEEDED", name: str = "job") -> dict[str, Any]:
    return {"jobId": f"id-{index}", "jobName": f"{name}-0a1b2c3d", "status": status, "createdAt": T0 + index}


def detail(job_id: str, status: str = "SUCCEEDED", user: str = "alice", **extra: Any) -> dict[str, Any]:
    return {
        "jobId": job_id,
        "jobName": "job-0a1b2c3d",
        "jobQueue": QUEUE,
        "jobDefinition": DEFINITION,
        "status": status,
        "startedAt": T0,
        "createdAt": T0,
        "tags": {"submitter": user, "batchctl:job": "job"},
        **extra,
    }


# -- listing: the API-call bound ----------------------------------------------------------------------------------


def test_listing_every_status_pages_by_1000_and_describes_by_100(api: Batchctl, aws: StubAws) -> None:
    count = 2500
    batch = aws.stub("batch")
    every = [{"name": "AFTER_CREATED_AT", "values": ["0"]}]
    summaries = [summary(index) for index in range(count)]
    for page, start in enumerate(range(0, count, 1000)):
        params: dict[str, Any] = {"jobQueue": QUEUE, "filters": every, "maxResults": 1000}
        if page:
            params["nextToken"] = f"token-{page}"
        response: dict[str, Any] = {"jobSummaryList": summaries[start : start + 1000]}
        if start + 1000 < count:
            response["nextToken"] = f"token-{page + 1}"
        batch.add_response("list_jobs", response, params)
    for start in range(0, count, 100):
        ids = [f"id-{index}" for index in range(start, min(start + 100, count))]
        batch.add_response("describe_jobs", {"jobs": [detail(job_id) for job_id in ids]}, {"jobs": ids})
    records = api.jobs(all_statuses=True, all_users=True)
    assert len(records) == count
    # The stub fails on any call not listed above: ceil(2500/1000) = 3 ListJobs, ceil(2500/100) = 25 DescribeJobs.
    assert math.ceil(count / 1000) == 3 and math.ceil(count / 100) == 25


def test_listing_again_describes_only_new_and_unfinished_jobs(api: Batchctl, aws: StubAws) -> None:
    """A finished job does not change: the same Batchctl object describes it once (the dashboard lists often)."""
    batch = aws.stub("batch")
    every = {"jobQueue": QUEUE, "filters": [{"name": "AFTER_CREATED_AT", "values": ["0"]}], "maxResults": 1000}
    first = [summary(1), summary(2, "FAILED"), summary(3, "RUNNING")]
    batch.add_response("list_jobs", {"jobSummaryList": first}, every)
    batch.add_response(
        "describe_jobs",
        {"jobs": [detail("id-1"), detail("id-2", "FAILED"), detail("id-3", "RUNNING")]},
        {"jobs": ["id-1", "id-2", "id-3"]},
    )
    second = [summary(1), summary(2, "FAILED"), summary(3, "SUCCEEDED"), summary(4, "RUNNABLE")]
    batch.add_response("list_jobs", {"jobSummaryList": second}, every)
    batch.add_response(
        "describe_jobs", {"jobs": [detail("id-3"), detail("id-4", "RUNNABLE")]}, {"jobs": ["id-3", "id-4"]}
    )
    third = [summary(1), summary(2, "FAILED"), summary(3), summary(4, "SUCCEEDED")]
    batch.add_response("list_jobs", {"jobSummaryList": third}, every)
    batch.add_response("describe_jobs", {"jobs": [detail("id-4")]}, {"jobs": ["id-4"]})

    assert [r.status for r in api.jobs(all_statuses=True, all_users=True)] == ["SUCCEEDED", "FAILED", "RUNNING"]
    assert [r.status for r in api.jobs(all_statuses=True, all_users=True)] == [
        "SUCCEEDED",
        "FAILED",
        "SUCCEEDED",
        "RUNNABLE",
    ]
    assert [r.id for r in api.jobs(all_statuses=True, all_users=True)] == ["id-1", "id-2", "id-3", "id-4"]


def test_a_name_filter_reads_every_status_in_one_pass(api: Batchctl, aws: StubAws) -> None:
    batch = aws.stub("batch")
    batch.add_response(
        "list_jobs",
        {
            "jobSummaryList": [
                summary(1, "RUNNING", "hello"),
                summary(2, "FAILED", "hello"),
                summary(3, "SUCCEEDED", "hello-array"),  # the prefix matches, the name does not
                {**summary(4, "RUNNING", "hello"), "jobId": "id-1:0"},  # an array child: never listed
            ]
        },
        {"jobQueue": QUEUE, "filters": [{"name": "JOB_NAME", "values": ["hello*"]}], "maxResults": 1000},
    )
    batch.add_response(
        "describe_jobs", {"jobs": [detail("id-1", "RUNNING"), detail("id-2", "FAILED")]}, {"jobs": ["id-1", "id-2"]}
    )
    records = api.jobs(name="hello", all_statuses=True)
    assert [record.id for record in records] == ["id-1", "id-2"]


def test_active_jobs_of_the_current_user_one_pass_per_status(api: Batchctl, aws: StubAws) -> None:
    batch = aws.stub("batch")
    for status in ("SUBMITTED", "PENDING", "RUNNABLE", "STARTING", "RUNNING"):
        jobs = [summary(1, "RUNNABLE"), summary(2, "RUNNABLE")] if status == "RUNNABLE" else []
        batch.add_response(
            "list_jobs", {"jobSummaryList": jobs}, {"jobQueue": QUEUE, "jobStatus": status, "maxResults": 1000}
        )
    batch.add_response(
        "describe_jobs",
        {"jobs": [detail("id-1", "RUNNABLE", user="alice"), detail("id-2", "RUNNABLE", user="bob")]},
        {"jobs": ["id-1", "id-2"]},
    )
    records = api.jobs()
    assert [(record.id, record.user) for record in records] == [("id-1", "alice")]


def test_since_drops_older_jobs_before_describing_them(api: Batchctl, aws: StubAws) -> None:
    batch = aws.stub("batch")
    since = datetime.fromtimestamp((T0 + 5) / 1000, tz=UTC)
    batch.add_response(
        "list_jobs",
        {"jobSummaryList": [summary(1), summary(9000)]},
        {"jobQueue": QUEUE, "filters": [{"name": "AFTER_CREATED_AT", "values": [str(T0 + 5)]}], "maxResults": 1000},
    )
    batch.add_response("describe_jobs", {"jobs": [detail("id-9000")]}, {"jobs": ["id-9000"]})
    assert [record.id for record in api.jobs(since=since, all_statuses=True)] == ["id-9000"]


# -- submit: one SubmitJob per job, never a duplicate ------------------------------------------------------------


class FakeBatch:
    """Batch with scripted SubmitJob outcomes and a job list to look names up in."""

    def __init__(self, outcomes: list[str | Exception], existing: dict[str, str] | None = None) -> None:
        self.outcomes = outcomes
        self.existing = existing or {}
        self.calls: list[str] = []

    def submit_job(self, request: dict[str, Any]) -> str:
        self.calls.append("SubmitJob")
        outcome = self.outcomes.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    def list_jobs(self, queue: str, **kwargs: Any) -> Iterator[list[dict[str, Any]]]:
        self.calls.append("ListJobs")
        (name,) = kwargs["filters"][0]["values"]
        yield [{"jobId": job_id, "jobName": job_name} for job_name, job_id in self.existing.items() if job_name == name]


REQUEST = {"jobName": "hello-0a1b2c3d", "jobQueue": QUEUE, "jobDefinition": DEFINITION}


def test_an_unclear_failure_is_looked_up_before_submitting_again() -> None:
    batch = FakeBatch([UncertainSubmission("timed out")], existing={"hello-0a1b2c3d": "id-created"})
    sleeps: list[float] = []
    assert submit_once(batch, REQUEST, sleeps.append) == "id-created"  # type: ignore[arg-type]
    assert batch.calls == ["SubmitJob", "ListJobs"]
    assert len(sleeps) == 1


def test_a_job_that_was_not_created_is_submitted_again() -> None:
    batch = FakeBatch([UncertainSubmission("timed out"), "id-second"])
    assert submit_once(batch, REQUEST, lambda seconds: None) == "id-second"  # type: ignore[arg-type]
    assert batch.calls == ["SubmitJob", "ListJobs", "SubmitJob"]


def test_giving_up_says_how_to_check() -> None:
    batch = FakeBatch([UncertainSubmission("SubmitJob hello-0a1b2c3d: no answer") for _ in range(5)])
    with pytest.raises(AwsError) as caught:
        submit_once(batch, REQUEST, lambda seconds: None)  # type: ignore[arg-type]
    assert caught.value.message == "SubmitJob hello-0a1b2c3d: no answer; gave up after 5 attempts"
    assert batch.calls.count("SubmitJob") == 5


def test_the_retry_hook_surfaces_what_could_duplicate_a_job() -> None:
    with pytest.raises(ReadTimeoutError):
        _surface_uncertain_submit_failures(caught_exception=ReadTimeoutError(endpoint_url="http://x"))
    assert _surface_uncertain_submit_failures(caught_exception=ConnectTimeoutError(endpoint_url="http://x")) is None

    class Http:
        def __init__(self, status: int) -> None:
            self.status_code = status

    error = {"Error": {"Code": "ServerException", "Message": "boom"}}
    with pytest.raises(ClientError):
        _surface_uncertain_submit_failures(response=(Http(500), error))
    throttled = {"Error": {"Code": "TooManyRequestsException", "Message": "slow down"}}
    with pytest.raises(ClientError):  # the submitter's shared rate limiter answers throttling, not botocore
        _surface_uncertain_submit_failures(response=(Http(429), throttled))
    assert _surface_uncertain_submit_failures(response=(Http(200), {})) is None


def test_submitting_a_file_fills_in_dependency_ids(api: Batchctl, aws: StubAws, tmp_path: Any) -> None:
    path = tmp_path / "jobs.yaml"
    path.write_text(
        "jobs:\n  - {name: b, queue: cpu, definition: helloworld, depends_on: [a]}\n"
        "  - {name: a, queue: cpu, definition: helloworld}\n"
    )
    batch = aws.stub("batch")
    stub_preflight(batch)
    response = {"jobName": "x", "jobId": "id-a"}
    batch.add_response("submit_job", response, {**_submit_params("a")})
    batch.add_response(
        "submit_job", {**response, "jobId": "id-b"}, {**_submit_params("b"), "dependsOn": [{"jobId": "id-a"}]}
    )
    result = api.submit(path)
    assert [(job.name, job.job_id) for job in result.jobs] == [("a", "id-a"), ("b", "id-b")]
    assert result.jobs[0].submission_name == f"a-{result.submission_id}"


COMPUTE_ENVIRONMENT = f"{ARN}:compute-environment/demo-cpu-spot"


def stub_preflight(batch: Stubber, max_vcpus: int = 16) -> None:
    """The look-ups made before the first SubmitJob: the queue, the definition, the queue's compute environments."""
    batch.add_response(
        "describe_job_queues",
        {
            "jobQueues": [
                {
                    "jobQueueName": "demo-cpu",
                    "jobQueueArn": QUEUE,
                    "state": "ENABLED",
                    "priority": 1,
                    "computeEnvironmentOrder": [{"order": 1, "computeEnvironment": COMPUTE_ENVIRONMENT}],
                }
            ]
        },
        {"jobQueues": [QUEUE]},
    )
    batch.add_response(
        "describe_job_definitions",
        {
            "jobDefinitions": [
                {
                    "jobDefinitionName": "demo-helloworld",
                    "jobDefinitionArn": DEFINITION,
                    "revision": 1,
                    "type": "container",
                    "status": "ACTIVE",
                    "containerProperties": {
                        "resourceRequirements": [{"type": "VCPU", "value": "1"}, {"type": "MEMORY", "value": "512"}]
                    },
                }
            ]
        },
        {"jobDefinitions": [DEFINITION]},
    )
    batch.add_response(
        "describe_compute_environments",
        {
            "computeEnvironments": [
                {
                    "computeEnvironmentName": "demo-cpu-spot",
                    "computeEnvironmentArn": COMPUTE_ENVIRONMENT,
                    "type": "MANAGED",
                    "computeResources": {
                        "type": "SPOT",
                        "maxvCpus": max_vcpus,
                        "instanceTypes": ["m6i"],
                        "subnets": ["subnet-1"],
                    },
                }
            ]
        },
        {"computeEnvironments": [COMPUTE_ENVIRONMENT]},
    )


def test_a_job_larger_than_its_queue_is_refused_before_any_submit(api: Batchctl, aws: StubAws, tmp_path: Any) -> None:
    path = tmp_path / "jobs.yaml"
    path.write_text(
        "jobs:\n  - {name: a, queue: cpu, definition: helloworld}\n"
        "  - {name: big, queue: cpu, definition: helloworld, vcpus: 64}\n"
    )
    stub_preflight(aws.stub("batch"))
    with pytest.raises(BatchctlError) as raised:
        api.submit(path)
    message = raised.value.message
    assert message.startswith(f'{path}:3: job "big": vcpus: no compute environment of queue demo-cpu')
    assert "demo-cpu-spot: at most 16 vCPUs (max_vcpus), 64 asked" in message
    assert "--force" in (raised.value.hint or "")


def _submit_params(name: str) -> dict[str, Any]:
    return {
        "jobName": ANY,
        "jobQueue": QUEUE,
        "jobDefinition": DEFINITION,
        "containerOverrides": {"environment": [{"name": "BATCHCTL_JOB_NAME", "value": name}]},
        "tags": ANY,
        "propagateTags": True,
    }


def test_a_dry_run_calls_nothing(tmp_path: Any) -> None:
    path = tmp_path / "jobs.yaml"
    path.write_text("jobs:\n  - {name: a, queue: cpu, definition: helloworld}\n")

    def no_aws() -> Any:
        raise AssertionError("a dry run must not create AWS clients")

    api = Batchctl(ClusterConfig.model_validate(DEMO_CONFIG), no_aws, user="alice")
    result = api.submit(path, dry_run=True)
    assert result.requests[0]["jobQueue"] == "<output QueueCpu>"
    assert result.jobs == []


# -- show, logs, cancel ----------------------------------------------------------------------------------------


def test_a_job_that_does_not_exist(api: Batchctl, aws: StubAws) -> None:
    aws.stub("batch").add_response("describe_jobs", {"jobs": []}, {"jobs": ["nope"]})
    with pytest.raises(NotFoundError) as caught:
        api.show("nope")
    assert caught.value.message == "job nope not found in AWS us-east-1"


def test_show_gives_the_log_stream_and_output_prefix(api: Batchctl, aws: StubAws) -> None:
    container = {"logStreamName": "helloworld/default/t1", "exitCode": 0, "environment": []}
    batch = aws.stub("batch")
    batch.add_response("describe_jobs", {"jobs": [detail("id-1", container=container)]}, {"jobs": ["id-1"]})
    # A finished job's resubmissions are found with one ListJobs call by name prefix.
    by_name = {"jobQueue": QUEUE, "filters": [{"name": "JOB_NAME", "values": ["job-0a1b2c3d-r*"]}], "maxResults": 1000}
    batch.add_response("list_jobs", {"jobSummaryList": []}, by_name)
    view = api.show("id-1")
    assert (view.queue, view.definition, view.log_group) == ("cpu", "helloworld", "/demo/job/helloworld")
    assert view.output_url == "s3://demo-outputs/job/id-1/"
    assert view.job.log_stream == "helloworld/default/t1"
    assert (view.resubmissions, view.resubmissions_unknown) == ([], None)
    batch.assert_no_pending_responses()


def test_logs_of_a_job_that_has_not_started(api: Batchctl, aws: StubAws) -> None:
    aws.stub("batch").add_response("describe_jobs", {"jobs": [detail("id-1", "RUNNABLE")]}, {"jobs": ["id-1"]})
    source = api.log_source("id-1")
    assert source.stream is None
    assert source.waiting_message == "job id-1 is RUNNABLE: no logs yet"
    assert list(api.read_logs(source)) == []


def test_logs_of_an_array_need_an_index(api: Batchctl, aws: StubAws) -> None:
    parent = detail("id-1", "PENDING", arrayProperties={"size": 3, "statusSummary": {"RUNNING": 3}})
    aws.stub("batch").add_response("describe_jobs", {"jobs": [parent]}, {"jobs": ["id-1"]})
    with pytest.raises(BatchctlError, match=r"job id-1 is an array of 3 children: choose one"):
        api.log_source("id-1")


def test_logs_are_read_until_the_stream_is_drained(api: Batchctl, aws: StubAws) -> None:
    container = {"logStreamName": "helloworld/default/t1"}
    aws.stub("batch").add_response("describe_jobs", {"jobs": [detail("id-1", container=container)]}, {"jobs": ["id-1"]})
    logs = aws.stub("logs")
    where = {"logGroupName": "/demo/job/helloworld", "logStreamName": "helloworld/default/t1", "startFromHead": True}
    logs.add_response("get_log_events", {"events": [_event("one"), _event("two")], "nextForwardToken": "f/2"}, where)
    logs.add_response("get_log_events", {"events": [], "nextForwardToken": "f/2"}, {**where, "nextToken": "f/2"})
    assert [event.message for event in api.logs("id-1")] == ["one", "two"]


def test_follow_waits_for_the_start_and_drains_after_the_end(api: Batchctl, aws: StubAws) -> None:
    batch = aws.stub("batch")
    logs = aws.stub("logs")
    stream = {"logStreamName": "helloworld/default/t1"}
    where = {"logGroupName": "/demo/job/helloworld", "logStreamName": "helloworld/default/t1", "startFromHead": True}
    batch.add_response("describe_jobs", {"jobs": [detail("id-1", "RUNNABLE")]}, {"jobs": ["id-1"]})  # array?
    batch.add_response("describe_jobs", {"jobs": [detail("id-1", "RUNNABLE")]}, {"jobs": ["id-1"]})
    batch.add_response("describe_jobs", {"jobs": [detail("id-1", "RUNNING", container=stream)]}, {"jobs": ["id-1"]})
    logs.add_response("get_log_events", {"events": [_event("a")], "nextForwardToken": "f/1"}, where)
    logs.add_response("get_log_events", {"events": [], "nextForwardToken": "f/1"}, {**where, "nextToken": "f/1"})
    batch.add_response("describe_jobs", {"jobs": [detail("id-1", "SUCCEEDED", container=stream)]}, {"jobs": ["id-1"]})
    logs.add_response(
        "get_log_events", {"events": [_event("b")], "nextForwardToken": "f/2"}, {**where, "nextToken": "f/1"}
    )
    logs.add_response("get_log_events", {"events": [], "nextForwardToken": "f/2"}, {**where, "nextToken": "f/2"})
    batch.add_response("describe_jobs", {"jobs": [detail("id-1", "SUCCEEDED", container=stream)]}, {"jobs": ["id-1"]})
    logs.add_response("get_log_events", {"events": [], "nextForwardToken": "f/2"}, {**where, "nextToken": "f/2"})
    items = list(api.follow_logs("id-1"))
    assert [(type(item).__name__, item.text if isinstance(item, Notice) else item.event.message) for item in items] == [
        ("Notice", "RUNNABLE"),
        ("Notice", "RUNNING"),
        ("LogLine", "a"),
        ("LogLine", "b"),
        ("Notice", "SUCCEEDED"),
    ]
    assert all(isinstance(item, LogLine | Notice) for item in items)


def test_cancel_or_terminate_by_state(api: Batchctl, aws: StubAws) -> None:
    batch = aws.stub("batch")
    ids = ["waiting", "running", "done", "array-running", "array-waiting"]
    batch.add_response(
        "describe_jobs",
        {
            "jobs": [
                detail("waiting", "RUNNABLE"),
                detail("running", "RUNNING"),
                detail("done", "SUCCEEDED"),
                detail(
                    "array-running",
                    "PENDING",
                    arrayProperties={"size": 3, "statusSummary": {"RUNNING": 1, "RUNNABLE": 2}},
                ),
                detail("array-waiting", "PENDING", arrayProperties={"size": 2, "statusSummary": {"RUNNABLE": 2}}),
            ]
        },
        {"jobs": ids},
    )
    reason = {"reason": "cancelled by alice with batchctl"}
    batch.add_response("cancel_job", {}, {"jobId": "waiting", **reason})
    batch.add_response("terminate_job", {}, {"jobId": "running", **reason})
    batch.add_response("terminate_job", {}, {"jobId": "array-running", **reason})
    batch.add_response("cancel_job", {}, {"jobId": "array-waiting", **reason})
    outcomes = api.cancel(ids)
    assert [(o.job_id, o.action) for o in outcomes] == [
        ("waiting", "cancelled"),
        ("running", "terminated"),
        ("done", "unchanged"),
        ("array-running", "terminated"),
        ("array-waiting", "cancelled"),
    ]
    assert outcomes[3].detail == "array of 3: 1 running, 2 not started (all end with it)"


def test_cancel_touches_nothing_when_a_job_is_missing(api: Batchctl, aws: StubAws) -> None:
    aws.stub("batch").add_response("describe_jobs", {"jobs": [detail("a", "RUNNABLE")]}, {"jobs": ["a", "missing"]})
    with pytest.raises(NotFoundError, match="job missing not found in AWS us-east-1"):
        api.cancel(["a", "missing"])


# -- queues, outputs, wait -------------------------------------------------------------------------------------


def test_queues_with_their_environments_and_job_counts(api: Batchctl, aws: StubAws) -> None:
    batch = aws.stub("batch")
    ce = f"{ARN}:compute-environment/demo-cpu-spot"
    batch.add_response(
        "describe_job_queues",
        {
            "jobQueues": [
                {
                    "jobQueueName": "demo-cpu",
                    "jobQueueArn": QUEUE,
                    "state": "ENABLED",
                    "status": "VALID",
                    "priority": 1,
                    "computeEnvironmentOrder": [{"order": 1, "computeEnvironment": ce}],
                }
            ]
        },
        {"jobQueues": [QUEUE]},
    )
    batch.add_response(
        "describe_compute_environments",
        {
            "computeEnvironments": [
                {
                    "computeEnvironmentName": "demo-cpu-spot",
                    "computeEnvironmentArn": ce,
                    "state": "ENABLED",
                    "status": "VALID",
                }
            ]
        },
        {"computeEnvironments": [ce]},
    )
    batch.add_response(
        "list_jobs",
        {"jobSummaryList": [summary(1, "RUNNING"), summary(2, "RUNNING"), summary(3, "FAILED")]},
        {"jobQueue": QUEUE, "filters": [{"name": "AFTER_CREATED_AT", "values": ["0"]}], "maxResults": 1000},
    )
    (view,) = api.queues()
    assert (view.name, view.state, view.status, view.priority) == ("cpu", "ENABLED", "VALID", 1)
    assert [(ce.order, ce.name, ce.state) for ce in view.compute_environments] == [(1, "demo-cpu-spot", "ENABLED")]
    assert view.jobs["RUNNING"] == 2 and view.jobs["FAILED"] == 1 and view.jobs["SUCCEEDED"] == 0


def test_outputs_of_an_array_list_every_child(api: Batchctl, aws: StubAws) -> None:
    parent = detail("id-1", arrayProperties={"size": 2, "statusSummary": {"SUCCEEDED": 2}})
    aws.stub("batch").add_response("describe_jobs", {"jobs": [parent]}, {"jobs": ["id-1"]})
    aws.stub("s3").add_response(
        "list_objects_v2",
        {"Contents": [{"Key": "job/id-1/0/hello.txt", "Size": 5}, {"Key": "job/id-1/1/hello.txt", "Size": 6}]},
        {"Bucket": "demo-outputs", "Prefix": "job/id-1/"},
    )
    listing = api.outputs("id-1")
    assert listing.url == "s3://demo-outputs/job/id-1/"
    assert [(f.relative, f.size) for f in listing.files] == [("0/hello.txt", 5), ("1/hello.txt", 6)]


def test_wait_polls_until_every_job_has_finished(api: Batchctl, aws: StubAws) -> None:
    batch = aws.stub("batch")
    batch.add_response(
        "describe_jobs", {"jobs": [detail("a", "RUNNING"), detail("b", "SUCCEEDED")]}, {"jobs": ["a", "b"]}
    )
    batch.add_response(
        "describe_jobs", {"jobs": [detail("a", "FAILED", statusReason="Essential container exited")]}, {"jobs": ["a"]}
    )
    seen: list[list[str]] = []
    records = api.wait(["a", "b"], lambda records: seen.append([r.status for r in records]))
    assert [r.status for r in records] == ["FAILED", "SUCCEEDED"]
    assert seen == [["RUNNING", "SUCCEEDED"], ["FAILED", "SUCCEEDED"]]


def _event(message: str) -> dict[str, Any]:
    return {"timestamp": T0, "message": message, "ingestionTime": T0}


def test_batch_wrapper_maps_errors() -> None:
    client = boto3.client("batch", region_name="us-east-1", aws_access_key_id="t", aws_secret_access_key="t")
    with Stubber(client) as stub:
        stub.add_client_error("cancel_job", "ClientException", "Job x not found", 400)
        with pytest.raises(AwsError, match=r"CancelJob failed \(ClientException\): Job x not found"):
            Batch(client).cancel_job("x", "because")
