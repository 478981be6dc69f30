"""Job files of the Terraform project batchctl replaces, submitted unchanged: real containers in the emulator.

The files (tests/seed_templates/) have that project's shapes: a top-level list of jobs, queues and definitions as
full AWS names built from `project`, envvars, resources, jobId dependencies with N_TO_N and SEQUENTIAL. The
cluster names a queue `cpu-p3`, so `<project>-cpu-p3` resolves with no variable given; the other files get the
queue the way that project's users chose one, a `queue=%s-cpu` pattern on the command line.

In CI (CI=true) a missing Docker engine or base image fails these tests; elsewhere they are skipped.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from tests.deployed_cluster import DeployedCluster, deploy_cluster, first_json
from tests.emulator_fixtures import Emulator
from tests.helpers import DEMO_CONFIG

pytestmark = [pytest.mark.e2e, pytest.mark.requires_docker]

SEED = Path(__file__).resolve().parents[1] / "seed_templates"
CLUSTER = "seed"
STEPS = ("prepare", "fan", "each", "in-turn", "report")


@pytest.fixture(scope="module")
def cluster(emulator: Emulator, tmp_path_factory: pytest.TempPathFactory) -> DeployedCluster:
    queues = [*DEMO_CONFIG["queues"], {"name": "cpu-p3", "compute_environments": ["cpu-spot"]}]
    return deploy_cluster(CLUSTER, tmp_path_factory, queues=queues)


def submit_and_wait(cluster: DeployedCluster, path: Path, *variables: str) -> list[dict[str, Any]]:
    code, out, err = cluster.cli("-o", "json", "submit", str(path), *variables, "--wait")
    assert code == 0, err
    jobs: list[dict[str, Any]] = first_json(out)["jobs"]
    return jobs


def described(emulator: Emulator, job_id: str) -> dict[str, Any]:
    (detail,) = emulator.client("batch").describe_jobs(jobs=[job_id])["jobs"]
    assert detail["status"] == "SUCCEEDED", (job_id, detail.get("statusReason"))
    return dict(detail)


def span(emulator: Emulator, job_id: str) -> tuple[int, int]:
    detail = described(emulator, job_id)
    return int(detail["startedAt"]), int(detail["stoppedAt"])


def test_five_jobs_chained_by_job_id_run_in_order(cluster: DeployedCluster, emulator: Emulator) -> None:
    # `resources` become resourceRequirements (the emulator's DescribeJobs does not report them: see the requests).
    code, out, err = cluster.cli("-o", "json", "submit", str(SEED / "helloworld-dependencies.yaml"), "--dry-run")
    assert code == 0, err
    for request in first_json(out)["requests"]:
        requirements = request["containerOverrides"]["resourceRequirements"]
        assert requirements == [{"type": "VCPU", "value": "1"}, {"type": "MEMORY", "value": "768"}]

    jobs = submit_and_wait(cluster, SEED / "helloworld-dependencies.yaml")
    ids = {job["name"].rsplit("-", 1)[0]: job["job_id"] for job in jobs}
    assert list(ids) == list(STEPS)  # submitted in the file's order, which is also the dependency order

    # `project` became the cluster's name: `seed-cpu-p3` is the queue cpu-p3 of this cluster.
    detail = described(emulator, ids["prepare"])
    assert detail["jobQueue"] == cluster.outputs["QueueCpuP3"]
    assert detail["jobDefinition"] == cluster.outputs["JobDefinitionHelloworld"]
    environment = {item["name"]: item["value"] for item in detail["container"]["environment"]}
    assert environment["STEP"] == "prepare"

    prepare = span(emulator, ids["prepare"])
    fan = [span(emulator, f"{ids['fan']}:{index}") for index in range(3)]
    each = [span(emulator, f"{ids['each']}:{index}") for index in range(3)]
    in_turn = [span(emulator, f"{ids['in-turn']}:{index}") for index in range(3)]
    report = span(emulator, ids["report"])
    assert all(start >= prepare[1] for start, _ in fan)  # fan waits for prepare
    assert all(each[index][0] >= fan[index][1] for index in range(3))  # N_TO_N: child i after child i
    assert in_turn[0][0] >= prepare[1]
    assert all(in_turn[index + 1][0] >= in_turn[index][1] for index in range(2))  # SEQUENTIAL
    assert report[0] >= max(end for _, end in each + in_turn)

    # The envvars reached the command: the runner expanded `--greeting env:STEP`.
    code, out, err = cluster.cli("logs", ids["report"])
    assert code == 0, err
    assert "report, world!" in out


def test_one_job_and_an_array_with_the_queue_given_as_a_pattern(cluster: DeployedCluster, emulator: Emulator) -> None:
    (job,) = submit_and_wait(cluster, SEED / "helloworld.yaml", "queue=%s-cpu", "greeting=bonjour", "name=seed")
    assert described(emulator, job["job_id"])["jobQueue"] == cluster.outputs["QueueCpu"]
    code, out, err = cluster.cli("logs", job["job_id"])
    assert code == 0, err
    assert "bonjour, seed!" in out

    (array,) = submit_and_wait(cluster, SEED / "helloworld-array.yaml", "queue=%s-cpu", "size=2")
    assert array["array_size"] == 2
    code, out, err = cluster.cli("logs", array["job_id"], "--index", "1")
    assert code == 0, err
    assert "(array index 1)" in out
