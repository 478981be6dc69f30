"""A cluster deployed into the emulator through the CLI, for the end-to-end tier."""

from __future__ import annotations

import json
import time
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.emulator_fixtures import require_image, require_registry
from tests.helpers import DEMO_CONFIG, capture_cli, write_yaml

REPO = Path(__file__).resolve().parents[1]
HELLOWORLD = REPO / "examples" / "helloworld"


@dataclass
class DeployedCluster:
    config: Path
    outputs: dict[str, str]
    workdir: Path

    def cli(self, *args: str) -> tuple[int, str, str]:
        """batchctl --local -f <this cluster's config> ARGS, in-process: (exit code, stdout, stderr)."""
        return capture_cli(["--local", "-f", str(self.config), *args])

    def show(self, job_id: str) -> dict[str, Any]:
        """`show -o json` of a job: {"job": {...}, "queue": ..., ...}."""
        code, out, err = self.cli("-o", "json", "show", job_id)
        assert code == 0, err
        view: dict[str, Any] = json.loads(out)
        return view

    def job_file(self, name: str, jobs: list[dict[str, Any]]) -> Path:
        return write_yaml(self.workdir / f"{name}.yaml", {"jobs": jobs})

    def submit_one(self, path: Path) -> str:
        """Submit a job file of one job; its id."""
        code, out, err = self.cli("-o", "json", "submit", str(path))
        assert code == 0, err
        (job_id,) = [job["job_id"] for job in first_json(out)["jobs"]]
        return str(job_id)

    def wait_for(self, job_id: str, statuses: Collection[str], timeout: float = 60) -> dict[str, Any]:
        """The job's record (`show -o json`'s "job") once its status is one of `statuses`."""
        deadline = time.monotonic() + timeout
        while True:
            job: dict[str, Any] = self.show(job_id)["job"]
            if job["status"] in statuses:
                return job
            assert time.monotonic() < deadline, f"job {job_id} still {job['status']} after {timeout} s"
            time.sleep(0.5)


def first_json(out: str) -> Any:
    """The first JSON document of stdout (with --wait, the wait's summary follows on stderr)."""
    return json.JSONDecoder().raw_decode(out)[0]


def deploy_cluster(
    name: str, tmp_path_factory: pytest.TempPathFactory, *, push: bool = True, **overrides: Any
) -> DeployedCluster:
    """The demo cluster (with `overrides` of its config) deployed under `name`, with the helloworld image built and
    (unless `push` is False) pushed to the emulator's registry (jobs pull ECR images from it, as on AWS)."""
    require_image("batchctl/base:latest")
    workdir = tmp_path_factory.mktemp(name)
    config = write_yaml(workdir / "batchctl.yaml", {**DEMO_CONFIG, **overrides, "name": name})
    code, out, err = capture_cli(["--local", "-f", str(config), "-o", "json", "deploy", "--yes"])
    assert code == 0, err
    cluster = DeployedCluster(config, json.loads(out)["outputs"], workdir)
    code, _, err = cluster.cli("image", "build", str(HELLOWORLD), "--tag", "helloworld")
    assert code == 0, err
    require_registry()
    if push:
        code, _, err = cluster.cli("image", "push", "helloworld")
        assert code == 0, err
    return cluster
