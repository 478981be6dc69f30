"""`resubmit` over stubbed AWS clients (botocore Stubber): every AWS call is expected, in order, with its exact
parameters, so these pin the requests and the number of calls as well as the refusals and `show`'s links.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from botocore.stub import Stubber
from tests.helpers import DEMO_CONFIG, run_cli, write_yaml
from tests.stub_aws import StubAws, stub_with_stack_outputs

from batchctl.api import Batchctl
from batchctl.aws.batch import Batch
from batchctl.cli.context import AppContext
from batchctl.config import ClusterConfig
from batchctl.errors import BatchctlError, NotFoundError
from batchctl.jobs.lookups import output_url
from batchctl.jobs.records import JobRecord
from batchctl.jobs.resubmit import Coverage, format_indices, resubmission_request, resubmit_job

ARN = "arn:aws:batch:us-east-1:123456789012"
QUEUE = f"{ARN}:job-queue/demo-cpu"
DEFINITION = f"{ARN}:job-definition/demo-helloworld:3"
OUTPUTS = {
    "QueueCpu": QUEUE,
    "JobDefinitionHelloworld": DEFINITION,
    "LogGroupHelloworld": "/demo/job/helloworld",
    "BucketOutputs": "demo-outputs",
}
T0 = int(datetime(2026, 1, 2, tzinfo=UTC).timestamp() * 1000)
AWS_NAME = "flaky-0a1b2c3d"
PREFIX = "s3://demo-outputs/flaky/orig/"
COMMAND = ["python3", "/app/hello.py", "--greeting", "hi"]
LIST_BY_NAME = {"jobQueue": QUEUE, "filters": [{"name": "JOB_NAME", "values": [f"{AWS_NAME}-r*"]}], "maxResults": 1000}
LIST_FAILED = {"arrayJobId": "orig", "jobStatus": "FAILED", "maxResults": 1000}


@pytest.fixture
def aws() -> Iterator[StubAws]:
    stub = stub_with_stack_outputs(OUTPUTS)
    yield stub
    stub.stub("batch").assert_no_pending_responses()


@pytest.fixture
def api(aws: StubAws) -> Batchctl:
    return Batchctl(ClusterConfig.model_validate(DEMO_CONFIG), aws, user="bob", poll_seconds=0)  # type: ignore[arg-type]


def original(
    job_id: str = "orig",
    status: str = "FAILED",
    *,
    size: int | None = 5,
    failed: int = 2,
    environment: dict[str, str] | None = None,
    tags: dict[str, str] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """DescribeJobs' detail of a batchctl job (an array of `size`, or a plain job for size None)."""
    env = {
        "BATCHCTL_CLUSTER": "demo",
        "BATCHCTL_OUTPUTS_BUCKET": "demo-outputs",
        "BATCHCTL_JOB_NAME": "flaky",
        "GREETING_NAME": "world",
        "AWS_BATCH_JOB_ID": job_id,  # the emulator reports it; SubmitJob would refuse it
        **(environment or {}),
    }
    detail: dict[str, Any] = {
        "jobId": job_id,
        "jobName": AWS_NAME,
        "jobQueue": QUEUE,
        "jobDefinition": DEFINITION,
        "status": status,
        "createdAt": T0,
        "startedAt": T0,
        "container": {
            "command": COMMAND,
            "environment": [{"name": key, "value": value} for key, value in env.items()],
            "resourceRequirements": [{"type": "VCPU", "value": "1"}, {"type": "MEMORY", "value": "1024"}],
        },
        "timeout": {"attemptDurationSeconds": 600},
        "retryStrategy": {"attempts": 2},
        "propagateTags": True,
        "tags": {
            "submitter": "alice",
            "batchctl:job": "flaky",
            "batchctl:submission": "0a1b2c3d",
            "project": "demo",
            **(tags or {}),
        },
        **extra,
    }
    if size is not None:
        summary = {"SUCCEEDED": size - failed, "FAILED": failed} if status in ("FAILED", "SUCCEEDED") else {}
        detail["arrayProperties"] = {"size": size, "statusSummary": summary}
    return detail


def child(parent: str, index: int, status: str = "FAILED") -> dict[str, Any]:
    return {
        "jobId": f"{parent}:{index}",
        "jobName": AWS_NAME,
        "status": status,
        "createdAt": T0,
        "arrayProperties": {"index": index},
    }


