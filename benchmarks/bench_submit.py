"""Submit rate on a realistic link: the emulator adds 50 ms to every call and throttles SubmitJob above 50 TPS.

    python benchmarks/bench_submit.py [JOBS] [GRAPH_JOBS]      (default: 1000 200)

Starts its own emulator (temporary BATCHCTL_HOME, free port) with ``--latency-ms 50 --throttle SubmitJob=50
--no-containers`` (jobs succeed without containers: this measures the API path only), then submits, side by side:
JOBS independent jobs and a GRAPH_JOBS-job dependency graph (layers of 20, each job after one of the layer before),
each with batchctl's concurrent paced submitter and one job at a time (the former behaviour, measured on a fifth of
the jobs: its rate does not depend on the count). Prints jobs per second, the ratio, and the 429s the emulator sent.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from tests.bare_cluster import bare_cluster
from tests.emulator_fixtures import batchctl_home, free_port

from batchctl.api import Batchctl
from batchctl.jobs.pacing import DEFAULT_SUBMIT_RATE
from batchctl.local import faults, process
from batchctl.local.faults import FaultSettings

LINK = FaultSettings(latency_ms=50, throttle={"SubmitJob": 50}, no_containers=True)
JOBS = """jobs:
{% for i in range(count | int) %}
  - name: {{ prefix }}-{{ i }}
    queue: cpu
    definition: helloworld
{% if graph == 'yes' and i >= 20 %}
    depends_on: [{{ prefix }}-{{ i - 20 + (i * 7) % 20 - i % 20 }}]
{% endif %}
{% endfor %}
"""


def throttled(endpoint: str) -> int:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(f"{endpoint}{faults.FAULTS_PATH}", timeout=10) as response:
        return int(json.loads(response.read())["counts"].get("submitjob", {}).get("throttled", 0))


def rate(
    api: Batchctl,
    path: Path,
    endpoint: str,
    count: int,
    prefix: str,
    graph: bool,
    workers: int,
    limit: float = DEFAULT_SUBMIT_RATE,
) -> tuple[float, int]:
    from batchctl.jobs import submit

    before = throttled(endpoint)
    previous = submit.CONCURRENT_SUBMISSIONS
    submit.CONCURRENT_SUBMISSIONS = workers
    try:
        started = time.perf_counter()
        variables = {"count": str(count), "prefix": prefix, "graph": "yes" if graph else "no"}
        result = api.submit(path, variables, rate=limit)
        seconds = time.perf_counter() - started
    finally:
        submit.CONCURRENT_SUBMISSIONS = previous
    assert len(result.jobs) == count
    return count / seconds, throttled(endpoint) - before


def main(jobs: int, graph_jobs: int) -> None:
    with tempfile.TemporaryDirectory() as directory, batchctl_home(Path(directory)):
        info = process.start(port=free_port(), timeout=60, faults=LINK)
        try:
            config = bare_cluster(info.endpoint, Path(directory))
            api = Batchctl.from_config(config, endpoint_url=info.endpoint, user="bench")
            path = Path(directory) / "jobs.yaml"
            path.write_text(JOBS, encoding="utf-8")
            print(f"emulator: {'; '.join(LINK.describe())}")
            print(f"{'scenario':<34} {'one at a time':>14} {'batchctl':>10} {'ratio':>6} {'429s':>5}")
            for label, count, graph in (
                (f"{jobs} independent jobs", jobs, False),
                (f"{graph_jobs}-job graph", graph_jobs, True),
            ):
                prefix = "graph" if graph else "flat"
                serial, _ = rate(api, path, info.endpoint, max(20, count // 5), f"{prefix}s", graph, workers=1)
                fast, refused = rate(api, path, info.endpoint, count, prefix, graph, workers=submit_workers())
                print(f"{label:<34} {serial:>10.1f}/s {fast:>8.1f}/s {fast / serial:>6.2f} {refused:>5}")
            # Above the quota: the limiter backs off on 429s instead of hammering the bucket.
            fast, refused = rate(api, path, info.endpoint, jobs, "over", False, submit_workers(), limit=100)
            print(f"{f'{jobs} independent, --rate 100':<34} {'':>12} {fast:>8.1f}/s {'':>6} {refused:>5}")
        finally:
            process.stop()


def submit_workers() -> int:
    from batchctl.jobs.submit import CONCURRENT_SUBMISSIONS

    return CONCURRENT_SUBMISSIONS


if __name__ == "__main__":
    arguments = [int(value) for value in sys.argv[1:3]]
    main(*(arguments + [1000, 200][len(arguments) :]))
