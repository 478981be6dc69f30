"""The job workflow end to end: the emulator deploys the demo cluster, the helloworld image is built, and jobs
really run in Docker containers, read inputs from S3, write outputs to S3, and are followed with the CLI.

In CI (CI=true) a missing Docker engine or base image fails these tests; elsewhere they are skipped.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.emulator_fixtures import Emulator, require_image
from tests.helpers import DEMO_CONFIG, capture_cli, write_yaml

pytestmark = [pytest.mark.e2e, pytest.mark.requires_docker]

REPO = Path(__file__).resolve().parents[2]
CLUSTER = "e2e"


@pytest.fixture(scope="module")
def cluster(emulator: Emulator, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """The demo cluster deployed into the emulator, with the helloworld image built for it."""
    require_image("batchctl/base:latest")
    workdir = tmp_path_factory.mktemp("e2e")
    config = write_yaml(workdir / "batchctl.yaml", {**DEMO_CONFIG, "name": CLUSTER})
    code, out, err = capture_cli(["--local", "-f", str(config), "-o", "json", "deploy", "--yes"])
    assert code == 0, err
    outputs = json.loads(out)["outputs"]
    code, _, err = capture_cli(
        ["--local", "-f", str(config), "image", "build", str(REPO / "examples" / "helloworld"), "--tag", "helloworld"]
    )
    assert code == 0, err
    yield {"config": config, "outputs": outputs, "workdir": workdir}


def cli(cluster: dict[str, Any], *args: str) -> tuple[int, str, str]:
    return capture_cli(["--local", "-f", str(cluster["config"]), *args])


def job_file(cluster: dict[str, Any], name: str, jobs: list[dict[str, Any]]) -> Path:
    return write_yaml(cluster["workdir"] / f"{name}.yaml", {"jobs": jobs})


def submit(cluster: dict[str, Any], path: Path, *extra: str) -> tuple[int, list[str], str]:
    code, out, err = cli(cluster, "-o", "json", "submit", str(path), *extra)
    # With --wait the JSON of the submission comes first; the wait's summary goes to stderr.
    ids = [job["job_id"] for job in json.JSONDecoder().raw_decode(out)[0]["jobs"]] if out.strip() else []
    return code, ids, err


def show(cluster: dict[str, Any], job_id: str) -> dict[str, Any]:
    code, out, err = cli(cluster, "-o", "json", "show", job_id)
    assert code == 0, err
    job: dict[str, Any] = json.loads(out)["job"]
    return job


def wait_for_status(cluster: dict[str, Any], job_id: str, wanted: set[str], timeout: float = 60) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        view = show(cluster, job_id)
        if view["status"] in wanted:
            return view
        assert time.monotonic() < deadline, f"job {job_id} still {view['status']} after {timeout} s"
        time.sleep(0.5)


def test_job_reads_staged_input_and_outputs_download(
    cluster: dict[str, Any], emulator: Emulator, tmp_path: Path
) -> None:
    emulator.client("s3").put_object(
        Bucket=cluster["outputs"]["BucketInputs"], Key="greetings/fr.txt", Body=b"bonjour depuis S3\n"
    )
    path = job_file(
        cluster,
        "input",
        [
            {
                "name": "reader",
                "queue": "cpu",
                "definition": "helloworld",
                "command": ["python3", "/app/hello.py", "--greeting", "salut"],
                "inputs": {"greeting": "greetings/fr.txt"},
            }
        ],
    )
    code, (job_id,), err = submit(cluster, path, "--wait")
    assert code == 0, err

    code, out, err = cli(cluster, "logs", job_id)
    assert code == 0, err
    assert "salut, world!" in out
    assert "input greeting/fr.txt: bonjour depuis S3" in out

    code, _, err = cli(cluster, "outputs", job_id, "--download", str(tmp_path / "out"))
    assert code == 0, err
    assert (tmp_path / "out" / "hello.txt").read_text() == "salut, world!\ninput greeting/fr.txt: bonjour depuis S3\n"
    usage = json.loads((tmp_path / "out" / "_batchctl" / "usage.json").read_text())
    assert usage["exit_code"] == 0


def test_failing_command_is_failed_with_exit_code_and_partial_outputs(cluster: dict[str, Any]) -> None:
    path = job_file(
        cluster,
        "failing",
        [
            {
                "name": "failing",
                "queue": "cpu",
                "definition": "helloworld",
                "command": ["python3", "/app/hello.py", "--exit-code", "3"],
            }
        ],
    )
    code, (job_id,), err = submit(cluster, path, "--wait")
    assert code == 1, err
    view = show(cluster, job_id)
    assert view["status"] == "FAILED"
    assert [attempt["exit_code"] for attempt in view["attempts"]][-1] == 3

    code, out, err = cli(cluster, "-o", "json", "outputs", job_id)
    assert code == 0, err
    files = {item["relative"] for item in json.loads(out)["files"]}
    assert {"hello.txt", "_batchctl/usage.json"} <= files


def test_cancel_of_a_running_job_stops_its_container(cluster: dict[str, Any]) -> None:
    import docker

    path = job_file(
        cluster,
        "sleeper",
        [
            {
                "name": "sleeper",
                "queue": "cpu",
                "definition": "helloworld",
                "command": ["python3", "/app/hello.py", "--sleep", "300"],
            }
        ],
    )
    code, (job_id,), err = submit(cluster, path)
    assert code == 0, err
    wait_for_status(cluster, job_id, {"RUNNING"})
    client = docker.from_env()
    image = f"{cluster['outputs']['RepositoryUri']}:helloworld"

    def running_containers() -> int:
        return sum(1 for c in client.containers.list() if image in (c.image.tags or []))

    deadline = time.monotonic() + 30
    while running_containers() == 0:
        assert time.monotonic() < deadline, "the job's container never started"
        time.sleep(0.5)

    code, _, err = cli(cluster, "cancel", job_id, "--reason", "e2e test")
    assert code == 0, err
    view = wait_for_status(cluster, job_id, {"FAILED", "SUCCEEDED"}, timeout=90)
    assert view["status"] == "FAILED"
    deadline = time.monotonic() + 60
    while running_containers():
        assert time.monotonic() < deadline, "the job's container still runs after cancel"
        time.sleep(0.5)
    client.close()


def test_logs_of_a_job_that_has_not_started(cluster: dict[str, Any]) -> None:
    path = job_file(
        cluster,
        "later",
        [
            {"name": "first", "queue": "cpu", "definition": "helloworld", "command": ["python3", "/app/hello.py"]},
            {
                "name": "second",
                "queue": "cpu",
                "definition": "helloworld",
                "command": ["python3", "/app/hello.py", "--sleep", "5"],
                "depends_on": [{"name": "first"}],
            },
            {
                "name": "third",
                "queue": "cpu",
                "definition": "helloworld",
                "command": ["python3", "/app/hello.py"],
                "depends_on": [{"name": "second"}],
            },
        ],
    )
    code, ids, err = submit(cluster, path)
    assert code == 0, err
    code, out, err = cli(cluster, "logs", ids[2])
    assert code == 0, err
    assert "no logs yet" in err
    code, out, err = cli(cluster, "logs", ids[2], "-f")
    assert code == 0, err
    assert "hello, world!" in out


def test_example_job_file_runs_array_and_dependencies(cluster: dict[str, Any]) -> None:
    code, ids, err = submit(cluster, REPO / "examples" / "helloworld" / "jobs.yaml", "--wait")
    assert code == 0, err
    views = [show(cluster, job_id) for job_id in ids]
    assert [view["status"] for view in views] == ["SUCCEEDED"] * len(ids)
    array = next(view for view in views if view.get("array_size") == 3)
    code, out, err = cli(cluster, "logs", array["id"], "--index", "2")
    assert code == 0, err
    assert "(array index 2)" in out
