"""The job workflow end to end: the emulator deploys the demo cluster, the helloworld image is built, and jobs
really run in Docker containers, read inputs from S3, write outputs to S3, and are followed with the CLI.

In CI (CI=true) a missing Docker engine or base image fails these tests; elsewhere they are skipped.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
from tests.deployed_cluster import HELLOWORLD, DeployedCluster, deploy_cluster, first_json
from tests.emulator_fixtures import Emulator

pytestmark = [pytest.mark.e2e, pytest.mark.requires_docker]

CLUSTER = "e2e"


@pytest.fixture(scope="module")
def cluster(emulator: Emulator, tmp_path_factory: pytest.TempPathFactory) -> DeployedCluster:
    return deploy_cluster(CLUSTER, tmp_path_factory)


def submit(cluster: DeployedCluster, path: Path, *extra: str) -> tuple[int, list[str], str]:
    code, out, err = cluster.cli("-o", "json", "submit", str(path), *extra)
    # With --wait the JSON of the submission comes first; the wait's summary goes to stderr.
    ids = [job["job_id"] for job in first_json(out)["jobs"]] if out.strip() else []
    return code, ids, err


def job_of(cluster: DeployedCluster, job_id: str) -> dict[str, Any]:
    job: dict[str, Any] = cluster.show(job_id)["job"]
    return job


def test_job_reads_staged_input_and_outputs_download(
    cluster: DeployedCluster, emulator: Emulator, tmp_path: Path
) -> None:
    emulator.client("s3").put_object(
        Bucket=cluster.outputs["BucketInputs"], Key="greetings/fr.txt", Body=b"bonjour depuis S3\n"
    )
    path = cluster.job_file(
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

    code, out, err = cluster.cli("logs", job_id)
    assert code == 0, err
    assert "salut, world!" in out
    assert "input greeting/fr.txt: bonjour depuis S3" in out

    code, _, err = cluster.cli("outputs", job_id, "--download", str(tmp_path / "out"))
    assert code == 0, err
    assert (tmp_path / "out" / "hello.txt").read_text() == "salut, world!\ninput greeting/fr.txt: bonjour depuis S3\n"
    usage = json.loads((tmp_path / "out" / "_batchctl" / "usage.json").read_text())
    assert usage["exit_code"] == 0


def test_failing_command_is_failed_with_exit_code_and_partial_outputs(cluster: DeployedCluster) -> None:
    path = cluster.job_file(
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
    view = job_of(cluster, job_id)
    assert view["status"] == "FAILED"
    assert [attempt["exit_code"] for attempt in view["attempts"]][-1] == 3

    code, out, err = cluster.cli("-o", "json", "outputs", job_id)
    assert code == 0, err
    files = {item["relative"] for item in json.loads(out)["files"]}
    assert {"hello.txt", "_batchctl/usage.json"} <= files


def test_cancel_of_a_running_job_stops_its_container(cluster: DeployedCluster) -> None:
    import docker

    path = cluster.job_file(
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
    cluster.wait_for(job_id, {"RUNNING"})
    client = docker.from_env()
    image = f"{cluster.outputs['RepositoryUri']}:helloworld"

    def running_containers() -> int:
        return sum(1 for c in client.containers.list() if image in (c.image.tags or []))

    deadline = time.monotonic() + 30
    while running_containers() == 0:
        assert time.monotonic() < deadline, "the job's container never started"
        time.sleep(0.5)

    code, _, err = cluster.cli("cancel", job_id, "--reason", "e2e test")
    assert code == 0, err
    view = cluster.wait_for(job_id, {"FAILED", "SUCCEEDED"}, timeout=90)
    assert view["status"] == "FAILED"
    deadline = time.monotonic() + 60
    while running_containers():
        assert time.monotonic() < deadline, "the job's container still runs after cancel"
        time.sleep(0.5)
    client.close()


def test_logs_of_a_job_that_has_not_started(cluster: DeployedCluster) -> None:
    path = cluster.job_file(
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
    code, out, err = cluster.cli("logs", ids[2])
    assert code == 0, err
    assert "no logs yet" in err
    code, out, err = cluster.cli("logs", ids[2], "-f")
    assert code == 0, err
    assert "hello, world!" in out


def test_example_job_file_runs_array_and_dependencies(cluster: DeployedCluster) -> None:
    code, ids, err = submit(cluster, HELLOWORLD / "jobs.yaml", "--wait")
    assert code == 0, err
    views = [job_of(cluster, job_id) for job_id in ids]
    assert [view["status"] for view in views] == ["SUCCEEDED"] * len(ids)
    array = next(view for view in views if view.get("array_size") == 3)
    code, out, err = cluster.cli("logs", array["id"], "--index", "2")
    assert code == 0, err
    assert "(array index 2)" in out
