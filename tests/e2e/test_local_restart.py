"""The emulator survives a restart: `local up` after `local down` or a crash re-creates the deployed cluster, says
what was lost, and a new job runs (its image still in the registry, whose storage is kept).

This module runs its own emulator (own BATCHCTL_HOME and port) through the CLI, so stopping it leaves the session's
emulator alone. In CI (CI=true) a missing Docker engine, base image or docker-registry fails it; elsewhere it skips.
"""

from __future__ import annotations

import json
import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.deployed_cluster import DeployedCluster, deploy_cluster
from tests.emulator_fixtures import batchctl_home, free_port, require_image, require_registry
from tests.helpers import capture_cli

from batchctl.local import process

pytestmark = [pytest.mark.e2e, pytest.mark.requires_docker]

CLUSTER = "restart-e2e"
STACK = f"batchctl-{CLUSTER}"
DATA_STACK = f"{STACK}-data"  # buckets and the repository: deployed first, so restored first


def local_up(port: int) -> dict[str, Any]:
    code, out, err = capture_cli(["-o", "json", "local", "up", "--port", str(port)])
    assert code == 0, err
    answer: dict[str, Any] = json.loads(out)
    return answer


@pytest.fixture(scope="module")
def own_emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    """A private emulator home and port for the module; the emulator is stopped at the end whatever happened."""
    require_image("batchctl/base:latest")
    home = tmp_path_factory.mktemp("restart-home")
    port = free_port()
    with batchctl_home(home):
        try:
            local_up(port)
            require_registry()
            yield port
        finally:
            process.stop()


@pytest.fixture(scope="module")
def cluster(own_emulator: int, tmp_path_factory: pytest.TempPathFactory) -> DeployedCluster:
    return deploy_cluster(CLUSTER, tmp_path_factory)


def run_job(cluster: DeployedCluster, name: str, timeout: float = 60) -> dict[str, Any]:
    path = cluster.job_file(name, [{"name": name, "queue": "cpu", "definition": "helloworld"}])
    return cluster.wait_for(cluster.submit_one(path), ("SUCCEEDED", "FAILED"), timeout)


def assert_cluster_back(cluster: DeployedCluster, answer: dict[str, Any], job_name: str) -> None:
    restored = [(stack["name"], stack["status"]) for stack in answer["restored"]]
    assert restored == [(DATA_STACK, "CREATE_COMPLETE"), (STACK, "CREATE_COMPLETE")]
    code, _, err = cluster.cli("status")
    assert code == 0, err
    job = run_job(cluster, job_name)
    assert job["status"] == "SUCCEEDED", job


def test_down_and_up_brings_the_cluster_back_and_a_new_job_runs(cluster: DeployedCluster, own_emulator: int) -> None:
    before = run_job(cluster, "before")
    assert before["status"] == "SUCCEEDED", before

    code, out, err = capture_cli(["local", "down"])
    assert code == 0, err
    code, out, err = capture_cli(["local", "up", "--port", str(own_emulator)])
    assert code == 0, err
    assert f"re-created stack {DATA_STACK}" in out + err
    assert f"re-created stack {STACK}" in out + err
    assert "not restored: job history, job logs and bucket contents" in out + err

    # The job history is gone, as the emulator said.
    code, _, err = cluster.cli("show", before["id"])
    assert code == 1 and "not found" in err.lower()
    assert run_job(cluster, "after-down")["status"] == "SUCCEEDED"


def test_a_crashed_emulator_comes_back_with_the_cluster(cluster: DeployedCluster, own_emulator: int) -> None:
    info = process.status()
    assert info is not None
    os.kill(info.pid, signal.SIGKILL)
    deadline = time.monotonic() + 10
    # Gone, not only silent: status() also reaps it (this test process started it), which removes /proc/<pid>.
    while process.status() is not None or Path(f"/proc/{info.pid}").exists():
        assert time.monotonic() < deadline, "the killed emulator is still there"
        time.sleep(0.1)
    assert_cluster_back(cluster, local_up(own_emulator), "after-crash")


def test_a_destroyed_cluster_is_not_re_created(cluster: DeployedCluster, own_emulator: int) -> None:
    code, _, err = cluster.cli("destroy", "--yes", "--delete-data")
    assert code == 0, err
    deadline = time.monotonic() + 10
    records = json.loads((process.state_dir() / "stacks.json").read_text())["stacks"]
    while records:
        assert time.monotonic() < deadline, f"still recorded after destroy: {[r['name'] for r in records]}"
        time.sleep(0.2)
        records = json.loads((process.state_dir() / "stacks.json").read_text())["stacks"]
    assert capture_cli(["local", "down"])[0] == 0
    assert local_up(own_emulator)["restored"] == []
