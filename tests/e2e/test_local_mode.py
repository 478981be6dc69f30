"""Local mode behaves like AWS Batch, with real containers: job environment, capacity, dependencies, retries,
timeouts, cancel, terminate and Spot interruptions.

One cluster is deployed for the module and every scenario is submitted at once (they use separate queues or do not
interfere), so the slowest one, the 60 s attempt timeout (AWS's minimum), sets the module's duration. Each job runs a
small probe that writes ``{start, end, attempt, index, AWS_BATCH_* variables}`` to
``s3://<outputs bucket>/probe/<scenario>/<job>/<index>/<attempt>.json`` when it starts, and again when it ends;
order and overlap are asserted from those timestamps, never from sleeps in the test.

In CI (CI=true) a missing Docker engine or base image fails these tests; elsewhere they are skipped.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.emulator_fixtures import Emulator, require_image, require_registry
from tests.helpers import capture_cli, write_yaml

pytestmark = [pytest.mark.e2e, pytest.mark.requires_docker]

REPO = Path(__file__).resolve().parents[2]
CLUSTER = "localmode"
CONFIG: dict[str, Any] = {
    "name": CLUSTER,
    "region": "us-east-1",
    "compute_environments": [
        {"name": "wide", "type": "SPOT", "max_vcpus": 64},
        {"name": "pair", "type": "SPOT", "max_vcpus": 2},
        {"name": "solo", "type": "SPOT", "max_vcpus": 1},
    ],
    "queues": [
        {"name": "main", "compute_environments": ["wide"]},
        {"name": "pair", "compute_environments": ["pair"]},
        {"name": "solo", "compute_environments": ["solo"]},
    ],
    "job_definitions": [
        {"name": "probe", "image": "helloworld", "vcpus": 1, "memory": 512},
        # retries > 1: batchctl adds evaluateOnExit [RETRY on "Host EC2*", EXIT on anything else].
        {"name": "spotty", "image": "helloworld", "vcpus": 1, "memory": 512, "retries": 2},
    ],
}

# The job's own clock: python3 and Debian's boto3 from the helloworld image (boto3 1.26 ignores AWS_ENDPOINT_URL).
PROBE = """
import json, os, sys, time
start = time.time()
import boto3
env = os.environ
attempt = int(env["AWS_BATCH_JOB_ATTEMPT"])
index = env.get("AWS_BATCH_JOB_ARRAY_INDEX")
plan = json.loads(env.get("PROBE_PLAN") or "{}")
sleep = plan.get("sleep", 0)
if isinstance(sleep, list):
    sleep = sleep[min(int(index or 0), len(sleep) - 1)]
sleep = plan.get("sleep_on_attempt", {}).get(str(attempt), sleep)
exit_code = plan.get("exit_on_attempt", {}).get(str(attempt), 0)
record = {"start": start, "attempt": attempt, "index": index,
          "env": {name: value for name, value in env.items() if name.startswith("AWS_BATCH_")}}
s3 = boto3.client("s3", endpoint_url=env["AWS_ENDPOINT_URL"])
key = "probe/%s/%s/%s/%d.json" % (env["PROBE_SCENARIO"], env["BATCHCTL_JOB_NAME"], index or "-", attempt)
def save():
    s3.put_object(Bucket=env["BATCHCTL_OUTPUTS_BUCKET"], Key=key, Body=json.dumps(record).encode())
