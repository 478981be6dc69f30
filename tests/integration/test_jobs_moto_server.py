"""The job workflow against a moto server: API-call counts, no duplicate on a retried submit, bad inputs.

API level only: container runs are switched off in this server (`batch.use_docker: false`, jobs succeed at once),
which is fine for counting calls and checking requests; jobs running for real are the end-to-end tier's.
The server holds Batch resources made with boto3 and a stack whose outputs name them, as a deployed cluster's do.
"""

from __future__ import annotations

import json
import math
import time
import urllib.request
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ReadTimeoutError
from botocore.httpsession import URLLib3Session
from tests.bare_cluster import cluster_resources
from tests.helpers import DEMO_CONFIG, moto_server, run_cli, write_yaml

from batchctl.api import Batchctl
from batchctl.aws.session import Target
from batchctl.cli.context import AppContext

pytestmark = pytest.mark.integration

REGION = "us-east-1"
CLUSTER = "demo"
QUEUES = ("cpu", "gpu")
_DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback never goes through a proxy


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    with moto_server() as url:
        previous = json.loads(_DIRECT.open(f"{url}/moto-api/config", timeout=10).read())
        _moto_api(url, "config", {"batch": {"use_docker": False}})
        try:
            yield url
        finally:
            _moto_api(url, "config", {"batch": previous["batch"]})
            _moto_api(url, "reset", {})


def _moto_api(url: str, path: str, body: dict[str, Any]) -> None:
    request = urllib.request.Request(f"{url}/moto-api/{path}", data=json.dumps(body).encode(), method="POST")
    _DIRECT.open(request, timeout=10).read()


def client(endpoint: str, service: str, **kwargs: Any) -> Any:
    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id="test",
        aws_secret_access_key="test",
        **kwargs,
    )


@pytest.fixture(scope="module")
def outputs(endpoint: str) -> dict[str, str]:
    """A cluster's resources, and a stack named as batchctl names it whose outputs point at them."""
    return cluster_resources(
        endpoint,
        QUEUES,
        container={
            "image": "demo:helloworld",
            "command": ["python3", "/app/hello.py"],
            "resourceRequirements": [{"type": "VCPU", "value": "1"}, {"type": "MEMORY", "value": "512"}],
            "environment": [
                {"name": "BATCHCTL_CLUSTER", "value": CLUSTER},
                {"name": "BATCHCTL_OUTPUTS_BUCKET", "value": "demo-outputs"},
            ],
            "logConfiguration": {"logDriver": "awslogs", "options": {"awslogs-group": "/demo/job/helloworld"}},
        },
    )


@pytest.fixture(scope="module")
def config_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    config = {
        **DEMO_CONFIG,
        "queues": [{"name": short, "compute_environments": ["cpu-spot"]} for short in QUEUES],
    }
    return write_yaml(tmp_path_factory.mktemp("cluster") / "batchctl.yaml", config)


@pytest.fixture
def api(endpoint: str, outputs: dict[str, str], config_path: Path) -> Batchctl:
    return Batchctl.from_config(config_path, endpoint_url=endpoint, user="alice")


class CallCounter:
    """Counts the operations a client calls (botocore's before-call event fires once per API call)."""

    def __init__(self, aws_client: Any) -> None:
        self.calls: Counter[str] = Counter()
        aws_client.meta.events.register("before-call.batch.*", self._count)

    def _count(self, model: Any, **_: Any) -> None:
        self.calls[model.name] += 1

    def take(self) -> Counter[str]:
        calls, self.calls = self.calls, Counter()
        return calls


