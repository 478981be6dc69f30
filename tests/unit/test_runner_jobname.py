"""A job submitted by another tool (no BATCHCTL_JOB_NAME) is named by AWS: DescribeJobs on its own id."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from batchctl.runner import jobname
from batchctl.runner.job import identify_job, output_location

BASE = {"BATCHCTL_OUTPUTS_BUCKET": "out", "AWS_BATCH_JOB_ID": "abc-123"}


class Lookup:
    def __init__(self, answer: str | None) -> None:
        self.answer = answer
        self.asked: list[str] = []

    def __call__(self, job_id: str) -> str | None:
        self.asked.append(job_id)
        return self.answer


def test_the_name_comes_from_aws_when_not_given() -> None:
    lookup = Lookup("nightly-report")
    identity = identify_job(BASE, lookup)
    assert lookup.asked == ["abc-123"]
    assert str(output_location(identity, BASE)) == "s3://out/nightly-report/abc-123/"


def test_an_array_child_asks_about_its_array() -> None:
    lookup = Lookup("sweep")
    environ = {**BASE, "AWS_BATCH_JOB_ID": "abc-123:4", "AWS_BATCH_JOB_ARRAY_INDEX": "4"}
    assert str(output_location(identify_job(environ, lookup), environ)) == "s3://out/sweep/abc-123/4/"
    assert lookup.asked == ["abc-123"]


def test_a_given_name_is_not_looked_up() -> None:
    lookup = Lookup("other")
    assert identify_job({**BASE, "BATCHCTL_JOB_NAME": "hello"}, lookup).name == "hello"
    assert lookup.asked == []


def test_no_answer_or_no_id_keeps_the_default_name() -> None:
    assert identify_job(BASE, Lookup(None)).name == "job"
    lookup = Lookup("never")
    assert identify_job({"BATCHCTL_OUTPUTS_BUCKET": "out"}, lookup).name == "job"
    assert lookup.asked == []


def test_a_name_with_a_slash_stays_one_prefix_level() -> None:
    assert identify_job(BASE, Lookup("a/b")).name == "a_b"


def test_lookup_only_when_the_name_places_outputs() -> None:
    assert jobname.lookup_for(BASE) is not None
    assert jobname.lookup_for({"AWS_BATCH_JOB_ID": "abc-123"}) is None  # nothing is uploaded
    assert jobname.lookup_for({**BASE, "BATCHCTL_OUTPUT_PREFIX": "s3://b/p/"}) is None  # the prefix is given


def test_a_failed_lookup_says_why_and_gives_none(capsys: Any) -> None:
    environ = {
        "AWS_ENDPOINT_URL": "http://127.0.0.1:9",  # nothing listens there
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }
    assert jobname.aws_job_name("abc-123", environ) is None
    err = capsys.readouterr().err
    assert "cannot look up the job's name" in err and "batch:DescribeJobs" in err


def test_region_from_the_environment() -> None:
    assert jobname.region({"AWS_REGION": "eu-west-1", "AWS_DEFAULT_REGION": "us-east-1"}) == "eu-west-1"
    assert jobname.region({"AWS_DEFAULT_REGION": "us-east-2"}) == "us-east-2"
    assert jobname.region({}) is None


@pytest.fixture
def task_metadata() -> Iterator[dict[str, Any]]:
    """An ECS task metadata endpoint on 127.0.0.1 answering GET /task with `document`."""
    state: dict[str, Any] = {"document": {}}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = json.dumps(state["document"]).encode() if self.path == "/v4/task" else b""
            self.send_response(200 if body else 404)
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    state["uri"] = f"http://127.0.0.1:{server.server_address[1]}/v4"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


def test_region_from_the_task_arn_when_ecs_sets_no_region(task_metadata: dict[str, Any]) -> None:
    task_metadata["document"] = {"TaskARN": "arn:aws:ecs:ap-south-1:123456789012:task/cluster/0123abcd"}
    assert jobname.region({jobname.ECS_METADATA_URI: task_metadata["uri"]}) == "ap-south-1"
    task_metadata["document"] = {"Cluster": "no task arn"}
    assert jobname.region({jobname.ECS_METADATA_URI: task_metadata["uri"]}) is None
    assert jobname.region({jobname.ECS_METADATA_URI: task_metadata["uri"] + "/missing"}) is None