def expected_request(**changes: Any) -> dict[str, Any]:
    """The resubmission of `original()` re-running its children 1 and 3."""
    request: dict[str, Any] = {
        "jobName": f"{AWS_NAME}-r1",
        "jobQueue": QUEUE,
        "jobDefinition": DEFINITION,
        "containerOverrides": {
            "command": COMMAND,
            "environment": [
                {"name": "BATCHCTL_CLUSTER", "value": "demo"},
                {"name": "BATCHCTL_OUTPUTS_BUCKET", "value": "demo-outputs"},
                {"name": "BATCHCTL_JOB_NAME", "value": "flaky"},
                {"name": "GREETING_NAME", "value": "world"},
                {"name": "BATCHCTL_INDEX_MAP", "value": "1,3"},
                {"name": "BATCHCTL_OUTPUT_PREFIX", "value": PREFIX},
            ],
            "resourceRequirements": [{"type": "VCPU", "value": "1"}, {"type": "MEMORY", "value": "1024"}],
        },
        "tags": {
            "submitter": "bob",
            "batchctl:job": "flaky",
            "batchctl:submission": "0a1b2c3d",
            "project": "demo",
            "batchctl:resubmit-of": "orig",
            "batchctl:resubmit-indices": "1 3",
        },
        "propagateTags": True,
        "arrayProperties": {"size": 2},
        "timeout": {"attemptDurationSeconds": 600},
        "retryStrategy": {"attempts": 2},
    }
    request.update(changes)
    return request


def expect_original(aws: StubAws, detail: dict[str, Any]) -> Stubber:
    batch = aws.stub("batch")
    batch.add_response("describe_jobs", {"jobs": [detail]}, {"jobs": [detail["jobId"]]})
    return batch


# -- the acceptance case and its variants -----------------------------------------------------------------------


def test_failed_only_reruns_exactly_the_failed_children_as_a_new_array(api: Batchctl, aws: StubAws) -> None:
    batch = expect_original(aws, original())
    batch.add_response("list_jobs", {"jobSummaryList": [child("orig", 1), child("orig", 3)]}, LIST_FAILED)
    batch.add_response("list_jobs", {"jobSummaryList": []}, LIST_BY_NAME)
    batch.add_response("submit_job", {"jobName": f"{AWS_NAME}-r1", "jobId": "new"}, expected_request())

    result = api.resubmit("orig", failed_only=True)

    assert result.indices == [1, 3]
    assert result.job is not None
    assert (result.job.job_id, result.job.array_size, result.job.name) == ("new", 2, "flaky")
    # Four Batch calls in all: DescribeJobs, ListJobs of the failed children, ListJobs by name, SubmitJob.


def test_one_failed_child_runs_as_a_plain_job_standing_for_its_index(api: Batchctl, aws: StubAws) -> None:
    batch = expect_original(aws, original(failed=1))
    batch.add_response("list_jobs", {"jobSummaryList": [child("orig", 3)]}, LIST_FAILED)
    batch.add_response("list_jobs", {"jobSummaryList": []}, LIST_BY_NAME)
    request = expected_request()
    del request["arrayProperties"]
    request["containerOverrides"]["environment"][4] = {"name": "BATCHCTL_INDEX_MAP", "value": "3"}
    request["tags"]["batchctl:resubmit-indices"] = "3"
    batch.add_response("submit_job", {"jobName": f"{AWS_NAME}-r1", "jobId": "new"}, request)

    result = api.resubmit("orig", failed_only=True)

    assert result.indices == [3]
    assert result.job is not None and result.job.array_size is None


def test_the_number_follows_the_resubmissions_already_made(api: Batchctl, aws: StubAws) -> None:
    batch = expect_original(aws, original())
    batch.add_response("list_jobs", {"jobSummaryList": [child("orig", 1), child("orig", 3)]}, LIST_FAILED)
    earlier = [
        {"jobId": "r1", "jobName": f"{AWS_NAME}-r1", "status": "FAILED"},
        {"jobId": "r1r1", "jobName": f"{AWS_NAME}-r1-r1", "status": "SUCCEEDED"},  # a resubmission of r1
        {"jobId": "r2", "jobName": f"{AWS_NAME}-r2", "status": "FAILED"},
        {"jobId": "r2:0", "jobName": f"{AWS_NAME}-r2", "status": "FAILED"},  # a child
    ]
    batch.add_response("list_jobs", {"jobSummaryList": earlier}, LIST_BY_NAME)
    batch.add_response("submit_job", {"jobName": "x", "jobId": "new"}, expected_request(jobName=f"{AWS_NAME}-r3"))
    assert api.resubmit("orig", failed_only=True).request["jobName"] == f"{AWS_NAME}-r3"