def write_jobs(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "jobs.yaml"
    path.write_text(text, encoding="utf-8")
    return path


BULK = """jobs:
{% for i in range(count | int) %}
  - name: {{ prefix }}-{{ i }}
    queue: {{ 'cpu' if i % 5 else 'gpu' }}
    definition: helloworld
{% endfor %}
"""


def test_listing_250_jobs_stays_within_the_call_bound(api: Batchctl, tmp_path: Path) -> None:
    count = 250
    counter = CallCounter(api.aws.client("batch"))
    result = api.submit(write_jobs(tmp_path, BULK), {"count": str(count), "prefix": "bulk"})
    assert len(result.jobs) == count
    # One SubmitJob per job, after one look-up each of the queues, definitions and compute environments.
    lookups = {"DescribeJobQueues": 1, "DescribeJobDefinitions": 1, "DescribeComputeEnvironments": 1}
    assert counter.take() == Counter({"SubmitJob": count, **lookups})

    per_queue = {"cpu": count * 4 // 5, "gpu": count // 5}
    listed = api.jobs(all_statuses=True, all_users=True, name="bulk-*")
    assert len(listed) == count
    calls = counter.take()
    assert calls["ListJobs"] <= sum(math.ceil(n / 1000) for n in per_queue.values()) == 2
    assert calls["DescribeJobs"] == math.ceil(count / 100) == 3
    assert calls["ListTagsForResource"] == 0
    assert set(calls) == {"ListJobs", "DescribeJobs"}
    assert {record.user for record in listed} == {"alice"}
    assert {record.name for record in listed} == {f"bulk-{i}" for i in range(count)}

    # Every status without a name filter: one AFTER_CREATED_AT pass per queue, still every status at once; the jobs
    # the first listing found finished are not described again (a finished job does not change).
    finished = {record.id for record in listed if record.terminal}
    everything = api.jobs(all_statuses=True)
    calls = counter.take()
    assert len(everything) >= count
    assert calls["ListJobs"] == len(QUEUES)
    assert calls.get("DescribeJobs", 0) == math.ceil(len([r for r in everything if r.id not in finished]) / 100)

    # Active jobs only (the default): one pass per active status and queue; these have all finished.
    assert api.jobs() == []
    calls = counter.take()
    assert calls == Counter({"ListJobs": 5 * len(QUEUES)})

    # Another user's view: nothing of alice's shown, from the records already read (the user is in their tags).
    assert api.jobs(all_statuses=True, name="bulk-*", user="bob") == []
    calls = counter.take()
    assert calls["ListTagsForResource"] == 0 and calls.get("DescribeJobs", 0) == 0

    # A new Batchctl object (a new command) describes them again: ceil(250 / 100) calls.
    fresh = Batchctl(api.config, api.aws, user="bob")
    assert fresh.jobs(all_statuses=True, name="bulk-*", user="bob") == []
    assert counter.take()["DescribeJobs"] == 3


def test_a_submit_retried_after_a_timeout_creates_one_job(api: Batchctl, endpoint: str, tmp_path: Path) -> None:
    batch = api.aws.client("batch")
    timeouts = TimeoutAfterSending(times=1)
    batch.meta.events.register("before-send.batch.SubmitJob", timeouts)
    try:
        result = api.submit(write_jobs(tmp_path, "jobs:\n  - {name: once, queue: cpu, definition: helloworld}\n"))
    finally:
        batch.meta.events.unregister("before-send.batch.SubmitJob", timeouts)
    assert timeouts.sent == 1
    (job,) = result.jobs
    found = _jobs_named(endpoint, api, job.submission_name)
    assert found == [job.job_id]


def test_without_the_lookup_botocore_would_submit_twice(api: Batchctl, endpoint: str) -> None:
    """The hazard the lookup prevents: a plain client retries the timed-out SubmitJob blindly."""
    plain = client(endpoint, "batch")
    plain.meta.events.register("before-send.batch.SubmitJob", TimeoutAfterSending(times=1))
    name = "plain-twice"
    plain.submit_job(
        jobName=name,
        jobQueue=api.stack_outputs()["QueueCpu"],
        jobDefinition=api.stack_outputs()["JobDefinitionHelloworld"],
    )
    assert len(_jobs_named(endpoint, api, name)) == 2


class TimeoutAfterSending:
    """A before-send hook: the request reaches the server, then the client sees a read timeout (`times` times)."""

    def __init__(self, times: int) -> None:
        self.times = times
        self.sent = 0
        self._http = URLLib3Session()

    def __call__(self, request: Any, **_: Any) -> Any:
        if self.sent >= self.times:
            return None
        self.sent += 1
        self._http.send(request)
        raise ReadTimeoutError(endpoint_url=request.url)


def _jobs_named(endpoint: str, api: Batchctl, name: str) -> list[str]:
    batch = client(endpoint, "batch")
    summaries = batch.list_jobs(
        jobQueue=api.stack_outputs()["QueueCpu"], filters=[{"name": "JOB_NAME", "values": [name]}]
    )["jobSummaryList"]
    return [item["jobId"] for item in summaries if item["jobName"] == name]


WORKFLOW = """tags: {project: demo}
jobs:
  - name: report
    queue: cpu
    definition: helloworld
    depends_on: [each]
  - name: prepare
    queue: cpu
    definition: helloworld
    command: python3 /app/hello.py --greeting {{ greeting }}
    inputs: {greeting: greeting.txt}
    environment: {GREETING_NAME: "{{ user }}"}
  - name: fan
    queue: gpu
    definition: helloworld
    array_size: 3
    depends_on: [prepare, {type: SEQUENTIAL}]
  - name: each
    queue: gpu
    definition: helloworld
    array_size: 3
    depends_on: [{name: fan, type: N_TO_N}]
"""


def test_submit_show_logs_outputs_queues_cancel(api: Batchctl, endpoint: str, tmp_path: Path) -> None:
    result = api.submit(write_jobs(tmp_path, WORKFLOW), {"greeting": "hi"})
    ids = {job.name: job.job_id for job in result.jobs}
    assert [job.name for job in result.jobs] == ["prepare", "fan", "each", "report"]

    details = {d["jobId"]: d for d in client(endpoint, "batch").describe_jobs(jobs=list(ids.values()))["jobs"]}
    prepare = details[ids["prepare"]]
    assert prepare["tags"] == {
        "project": "demo",
        "submitter": "alice",
        "batchctl:job": "prepare",
        "batchctl:submission": result.submission_id,
    }
    environment = {item["name"]: item["value"] for item in prepare["container"]["environment"]}
    assert environment["BATCHCTL_JOB_NAME"] == "prepare"
    assert environment["BATCHCTL_INPUT_GREETING"] == "s3://demo-inputs/greeting.txt"
    assert environment["GREETING_NAME"] == "alice"
    assert details[ids["fan"]]["dependsOn"] == [{"jobId": ids["prepare"]}, {"type": "SEQUENTIAL"}]
    assert details[ids["each"]]["dependsOn"] == [{"jobId": ids["fan"], "type": "N_TO_N"}]
    assert details[ids["report"]]["dependsOn"] == [{"jobId": ids["each"]}]

    view = api.show(ids["prepare"])
    assert (view.queue, view.definition, view.log_group) == ("cpu", "helloworld", "/demo/job/helloworld")
    assert view.output_url == f"s3://demo-outputs/prepare/{ids['prepare']}/"
    fan = api.show(ids["fan"])
    assert fan.job.array_size == 3 and fan.queue == "gpu"

    # Logs: the stream DescribeJobs names, in the job definition's log group.
    stream = view.job.log_stream
    assert stream
    logs = client(endpoint, "logs")
    logs.create_log_stream(logGroupName="/demo/job/helloworld", logStreamName=stream)
    logs.put_log_events(
        logGroupName="/demo/job/helloworld",
        logStreamName=stream,
        logEvents=[{"timestamp": int(time.time() * 1000) + i, "message": f"line {i}"} for i in range(3)],
    )
    assert [event.message for event in api.logs(ids["prepare"])] == ["line 0", "line 1", "line 2"]

    # Outputs: whatever the runner uploaded under the job's prefix (for an array: each child under its index).
    s3 = client(endpoint, "s3")
    s3.put_object(Bucket="demo-outputs", Key=f"fan/{ids['fan']}/0/hello.txt", Body=b"child 0")
    s3.put_object(Bucket="demo-outputs", Key=f"fan/{ids['fan']}/1/hello.txt", Body=b"child 1")
    s3.put_object(Bucket="demo-outputs", Key=f"fan/{ids['fan']}/1/_batchctl/usage.json", Body=b"{}")
    listing = api.outputs(ids["fan"])
    assert [f.relative for f in listing.files] == ["0/hello.txt", "1/_batchctl/usage.json", "1/hello.txt"]
    one = api.outputs(ids["fan"], index=1, download=tmp_path / "out")
    assert sorted(f.relative for f in one.files) == ["_batchctl/usage.json", "hello.txt"]
    assert (tmp_path / "out" / "hello.txt").read_text() == "child 1"

    queues = {view.name: view for view in api.queues()}
    assert set(queues) == set(QUEUES)
    assert queues["gpu"].jobs["SUCCEEDED"] >= 2
    assert [ce.name for ce in queues["cpu"].compute_environments] == ["demo-cpu-spot"]

    (outcome,) = api.cancel([ids["report"]])
    assert (outcome.action, outcome.detail) == ("unchanged", "already SUCCEEDED")


@pytest.fixture
def cli_target(monkeypatch: pytest.MonkeyPatch, endpoint: str, outputs: dict[str, str]) -> str:
    """The CLI's --local resolution pointed at this test's server."""
    monkeypatch.setattr(AppContext, "target", lambda self: Target(region=REGION, endpoint_url=endpoint))
    return f"local emulator at {endpoint}"


def _error_lines(err: str) -> list[str]:
    return [line for line in err.splitlines() if line.startswith("Error:")]


@pytest.mark.parametrize("command", [["show"], ["logs"], ["outputs"], ["cancel"]])
def test_a_job_id_that_does_not_exist(cli_target: str, config_path: Path, capsys: Any, command: list[str]) -> None:
    missing = "00000000-0000-0000-0000-000000000000"
    code, _, err = run_cli(["--local", "-f", str(config_path), *command, missing], capsys)
    assert code == 1
    assert _error_lines(err) == [f"Error: job {missing} not found in {cli_target}"]


def test_unknown_queue_short_name_lists_the_deployed_ones(
    cli_target: str, config_path: Path, capsys: Any, tmp_path: Path
) -> None:
    path = write_jobs(tmp_path, "jobs:\n  - name: a\n    queue: cpux\n    definition: helloworld\n")
    code, _, err = run_cli(["--local", "-f", str(config_path), "submit", str(path)], capsys)
    assert code == 1
    assert _error_lines(err) == [
        f'Error: {path}:3: job "a": queue: unknown queue \'cpux\' (did you mean "cpu"?); the queues of cluster demo: '
        "cpu (demo-cpu), gpu (demo-gpu)"
    ]


def test_cli_submit_then_jobs_as_json(cli_target: str, config_path: Path, capsys: Any, tmp_path: Path) -> None:
    path = write_jobs(tmp_path, "jobs:\n  - {name: cli-{{ word }}, queue: cpu, definition: helloworld}\n")
    code, out, err = run_cli(["--local", "-f", str(config_path), "submit", str(path), "word=x", "--wait"], capsys)
    assert code == 0, err
    assert "submitted 1 job(s)" in err and "cli-x" in out and "logs" in err
    code, out, err = run_cli(
        ["--local", "-f", str(config_path), "jobs", "--all", "--all-users", "--name", "cli-x", "-o", "json"], capsys
    )
    assert code == 0, err
    (record,) = json.loads(out)
    assert (record["name"], record["status"]) == ("cli-x", "SUCCEEDED")