save()
time.sleep(sleep)
record["end"] = time.time()
save()
sys.exit(exit_code)
"""

HOST_TERMINATED = re.compile(r"Host EC2 \(instance i-[0-9a-f]{17}\) terminated\.")
TIMEOUT_SECONDS = 60  # AWS's minimum attemptDurationSeconds


def probe(name: str, scenario: str, queue: str = "main", definition: str = "probe", **fields: Any) -> dict[str, Any]:
    """A job-file entry running the probe; ``plan`` keys: sleep (seconds, or a list by array index),
    sleep_on_attempt and exit_on_attempt ({attempt: value})."""
    plan = fields.pop("plan", {})
    return {
        "name": name,
        "queue": queue,
        "definition": definition,
        "command": ["python3", "-c", PROBE],
        "environment": {"PROBE_SCENARIO": scenario, "PROBE_PLAN": json.dumps(plan)},
        **fields,
    }


# Submitted in this order; the timeout scenario first, since it takes longest.
SCENARIOS: dict[str, list[dict[str, Any]]] = {
    "timeout": [probe("slow", "timeout", timeout=TIMEOUT_SECONDS, retries=2, plan={"sleep": 600})],
    "queue": [
        probe("blocker", "queue", queue="solo", plan={"sleep": 600}),
        probe("queued", "queue", queue="solo"),
    ],
    "spot": [probe("reclaimed", "spot", definition="spotty", plan={"sleep_on_attempt": {"1": 600}})],
    "env": [probe("envcheck", "env", array_size=3)],
    # Sleeps are long enough to stand out from container start-up times on a loaded 2-core machine, and short enough
    # to end within the timeout scenario's minute.
    "capacity": [probe(f"c{number}", "capacity", queue="pair", plan={"sleep": 8}) for number in range(1, 5)],
    "n_to_n": [
        probe("first", "n_to_n", array_size=3, plan={"sleep": [20, 10, 0]}),
        probe("second", "n_to_n", array_size=3, depends_on=[{"name": "first", "type": "N_TO_N"}]),
        probe("after_all", "n_to_n", depends_on=["first"]),
    ],
    "sequential": [probe("seq", "sequential", array_size=3, depends_on=[{"type": "SEQUENTIAL"}], plan={"sleep": 1})],
    "failed_dependency": [
        probe("doomed", "failed_dependency", plan={"exit_on_attempt": {"1": 3}}),
        probe("after", "failed_dependency", depends_on=["doomed"]),
    ],
    "retry": [
        probe("flaky", "retry", retries=2, plan={"exit_on_attempt": {"1": 3}}),
        # The definition's rules: only a lost host is retried; the job's own failure exits.
        probe("own_failure", "retry", definition="spotty", plan={"exit_on_attempt": {"1": 3}}),
    ],
}


# --- cluster, submission, reading -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def cluster(emulator: Emulator, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    require_image("batchctl/base:latest")
    workdir = tmp_path_factory.mktemp("local-mode")
    config = write_yaml(workdir / "batchctl.yaml", CONFIG)
    code, out, err = capture_cli(["--local", "-f", str(config), "-o", "json", "deploy", "--yes"])
    assert code == 0, err
    outputs = json.loads(out)["outputs"]
    code, _, err = capture_cli(
        ["--local", "-f", str(config), "image", "build", str(REPO / "examples" / "helloworld"), "--tag", "helloworld"]
    )
    assert code == 0, err
    require_registry()
    code, _, err = capture_cli(["--local", "-f", str(config), "image", "push", "helloworld"])
    assert code == 0, err
    yield {"config": config, "outputs": outputs, "workdir": workdir, "emulator": emulator}


def cli(cluster: dict[str, Any], *args: str) -> tuple[int, str, str]:
    return capture_cli(["--local", "-f", str(cluster["config"]), *args])


@pytest.fixture(scope="module")
def jobs(cluster: dict[str, Any]) -> dict[str, dict[str, str]]:
    """Every scenario submitted at once: scenario -> job name -> job id."""
    submitted: dict[str, dict[str, str]] = {}
    for scenario, entries in SCENARIOS.items():
        path = write_yaml(cluster["workdir"] / f"{scenario}.yaml", {"jobs": entries})
        code, out, err = cli(cluster, "-o", "json", "submit", str(path))
        assert code == 0, err
        submitted[scenario] = {job["name"]: job["job_id"] for job in json.loads(out)["jobs"]}
    return submitted


def show(cluster: dict[str, Any], job_id: str) -> dict[str, Any]:
    code, out, err = cli(cluster, "-o", "json", "show", job_id)
    assert code == 0, err
    job: dict[str, Any] = json.loads(out)["job"]
    return job


def wait_for_status(cluster: dict[str, Any], job_id: str, wanted: set[str], timeout: float = 120) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        job = show(cluster, job_id)
        if job["status"] in wanted:
            return job
        assert time.monotonic() < deadline, f"job {job_id} still {job['status']} after {timeout} s"
        time.sleep(0.5)


def finished(cluster: dict[str, Any], job_id: str, timeout: float = 120) -> dict[str, Any]:
    return wait_for_status(cluster, job_id, {"SUCCEEDED", "FAILED"}, timeout)


def records(cluster: dict[str, Any], scenario: str) -> dict[tuple[str, str, int], dict[str, Any]]:
    """What the scenario's jobs wrote: (job name, array index or '-', attempt) -> record."""
    s3 = cluster["emulator"].client("s3")
    bucket = cluster["outputs"]["BucketOutputs"]
    found = {}
    listing = s3.list_objects_v2(Bucket=bucket, Prefix=f"probe/{scenario}/")
    for item in listing.get("Contents", []):
        _, _, job, index, attempt = item["Key"].removesuffix(".json").split("/")
        found[(job, index, int(attempt))] = json.loads(s3.get_object(Bucket=bucket, Key=item["Key"])["Body"].read())
    return found