def test_without_failed_only_the_whole_array_runs_again_in_place(api: Batchctl, aws: StubAws) -> None:
    batch = expect_original(aws, original())
    batch.add_response("list_jobs", {"jobSummaryList": []}, LIST_BY_NAME)  # no ListJobs of the failed children
    request = expected_request(arrayProperties={"size": 5})
    del request["containerOverrides"]["environment"][4]  # no index map: child i is index i
    request["tags"]["batchctl:resubmit-indices"] = "0-4"
    batch.add_response("submit_job", {"jobName": "x", "jobId": "new"}, request)
    assert api.resubmit("orig").indices == [0, 1, 2, 3, 4]


def test_a_failed_plain_job_runs_again_whole(api: Batchctl, aws: StubAws) -> None:
    batch = expect_original(aws, original(size=None))
    batch.add_response("list_jobs", {"jobSummaryList": []}, LIST_BY_NAME)
    request = expected_request()
    del request["arrayProperties"], request["tags"]["batchctl:resubmit-indices"]
    del request["containerOverrides"]["environment"][4]
    batch.add_response("submit_job", {"jobName": "x", "jobId": "new"}, request)
    result = api.resubmit("orig", failed_only=True)
    assert result.indices is None


def test_a_resubmission_resubmitted_composes_the_map_and_keeps_the_prefix(api: Batchctl, aws: StubAws) -> None:
    first = original(
        "rerun",
        size=3,
        environment={"BATCHCTL_INDEX_MAP": "1,3,4", "BATCHCTL_OUTPUT_PREFIX": PREFIX},
        tags={"batchctl:resubmit-of": "orig", "batchctl:resubmit-indices": "1 3-4"},
    )
    batch = expect_original(aws, first)
    batch.add_response(
        "list_jobs",
        {"jobSummaryList": [child("rerun", 1), child("rerun", 2)]},
        {**LIST_FAILED, "arrayJobId": "rerun"},
    )
    batch.add_response("list_jobs", {"jobSummaryList": []}, LIST_BY_NAME)
    request = expected_request()
    request["containerOverrides"]["environment"][4:] = [
        {"name": "BATCHCTL_OUTPUT_PREFIX", "value": PREFIX},  # kept where it was
        {"name": "BATCHCTL_INDEX_MAP", "value": "3,4"},
    ]
    request["tags"].update({"batchctl:resubmit-of": "rerun", "batchctl:resubmit-indices": "3-4"})
    batch.add_response("submit_job", {"jobName": "x", "jobId": "new"}, request)
    assert api.resubmit("rerun", failed_only=True).indices == [3, 4]


def test_share_priority_parameters_and_sequential_order_are_carried_over(api: Batchctl, aws: StubAws) -> None:
    detail = original(
        shareIdentifier="teamA",
        schedulingPriority=7,
        parameters={"size": "big"},
        dependsOn=[{"type": "SEQUENTIAL"}, {"jobId": "upstream"}],
    )
    batch = expect_original(aws, detail)
    batch.add_response("list_jobs", {"jobSummaryList": [child("orig", 1), child("orig", 3)]}, LIST_FAILED)
    batch.add_response("list_jobs", {"jobSummaryList": []}, LIST_BY_NAME)
    request = expected_request(
        shareIdentifier="teamA",
        schedulingPriorityOverride=7,
        parameters={"size": "big"},
        dependsOn=[{"type": "SEQUENTIAL"}],  # the upstream job has run already
    )
    batch.add_response("submit_job", {"jobName": "x", "jobId": "new"}, request)
    api.resubmit("orig", failed_only=True)


