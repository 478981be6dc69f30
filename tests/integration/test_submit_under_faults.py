"""Exactly once under throttling and errors that took effect: a file's jobs against an emulator injecting faults.

The emulator answers 30% of SubmitJob calls with 429 TooManyRequestsException and runs 5% of them before answering
500 ServerException (the client cannot tell they worked). Jobs succeed without containers: this tier tests the API
path of submission (the end-to-end tier runs containers).
"""

from __future__ import annotations

import json
import urllib.request
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.bare_cluster import bare_cluster, jobs_named
from tests.emulator_fixtures import batchctl_home, free_port

from batchctl.api import Batchctl
from batchctl.jobs.submit import SubmitProgress
from batchctl.local import faults, process
from batchctl.local.faults import FaultSettings

pytestmark = pytest.mark.integration

FAULTS = FaultSettings(throttle_fraction={"SubmitJob": 0.3}, error_rate={"SubmitJob": 0.05}, no_containers=True)
RATE = 200.0  # the client's limit: the emulator's throttling is random, not rate-based, so this only bounds the run

BULK = """jobs:
{% for i in range(count | int) %}
  - name: {{ prefix }}-{{ i }}
    queue: cpu
    definition: helloworld
{% if i >= 10 and chain == 'yes' %}
    depends_on: [{{ prefix }}-{{ i - 10 }}]
{% endif %}
{% endfor %}
"""


@pytest.fixture(scope="module")
def faulty(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    home = tmp_path_factory.mktemp("faulty-home")
    with batchctl_home(home):
        info = process.start(port=free_port(), timeout=60, faults=FAULTS)
        try:
            assert process.status() == info and info.faults == FAULTS  # what `local status` shows
            yield info.endpoint, bare_cluster(info.endpoint, home)
        finally:
            process.stop()


def counts(endpoint: str) -> dict[str, int]:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(f"{endpoint}{faults.FAULTS_PATH}", timeout=10) as response:
        return dict(json.loads(response.read())["counts"].get("submitjob", {}))


def exactly_once(endpoint: str, api: Batchctl, prefix: str, count: int) -> None:
    listed = jobs_named(endpoint, api.stack_outputs()["QueueCpu"], f"{prefix}-*")
    names = Counter(summary["jobName"] for summary in listed)
    duplicated = {name: n for name, n in names.items() if n > 1}
    assert duplicated == {}
    assert len(names) == count


def test_1000_jobs_under_throttling_and_errors_after_effect_exist_exactly_once(faulty: tuple[str, Path]) -> None:
    endpoint, config = faulty
    api = Batchctl.from_config(config, endpoint_url=endpoint, user="alice")
    jobs = config.parent / "bulk.yaml"
    jobs.write_text(BULK, encoding="utf-8")
    before = counts(endpoint)
    result = api.submit(jobs, {"count": "1000", "prefix": "bulk", "chain": "no"}, rate=RATE)
    assert len({job.job_id for job in result.jobs}) == 1000
    exactly_once(endpoint, api, "bulk", 1000)
    after = counts(endpoint)
    throttled = after.get("throttled", 0) - before.get("throttled", 0)
    failed = after.get("failed_after_effect", 0) - before.get("failed_after_effect", 0)
    passed = after.get("passed", 0) - before.get("passed", 0)
    assert passed + failed == 1000  # every job reached the backend once: no retry after an effect re-sent it
    assert throttled > 300 and failed > 25  # the faults did happen (about 30% and 5% of the calls)


def test_an_interrupted_submission_resumed_leaves_exactly_n_jobs(faulty: tuple[str, Path]) -> None:
    endpoint, config = faulty
    api = Batchctl.from_config(config, endpoint_url=endpoint, user="alice")
    jobs = config.parent / "chain.yaml"
    jobs.write_text(BULK, encoding="utf-8")
    variables = {"count": "200", "prefix": "chain", "chain": "yes"}
    seen: list[SubmitProgress] = []

    def interrupt_half_way(progress: SubmitProgress) -> None:
        seen.append(progress)
        if progress.done >= 100:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        api.submit(jobs, variables, rate=RATE, on_progress=interrupt_half_way)
    submission = seen[0].submission_id
    partial = jobs_named(endpoint, api.stack_outputs()["QueueCpu"], "chain-*")
    assert 100 <= len(partial) < 200

    result = api.submit(jobs, variables, rate=RATE, resume=submission)
    assert result.submission_id == submission and len(result.jobs) == 200
    exactly_once(endpoint, api, "chain", 200)
    # Dependencies point at the jobs that exist, found or submitted: each job after the tenth waits for one.
    ids = {job.name: job.job_id for job in result.jobs}
    depends = {request["jobName"]: request.get("dependsOn") for request in result.requests}
    assert depends[f"chain-150-{submission}"] == [{"jobId": ids["chain-140"]}]