def wait_for_record(cluster: dict[str, Any], scenario: str, key: tuple[str, str, int], timeout: float = 60) -> None:
    """Until the job itself has written that it started: its container really runs."""
    deadline = time.monotonic() + timeout
    while key not in records(cluster, scenario):
        assert time.monotonic() < deadline, f"{scenario}: no record {key} after {timeout} s"
        time.sleep(0.5)


def span(record: dict[str, Any]) -> tuple[float, float]:
    return record["start"], record["end"]


def max_overlap(spans: list[tuple[float, float]]) -> int:
    events = sorted([(start, 1) for start, _ in spans] + [(end, -1) for _, end in spans])
    running = peak = 0
    for _, change in events:
        running += change
        peak = max(peak, running)
    return peak


def job_containers(job_id: str) -> list[Any]:
    """Docker containers of a job: moto names them <job name>-<job id>."""
    import docker

    client = docker.from_env()
    try:
        return [container for container in client.containers.list(all=True) if job_id in container.name]
    finally:
        client.close()


def parse_time(text: str) -> float:
    from datetime import datetime

    return datetime.fromisoformat(text).timestamp()


# --- scenarios ------------------------------------------------------------------------------------------------------


def test_array_children_get_the_aws_batch_environment(cluster: dict[str, Any], jobs: dict[str, dict[str, str]]) -> None:
    parent = jobs["env"]["envcheck"]
    assert finished(cluster, parent)["status"] == "SUCCEEDED"
    queue_arn = show(cluster, f"{parent}:0")["queue"]
    queue = cluster["emulator"].client("batch").describe_job_queues(jobQueues=[queue_arn])["jobQueues"][0]
    environment_arn = queue["computeEnvironmentOrder"][0]["computeEnvironment"]

    written = records(cluster, "env")
    assert sorted(index for (_, index, _) in written) == ["0", "1", "2"]
    for (_, index, attempt), record in written.items():
        assert record["env"] == {
            "AWS_BATCH_JOB_ID": f"{parent}:{index}",
            "AWS_BATCH_JOB_ATTEMPT": "1",
            "AWS_BATCH_JOB_ARRAY_INDEX": index,
            "AWS_BATCH_JOB_ARRAY_SIZE": "3",
            "AWS_BATCH_JQ_NAME": queue["jobQueueName"],
            "AWS_BATCH_CE_NAME": environment_arn.rsplit("/", 1)[1],
        }
        assert attempt == 1


def test_max_vcpus_bounds_the_jobs_running_at_once(cluster: dict[str, Any], jobs: dict[str, dict[str, str]]) -> None:
    # Four 1-vCPU jobs of 8 s on a compute environment with maxvCpus 2.
    for job_id in jobs["capacity"].values():
        assert finished(cluster, job_id)["status"] == "SUCCEEDED"
    spans = [span(record) for record in records(cluster, "capacity").values()]
    assert len(spans) == 4
    assert max_overlap(spans) == 2


def test_n_to_n_child_waits_for_its_own_index_only(cluster: dict[str, Any], jobs: dict[str, dict[str, str]]) -> None:
    for job_id in jobs["n_to_n"].values():
        assert finished(cluster, job_id)["status"] == "SUCCEEDED"
    written = records(cluster, "n_to_n")
    first = {index: span(written[("first", index, 1)]) for index in "012"}
    second = {index: span(written[("second", index, 1)]) for index in "012"}
    for index in "012":
        assert second[index][0] >= first[index][1]
    # Child 2 of `first` ends seconds before child 0: N_TO_N lets second:2 start meanwhile.
    assert second["2"][0] < first["0"][1]
    # A plain dependency on the array waits for all of it.
    assert written[("after_all", "-", 1)]["start"] >= max(end for _, end in first.values())


def test_sequential_children_run_one_after_another(cluster: dict[str, Any], jobs: dict[str, dict[str, str]]) -> None:
    assert finished(cluster, jobs["sequential"]["seq"])["status"] == "SUCCEEDED"
    written = records(cluster, "sequential")
    spans = [span(written[("seq", index, 1)]) for index in "012"]
    assert spans[1][0] >= spans[0][1]
    assert spans[2][0] >= spans[1][1]


def test_failed_dependency_fails_its_dependent_without_running_it(
    cluster: dict[str, Any], jobs: dict[str, dict[str, str]]
) -> None:
    doomed = finished(cluster, jobs["failed_dependency"]["doomed"])
    assert (doomed["status"], doomed["exit_code"]) == ("FAILED", 3)
    after = finished(cluster, jobs["failed_dependency"]["after"])
    assert (after["status"], after["status_reason"], after["attempts"]) == ("FAILED", "Dependent Job failed", [])
    assert [key[0] for key in records(cluster, "failed_dependency")] == ["doomed"]