def test_an_unclear_submit_is_looked_up_by_name_not_sent_twice(aws: StubAws) -> None:
    batch = expect_original(aws, original())
    batch.add_response("list_jobs", {"jobSummaryList": [child("orig", 1), child("orig", 3)]}, LIST_FAILED)
    batch.add_response("list_jobs", {"jobSummaryList": []}, LIST_BY_NAME)
    batch.add_client_error("submit_job", "ServerException", "boom", 500, expected_params=expected_request())
    found = {"jobId": "created", "jobName": f"{AWS_NAME}-r1", "status": "SUBMITTED"}
    exact = {**LIST_BY_NAME, "filters": [{"name": "JOB_NAME", "values": [f"{AWS_NAME}-r1"]}]}
    batch.add_response("list_jobs", {"jobSummaryList": [found]}, exact)
    resolver = Batchctl(ClusterConfig.model_validate(DEMO_CONFIG), aws).resolver()  # type: ignore[arg-type]
    result = resubmit_job(
        Batch(aws.client("batch")), resolver, "orig", "here", "bob", failed_only=True, sleep=lambda _: None
    )
    assert result.job is not None and result.job.job_id == "created"


def test_a_dry_run_reads_the_original_and_submits_nothing(api: Batchctl, aws: StubAws) -> None:
    batch = expect_original(aws, original())
    batch.add_response("list_jobs", {"jobSummaryList": [child("orig", 1), child("orig", 3)]}, LIST_FAILED)
    batch.add_response("list_jobs", {"jobSummaryList": []}, LIST_BY_NAME)
    result = api.resubmit("orig", failed_only=True, dry_run=True)  # a SubmitJob would fail: none is stubbed
    assert result.dry_run and result.job is None
    assert result.request == expected_request()


# -- refusals ------------------------------------------------------------------------------------------------------


def test_a_job_that_does_not_exist(api: Batchctl, aws: StubAws) -> None:
    aws.stub("batch").add_response("describe_jobs", {"jobs": []}, {"jobs": ["nope"]})
    with pytest.raises(NotFoundError) as caught:
        api.resubmit("nope", failed_only=True)
    assert caught.value.message == "job nope not found in AWS us-east-1"


@pytest.mark.parametrize(
    ("detail", "message"),
    [
        (original(size=None, status="RUNNING"), "job orig is RUNNING: wait for it to finish (batchctl logs orig -f)"),
        (original(status="PENDING"), "job orig is PENDING: wait for it to finish (batchctl show orig)"),
        (original(status="SUCCEEDED", failed=0), "nothing to resubmit: all 5 children SUCCEEDED"),
        (original(size=None, status="SUCCEEDED"), "nothing to resubmit: job orig SUCCEEDED"),
        (
            {**original(size=None), "jobId": "orig:3", "arrayProperties": {"index": 3}},
            "job orig:3 is a child of array orig: resubmit the array",
        ),
        ({**original(size=None), "jobId": "orig:3"}, "job orig:3 is a child of array orig: resubmit the array"),
    ],
)
def test_refusals_are_one_line_and_cost_one_call(
    api: Batchctl, aws: StubAws, detail: dict[str, Any], message: str
) -> None:
    expect_original(aws, detail)  # nothing else is stubbed: a ListJobs or SubmitJob would fail the test
    with pytest.raises(BatchctlError) as caught:
        api.resubmit(detail["jobId"], failed_only=True)
    assert caught.value.message == message


def test_a_failed_parent_whose_children_are_not_listed_as_failed(api: Batchctl, aws: StubAws) -> None:
    batch = expect_original(aws, original())
    batch.add_response("list_jobs", {"jobSummaryList": []}, LIST_FAILED)
    with pytest.raises(BatchctlError, match=r"^nothing to resubmit: no child of job orig FAILED$"):
        api.resubmit("orig", failed_only=True)


def test_a_request_over_awss_size_limit_is_refused() -> None:
    record = JobRecord.from_detail(original(size=10_000, failed=9_000))
    indices = list(range(0, 10_000, 2)) + list(range(1, 10_000, 4))
    coverage = Coverage(sorted(indices), len(indices), sorted(indices))
    with pytest.raises(BatchctlError, match=r"7500 indices are too many for BATCHCTL_INDEX_MAP"):
        resubmission_request(original(), record, coverage, "x-r1", "bob", PREFIX)


def test_a_long_index_list_is_summed_up_in_its_tag() -> None:
    record = JobRecord.from_detail(original(size=1000, failed=500))
    indices = list(range(0, 1000, 2))
    request = resubmission_request(original(), record, Coverage(indices, 500, indices), "x-r1", "bob", PREFIX)
    assert request["tags"]["batchctl:resubmit-indices"] == "500 indices from 0 to 998"


