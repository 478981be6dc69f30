"""`run` and `why` end to end, real containers through the local emulator, one deployed cluster (16 vCPUs, Spot):

- `run --wait -- python3 -c "print('hi')"` prints the job id and `hi` (its log), exits 0;
- a 64-vCPU job (--force) -> vCPUs 64 vs maxvCpus 16 and the config key;
- a job behind a still-running dependency -> the dependency by name; after a Spot interruption of that dependency
  (`local interrupt`) -> "spot reclaim" and the retry fix, and the dependant -> "dependency failed";
- a job whose memory grows past its limit -> "out of memory", the peak, a memory size above the peak;
- an image never pushed (`run --image <repository>:never-pushed`) -> "image pull".

Every job is submitted before any is waited for, so the module costs about one job's time plus the deploy.
In CI (CI=true) a missing Docker engine or base image fails these tests; elsewhere they are skipped.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from tests.deployed_cluster import DeployedCluster, deploy_cluster, first_json
from tests.emulator_fixtures import Emulator

pytestmark = [pytest.mark.e2e, pytest.mark.requires_docker]

CLUSTER = "insight"
# Grows by 8 MiB every 20 ms until the 256 MiB limit kills it: the runner's samples see the climb.
GROW = "import time\nheld = []\nwhile True:\n    held.append(b'x' * 8 * 2**20)\n    time.sleep(0.02)\n"
BLOCKER = "import time\nprint('blocking', flush=True)\ntime.sleep(300)\n"


@pytest.fixture(scope="module")
def cluster(emulator: Emulator, tmp_path_factory: pytest.TempPathFactory) -> DeployedCluster:
    return deploy_cluster(CLUSTER, tmp_path_factory)


@pytest.fixture(scope="module")
def jobs(cluster: DeployedCluster) -> dict[str, str]:
    """Every scenario's job, submitted at once: name -> job id."""
    ids: dict[str, str] = {}
    ids["big"] = run(cluster, "--force", "--vcpus", "64", "--name", "big", "--", "true")
    ids["oom"] = run(cluster, "--memory", "256", "--name", "oom", "--", "python3", "-c", GROW)
    image = f"{cluster.outputs['RepositoryUri']}:never-pushed"
    ids["pull"] = run(cluster, "--image", image, "--name", "pull", "--", "true")
    path = cluster.job_file(
        "chain",
        [
            {"name": "blocker", "queue": "cpu", "definition": "helloworld", "command": ["python3", "-c", BLOCKER]},
            {
                "name": "after",
                "queue": "cpu",
                "definition": "helloworld",
                "command": ["true"],
                "depends_on": ["blocker"],
            },
        ],
    )
    code, out, err = cluster.cli("-o", "json", "submit", str(path))
    assert code == 0, err
    ids.update({job["name"]: job["job_id"] for job in json.loads(out)["jobs"]})
    return ids


def run(cluster: DeployedCluster, *args: str) -> str:
    code, out, err = cluster.cli("-o", "json", "run", *args)
    assert code == 0, err
    return str(first_json(out)["job"]["job_id"])


def why(cluster: DeployedCluster, job_id: str) -> dict[str, Any]:
    code, out, err = cluster.cli("-o", "json", "why", job_id)
    assert code == 0, err
    answer: dict[str, Any] = json.loads(out)
    return answer


def test_run_waits_and_prints_the_job_id_and_its_log(cluster: DeployedCluster, jobs: dict[str, str]) -> None:
    code, out, err = cluster.cli("run", "--wait", "--", "python3", "-c", "print('hi')")
    assert code == 0, err
    lines = out.splitlines()
    assert cluster.show(lines[0])["job"]["status"] == "SUCCEEDED"  # the first line is the job id
    assert "hi" in lines[1:]


def test_a_job_larger_than_the_cluster_names_vcpus_and_the_config_key(
    cluster: DeployedCluster, jobs: dict[str, str]
) -> None:
    cluster.wait_for(jobs["big"], ("RUNNABLE",), timeout=90)
    answer = why(cluster, jobs["big"])
    assert "can never run" in answer["verdict"], json.dumps(answer, indent=1)
    assert "insight-cpu-spot: at most 16 vCPUs (max_vcpus), 64 asked" in answer["evidence"]
    assert any("compute_environments[cpu-spot].max_vcpus from 16 to at least 64" in fix for fix in answer["fixes"])
    code, out, _ = cluster.cli("why", jobs["big"])
    assert code == 0 and out.startswith("job big") and "fix: raise compute_environments[cpu-spot].max_vcpus" in out
    code, out, _ = cluster.cli("show", jobs["big"])
    assert code == 0 and "why  job big" in out and "can never run" in out