def test_failed_attempt_is_retried_and_succeeds_on_attempt_2(
    cluster: dict[str, Any], jobs: dict[str, dict[str, str]]
) -> None:
    flaky = finished(cluster, jobs["retry"]["flaky"])
    assert flaky["status"] == "SUCCEEDED"
    first, second = flaky["attempts"]
    assert (first["exit_code"], first["status_reason"]) == (3, "Essential container in task exited")
    assert second["exit_code"] == 0
    assert first["log_stream"] != second["log_stream"]  # one log stream per attempt
    written = records(cluster, "retry")
    assert written[("flaky", "-", 2)]["env"]["AWS_BATCH_JOB_ATTEMPT"] == "2"
    assert written[("flaky", "-", 2)]["start"] >= written[("flaky", "-", 1)]["end"]

    own_failure = finished(cluster, jobs["retry"]["own_failure"])
    assert own_failure["status"] == "FAILED"
    assert [attempt["exit_code"] for attempt in own_failure["attempts"]] == [3]  # EXIT rule: not retried


def test_cancel_of_a_queued_job_never_starts_it(cluster: dict[str, Any], jobs: dict[str, dict[str, str]]) -> None:
    blocker, queued = jobs["queue"]["blocker"], jobs["queue"]["queued"]
    wait_for_record(cluster, "queue", ("blocker", "-", 1))
    assert wait_for_status(cluster, queued, {"RUNNABLE"})["status"] == "RUNNABLE"  # behind maxvCpus 1

    code, _, err = cli(cluster, "cancel", queued, "--reason", "e2e: not needed")
    assert code == 0, err
    job = show(cluster, queued)  # at once: it does not wait for capacity
    assert (job["status"], job["status_reason"], job["attempts"], job["started"]) == (
        "FAILED",
        "e2e: not needed",
        [],
        None,
    )
    assert show(cluster, blocker)["status"] == "RUNNING"
    assert ("queued", "-", 1) not in records(cluster, "queue")
    assert job_containers(queued) == []


def test_terminate_of_a_running_job_kills_its_container(
    cluster: dict[str, Any], jobs: dict[str, dict[str, str]]
) -> None:
    blocker = jobs["queue"]["blocker"]
    wait_for_record(cluster, "queue", ("blocker", "-", 1))
    assert [container.status for container in job_containers(blocker)] == ["running"]

    code, _, err = cli(cluster, "cancel", blocker, "--reason", "e2e: stop")  # RUNNING: TerminateJob
    assert code == 0, err
    job = finished(cluster, blocker, timeout=60)
    assert (job["status"], job["status_reason"]) == ("FAILED", "e2e: stop")
    assert "end" not in records(cluster, "queue")[("blocker", "-", 1)]
    deadline = time.monotonic() + 30
    while job_containers(blocker):
        assert time.monotonic() < deadline, "the terminated job's container is still there"
        time.sleep(0.5)


def test_spot_interruption_is_retried_by_the_evaluate_on_exit_rule(
    cluster: dict[str, Any], jobs: dict[str, dict[str, str]]
) -> None:
    reclaimed = jobs["spot"]["reclaimed"]
    wait_for_record(cluster, "spot", ("reclaimed", "-", 1))

    code, _, err = cli(cluster, "local", "interrupt", reclaimed)
    assert code == 0, err
    assert HOST_TERMINATED.search(err)
    job = finished(cluster, reclaimed, timeout=90)
    assert job["status"] == "SUCCEEDED"
    first, second = job["attempts"]
    assert HOST_TERMINATED.fullmatch(first["status_reason"])
    assert first["exit_code"] == 143  # SIGTERM, which the runner passes on to the command
    assert second["exit_code"] == 0
    written = records(cluster, "spot")
    assert "end" not in written[("reclaimed", "-", 1)]
    assert written[("reclaimed", "-", 2)]["start"] >= parse_time(first["stopped"]) - 1

    code, _, err = cli(cluster, "local", "interrupt", reclaimed)
    assert code == 1
    assert "is SUCCEEDED, not RUNNING" in err


def test_attempt_timeout_stops_the_job_and_is_not_retried(
    cluster: dict[str, Any], jobs: dict[str, dict[str, str]]
) -> None:
    job = finished(cluster, jobs["timeout"]["slow"], timeout=TIMEOUT_SECONDS + 90)
    assert (job["status"], job["status_reason"]) == ("FAILED", "Job attempt duration exceeded timeout")
    (attempt,) = job["attempts"]  # retries: 2, but AWS does not retry a timed-out job
    assert attempt["status_reason"] == "Job attempt duration exceeded timeout"
    record = records(cluster, "timeout")[("slow", "-", 1)]
    assert "end" not in record
    assert parse_time(attempt["stopped"]) - record["start"] >= TIMEOUT_SECONDS - 1