def test_format_indices() -> None:
    assert format_indices([1, 3]) == "1,3"
    assert format_indices([7, 0, 1, 2, 5, 8]) == "0-2,5,7-8"
    assert format_indices([4], " ") == "4"
    assert format_indices([]) == ""


# -- show links both ways ------------------------------------------------------------------------------------------


def test_show_links_the_resubmission_to_the_original(api: Batchctl, aws: StubAws) -> None:
    rerun = original(
        "new",
        "SUCCEEDED",
        size=2,
        failed=0,
        environment={"BATCHCTL_INDEX_MAP": "1,3", "BATCHCTL_OUTPUT_PREFIX": PREFIX},
        tags={"batchctl:resubmit-of": "orig", "batchctl:resubmit-indices": "1 3"},
    )
    rerun["jobName"] = f"{AWS_NAME}-r1"
    batch = expect_original(aws, rerun)
    batch.add_response(
        "list_jobs",
        {"jobSummaryList": []},
        {**LIST_BY_NAME, "filters": [{"name": "JOB_NAME", "values": [f"{AWS_NAME}-r1-r*"]}]},
    )
    view = api.show("new")
    assert (view.resubmit_of, view.resubmit_indices, view.resubmissions) == ("orig", [1, 3], [])
    assert view.output_url == PREFIX


def test_show_links_the_original_to_its_resubmissions(api: Batchctl, aws: StubAws) -> None:
    batch = expect_original(aws, original())
    later = [
        {"jobId": "r2", "jobName": f"{AWS_NAME}-r2", "status": "RUNNING"},
        {"jobId": "r1", "jobName": f"{AWS_NAME}-R1", "status": "SUCCEEDED"},  # JOB_NAME filters ignore case
        {"jobId": "other", "jobName": f"{AWS_NAME}-rerun", "status": "SUCCEEDED"},
        {"jobId": "r1r1", "jobName": f"{AWS_NAME}-r1-r1", "status": "SUCCEEDED"},  # r1's, not this job's
    ]
    batch.add_response("list_jobs", {"jobSummaryList": later}, LIST_BY_NAME)
    view = api.show("orig")
    assert [(item.number, item.job_id, item.status) for item in view.resubmissions] == [
        (1, "r1", "SUCCEEDED"),
        (2, "r2", "RUNNING"),
    ]
    assert view.resubmit_of is None


def test_show_of_an_active_job_looks_for_no_resubmission(api: Batchctl, aws: StubAws) -> None:
    expect_original(aws, original(status="RUNNING"))  # no ListJobs stubbed
    view = api.show("orig")
    assert (view.resubmissions, view.resubmissions_unknown) == ([], None)


def test_show_of_a_child_looks_for_no_resubmission(api: Batchctl, aws: StubAws) -> None:
    expect_original(aws, {**original(size=None), "jobId": "orig:3"})  # no ListJobs stubbed
    view = api.show("orig:3")
    assert (view.resubmissions, view.resubmissions_unknown) == ([], None)


def test_show_still_answers_when_resubmissions_cannot_be_listed(api: Batchctl, aws: StubAws) -> None:
    batch = expect_original(aws, original())
    batch.add_client_error("list_jobs", "AccessDeniedException", "no ListJobs for you", 403)
    view = api.show("orig")
    assert view.resubmissions_unknown is not None and "access denied in ListJobs" in view.resubmissions_unknown


def test_outputs_of_a_resubmissions_child_are_under_its_original_index(api: Batchctl) -> None:
    environment = {"BATCHCTL_INDEX_MAP": "1,3", "BATCHCTL_OUTPUT_PREFIX": PREFIX}
    child_record = JobRecord.from_detail(
        {**original("new:1", size=None, environment=environment), "arrayProperties": {"index": 1}}
    )
    parent = JobRecord.from_detail(original("new", size=2, environment=environment))
    plain = JobRecord.from_detail(original("one", size=None, environment={**environment, "BATCHCTL_INDEX_MAP": "3"}))
    resolver = api.resolver(dry_run=True)
    assert output_url(child_record, resolver) == f"{PREFIX}3/"
    assert output_url(parent, resolver, index=0) == f"{PREFIX}1/"
    assert output_url(parent, resolver) == PREFIX
    assert output_url(plain, resolver) == f"{PREFIX}3/"


