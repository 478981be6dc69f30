# ruff: noqa: E501  (a table of cases: one case a line reads best)
"""The bad-input cases that reach the local emulator: one clear line, and nothing created (checked through boto3).

A cluster is deployed once through the CLI. Each case then runs batchctl against it with a bad job file, config or
option, and the stacks, buckets and jobs of the emulator are compared before and after: a file whose second job is
wrong must leave no first job behind.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from tests.helpers import DEMO_CONFIG, capture_cli, write_yaml

pytestmark = pytest.mark.integration

ACCOUNT = "123456789012"
REGION = "us-east-1"
MISSING_QUEUE = f"arn:aws:batch:{REGION}:{ACCOUNT}:job-queue/no-such-queue"
MISSING_DEFINITION = f"arn:aws:batch:{REGION}:{ACCOUNT}:job-definition/no-such-definition:1"
FIRST = "jobs:\n  - name: first\n    queue: cpu\n    definition: helloworld\n    command: echo hi\n"


@pytest.fixture(scope="module")
def cluster(emulator: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    config = write_yaml(tmp_path_factory.mktemp("bad-input") / "batchctl.yaml", {**DEMO_CONFIG, "name": "badin"})
    code, _, err = capture_cli(["--local", "-f", str(config), "-o", "json", "deploy", "--yes"])
    assert code == 0, err
    yield config


@dataclass(frozen=True)
class Snapshot:
    stacks: frozenset[str]
    buckets: frozenset[str]
    jobs: frozenset[str]


def snapshot(emulator: Any) -> Snapshot:
    cloudformation, s3, batch = (emulator.client(name) for name in ("cloudformation", "s3", "batch"))
    stacks = {
        summary["StackName"]
        for page in cloudformation.get_paginator("list_stacks").paginate()
        for summary in page["StackSummaries"]
        if summary["StackStatus"] != "DELETE_COMPLETE"
    }
    buckets = {bucket["Name"] for bucket in s3.list_buckets()["Buckets"]}
    jobs: set[str] = set()
    for queue in batch.describe_job_queues()["jobQueues"]:
        every = [{"name": "AFTER_CREATED_AT", "values": ["0"]}]
        for page in batch.get_paginator("list_jobs").paginate(jobQueue=queue["jobQueueArn"], filters=every):
            jobs.update(summary["jobId"] for summary in page["jobSummaryList"])
    return Snapshot(frozenset(stacks), frozenset(buckets), frozenset(jobs))


@dataclass(frozen=True)
class Case:
    id: str
    args: list[str]  # {config}, {jobs}, {other}, {dir} are replaced by the case's paths
    first: str
    code: int = 1
    jobs: str = ""
    other_config: str = ""  # a second config file, for deploy cases


POPEN = "{{ cycler.__init__.__globals__.os.popen('touch {dir}/pwned').read() }}"
SUBMIT = ["--local", "-f", "{config}", "submit", "{jobs}"]
DEPLOY = ["--local", "-f", "{other}", "deploy", "--yes"]
OTHER = "name: other\ncompute_environments:\n  - {name: cpu-spot, max_vcpus: 16}\nqueues:\n  - {name: cpu, compute_environments: [cpu-spot]}\n"

CASES = [
    Case("second-job-missing-queue-arn", SUBMIT, f'{{jobs}}:7: job "second": queue: job queue {MISSING_QUEUE} does not exist in local emulator', jobs=FIRST + f"  - name: second\n    queue: {MISSING_QUEUE}\n    definition: helloworld\n"),
    Case("second-job-missing-definition-arn", SUBMIT, f'{{jobs}}:8: job "second": definition: job definition {MISSING_DEFINITION} does not exist', jobs=FIRST + f"  - name: second\n    queue: cpu\n    definition: {MISSING_DEFINITION}\n"),
    Case("second-job-too-large-for-its-queue", SUBMIT, '{jobs}:9: job "second": vcpus: no compute environment of queue badin-cpu can ever run this job (badin-cpu-spot: at most 16 vCPUs (max_vcpus), 64 asked)', jobs=FIRST + "  - name: second\n    queue: cpu\n    definition: helloworld\n    vcpus: 64\n"),
    Case("second-job-payload-too-large", SUBMIT, '{jobs}:9: job "second": environment: the SubmitJob request is', jobs=FIRST + "  - name: second\n    queue: cpu\n    definition: helloworld\n    environment: {BIG: " + "v" * 40_000 + "}\n"),
    Case("second-job-unknown-queue", SUBMIT, '{jobs}:7: job "second": queue: unknown queue \'gpu\'', jobs=FIRST + "  - name: second\n    queue: gpu\n    definition: helloworld\n"),
    Case("second-job-21-dependencies", SUBMIT, '{jobs}:23: job "last": depends_on', jobs="jobs:\n" + "".join(f"  - {{name: j{n}, queue: cpu, definition: helloworld}}\n" for n in range(21)) + "  - {name: last, queue: cpu, definition: helloworld, depends_on: [" + ", ".join(f"j{n}" for n in range(21)) + "]}\n"),
    Case("popen-payload-submitted", SUBMIT, "{jobs}:6: template refused: access to attribute '__init__'", jobs=FIRST + f"    environment: {{X: \"{POPEN}\"}}\n"),
    Case("since-banana", ["--local", "-f", "{config}", "jobs", "--since", "banana"], "Invalid value for '--since'", code=2),
    Case("region-option", ["--local", "--region", "mars-1", "-f", "{config}", "status"], "'mars-1' is not an AWS region", code=2),
    Case("deploy-alias-bomb", DEPLOY, "{other}:7:5: refused: its aliases expand", other_config="name: other\n" + "".join(f"l{n}: &l{n} [{', '.join([f'*l{n - 1}'] * 9) if n else ', '.join(['lol'] * 9)}]\n" for n in range(9))),
    Case("deploy-max-vcpus-huge", DEPLOY, "{other}:3: compute_environments[0].max_vcpus", other_config=OTHER.replace("max_vcpus: 16", "max_vcpus: " + "9" * 30)),
    Case("deploy-duplicate-queues", DEPLOY, "{other}:6: duplicate key 'queues': also given at line 4", other_config=OTHER + "queues: []\n"),
    Case("deploy-region-unknown", DEPLOY, "{other}:1: region: not an AWS region", other_config="region: mars-1\n" + OTHER.replace("name: other\n", "name: other\n", 1)),
    Case("deploy-region-option", ["--local", "--region", "mars-1", "-f", "{other}", "deploy", "--yes"], "'mars-1' is not an AWS region", code=2, other_config=OTHER),
]  # fmt: skip


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_bad_input_reaching_the_emulator(case: Case, cluster: Path, emulator: Any, tmp_path: Path) -> None:
    paths = {"config": cluster, "jobs": tmp_path / "jobs.yaml", "other": tmp_path / "other.yaml", "dir": tmp_path}
    names = {key: str(value) for key, value in paths.items()}
    paths["jobs"].write_text(case.jobs.replace("{dir}", names["dir"]), encoding="utf-8")
    paths["other"].write_text(case.other_config, encoding="utf-8")
    before = snapshot(emulator)

    code, _, err = capture_cli([arg.format(**names) for arg in case.args])

    assert code == case.code, err
    lines = err.splitlines()
    first = next(line for line in lines if line.startswith("Error:")) if case.code == 2 else lines[0]
    assert case.first.format(**names) in first, err
    assert "Traceback" not in err and "Error: unexpected" not in err
    assert snapshot(emulator) == before, "stacks, buckets or jobs were created"
    assert not (tmp_path / "pwned").exists()


def test_the_missing_queue_case_would_have_submitted_the_first_job(
    cluster: Path, emulator: Any, tmp_path: Path
) -> None:
    """The control: the same file without its bad second job submits, so the cases above fail for their reason."""
    jobs = tmp_path / "jobs.yaml"
    jobs.write_text(FIRST, encoding="utf-8")
    before = snapshot(emulator)
    code, out, err = capture_cli(["--local", "-f", str(cluster), "-o", "json", "submit", str(jobs)])
    assert code == 0, err
    submitted = {job["job_id"] for job in json.loads(out)["jobs"]}
    assert snapshot(emulator).jobs - before.jobs == submitted