def test_dependency_then_spot_reclaim(cluster: DeployedCluster, jobs: dict[str, str]) -> None:
    cluster.wait_for(jobs["blocker"], ("RUNNING",), timeout=90)
    answer = why(cluster, jobs["after"])
    assert "waiting for 1 unfinished dependency: blocker " + jobs["blocker"] + " (RUNNING)" in answer["verdict"]
    code, _, err = cluster.cli("local", "interrupt", jobs["blocker"])
    assert code == 0, err
    cluster.wait_for(jobs["blocker"], ("FAILED",), timeout=90)
    answer = why(cluster, jobs["blocker"])
    assert answer["failure"] == "spot reclaim", answer
    assert "  blocking" in answer["evidence"]  # the command's own last log line
    assert any("retry_on: [spot-loss]" in fix for fix in answer["fixes"])
    cluster.wait_for(jobs["after"], ("FAILED",), timeout=90)
    assert why(cluster, jobs["after"])["failure"] == "dependency failed"
    code, out, _ = cluster.cli("jobs", "--all", "--name", "blocker")
    assert code == 0 and "spot reclaim" in out


def test_out_of_memory_gives_the_peak_and_more_memory(cluster: DeployedCluster, jobs: dict[str, str]) -> None:
    cluster.wait_for(jobs["oom"], ("FAILED", "SUCCEEDED"), timeout=90)
    answer = why(cluster, jobs["oom"])
    assert answer["failure"] == "out of memory", answer
    usage = next(line for line in answer["evidence"] if line.startswith("usage: peak memory"))
    peak = float(usage.split()[3])
    suggested = int(answer["fixes"][0].split(" -> ")[1].split()[0])
    assert 0 < peak < suggested and suggested > 256, answer
    assert answer["fixes"][0].endswith(f"--memory {suggested}")
    # The suggested command, as a dry run: the new job asks for the suggested memory on the same queue.
    code, out, err = cluster.cli("-o", "json", "resubmit", jobs["oom"], "--memory", str(suggested), "--dry-run")
    assert code == 0, err
    requirements = json.loads(out)["request"]["containerOverrides"]["resourceRequirements"]
    assert {"type": "MEMORY", "value": str(suggested)} in requirements


def test_an_image_never_pushed_is_an_image_pull_failure(cluster: DeployedCluster, jobs: dict[str, str]) -> None:
    cluster.wait_for(jobs["pull"], ("FAILED", "SUCCEEDED"), timeout=90)
    answer = why(cluster, jobs["pull"])
    assert answer["failure"] == "image pull", answer
    assert any("image push never-pushed" in fix for fix in answer["fixes"]), answer
    assert cluster.show(jobs["pull"])["job"]["failure_class"] == "image pull"
    # A second run of the same image reuses the job definition the first registered.
    image = f"{cluster.outputs['RepositoryUri']}:never-pushed"
    code, out, err = cluster.cli("-o", "json", "run", "--image", image, "--", "true")
    assert code == 0, err
    assert first_json(out)["request"]["jobDefinition"] == cluster.show(jobs["pull"])["job"]["definition"]


def test_usage_reports_requested_used_and_cost(cluster: DeployedCluster, jobs: dict[str, str]) -> None:
    cluster.wait_for(jobs["oom"], ("FAILED", "SUCCEEDED"), timeout=90)
    code, out, err = cluster.cli("-o", "json", "usage", "--since", "1h")
    assert code == 0, err
    report = json.loads(out)
    oom = next(job for job in report["jobs"] if job["id"] == jobs["oom"])
    assert (oom["memory_mib"], oom["vcpus"]) == (256, 1)
    assert (
        oom["peak_mib"] > 0 and oom["cost_usd"] > 0 and oom["cost_basis"].startswith("c6i.large SPOT")
    )  # the cheapest default type it fits
    assert report["price_date"] and "estimate" in report["note"]
    code, out, err = cluster.cli("usage", "--since", "1h")
    assert code == 0, err
    assert "cost USD" in out and "vCPU-s asked" in out and "suggested MiB" in out and "estimated cost" in out
    code, out, err = cluster.cli("usage", "-o", "csv", jobs["oom"])
    assert code == 0 and out.splitlines()[0].startswith("id,name,definition") and jobs["oom"] in out