# -- the command line ----------------------------------------------------------------------------------------------


@pytest.fixture
def cluster(tmp_path: Path) -> Path:
    return write_yaml(tmp_path / "batchctl.yaml", DEMO_CONFIG)


def test_cli_prints_the_new_id_and_next_commands(
    api: Batchctl, aws: StubAws, cluster: Path, capsys: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    batch = expect_original(aws, original())
    batch.add_response("list_jobs", {"jobSummaryList": [child("orig", 1), child("orig", 3)]}, LIST_FAILED)
    batch.add_response("list_jobs", {"jobSummaryList": []}, LIST_BY_NAME)
    batch.add_response("submit_job", {"jobName": "x", "jobId": "new"}, expected_request())
    monkeypatch.setattr(AppContext, "api", lambda self: api)
    code, out, err = run_cli(["-f", str(cluster), "resubmit", "orig", "--failed-only"], capsys)
    assert (code, out) == (0, ""), err  # messages go to stderr; stdout is for results
    assert "resubmitted flaky orig as new: indices 1,3 as an array of 2" in err
    assert "show new; batchctl -f" in err and "logs new --index 0 -f" in err and "outputs orig" in err


def test_cli_dry_run_as_json(
    api: Batchctl, aws: StubAws, cluster: Path, capsys: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    batch = expect_original(aws, original())
    batch.add_response("list_jobs", {"jobSummaryList": [child("orig", 1), child("orig", 3)]}, LIST_FAILED)
    batch.add_response("list_jobs", {"jobSummaryList": []}, LIST_BY_NAME)
    monkeypatch.setattr(AppContext, "api", lambda self: api)
    code, out, err = run_cli(
        ["-f", str(cluster), "-o", "json", "resubmit", "orig", "--failed-only", "--dry-run"], capsys
    )
    assert code == 0, err
    assert json.loads(out) == {
        "original_id": "orig",
        "name": "flaky",
        "indices": [1, 3],
        "request": expected_request(),
        "job": None,
        "dry_run": True,
    }


def test_cli_refusal_is_one_error_line(
    api: Batchctl, aws: StubAws, cluster: Path, capsys: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    expect_original(aws, original(status="SUCCEEDED", failed=0))
    monkeypatch.setattr(AppContext, "api", lambda self: api)
    code, out, err = run_cli(["-f", str(cluster), "resubmit", "orig", "--failed-only"], capsys)
    assert code == 1 and out == ""
    assert err.splitlines()[0] == "Error: nothing to resubmit: all 5 children SUCCEEDED"


def test_cli_show_prints_both_links(
    api: Batchctl, aws: StubAws, cluster: Path, capsys: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    rerun = original(
        "new",
        "SUCCEEDED",
        size=2,
        failed=0,
        environment={"BATCHCTL_INDEX_MAP": "1,3", "BATCHCTL_OUTPUT_PREFIX": PREFIX},
        tags={"batchctl:resubmit-of": "orig"},
    )
    batch = expect_original(aws, rerun)
    batch.add_response("list_jobs", {"jobSummaryList": []}, LIST_BY_NAME)
    batch.add_response("describe_jobs", {"jobs": [original()]}, {"jobs": ["orig"]})
    batch.add_response(
        "list_jobs",
        {"jobSummaryList": [{"jobId": "new", "jobName": f"{AWS_NAME}-r1", "status": "SUCCEEDED"}]},
        LIST_BY_NAME,
    )
    monkeypatch.setattr(AppContext, "api", lambda self: api)
    code, out, err = run_cli(["-f", str(cluster), "show", "new"], capsys)
    assert code == 0, err
    assert re.search(r"^  resubmit of +orig \(indices 1,3\)$", out, re.MULTILINE), out
    code, out, err = run_cli(["-f", str(cluster), "show", "orig"], capsys)
    assert code == 0, err
    assert re.search(r"^  resubmitted as +new \(SUCCEEDED\)$", out, re.MULTILINE), out


def test_cli_dry_run_and_wait_conflict(cluster: Path, capsys: Any) -> None:
    code, _, err = run_cli(["-f", str(cluster), "resubmit", "orig", "--dry-run", "--wait"], capsys)
    assert code == 2
    assert "give --dry-run or --wait, not both" in err
