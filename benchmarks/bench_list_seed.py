"""Listing N jobs: the seed project's call pattern next to batchctl's, on the same emulator, in one run.

    python benchmarks/bench_list_seed.py [N]      (default: 10000)

The seed project listed a user's jobs with ListJobs for each status and queue, then one ListTagsForResource per
job to find its submitter. batchctl lists every status at once (ListJobs with a filter, 1000 a page) and reads the
tags from DescribeJobs (100 ids a call), which returns them. Starts its own emulator (temporary BATCHCTL_HOME, free
port) with --no-containers (API path only); prints the calls of each pattern and their median time (3 runs).
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from tests.bare_cluster import bare_cluster, client
from tests.emulator_fixtures import batchctl_home, free_port

from batchctl.api import Batchctl
from batchctl.local import process
from batchctl.local.faults import FaultSettings

STATUSES = ("SUBMITTED", "PENDING", "RUNNABLE", "STARTING", "RUNNING", "SUCCEEDED", "FAILED")
RUNS = 3
JOBS = """jobs:
{% for i in range(count | int) %}
  - {name: listed-{{ i }}, queue: cpu, definition: helloworld}
{% endfor %}
"""


def counted(batch: Any) -> Counter[str]:
    calls: Counter[str] = Counter()
    batch.meta.events.register("before-call.batch.*", lambda model, **_: calls.update([model.name]))
    return calls


def seed_pattern(batch: Any, queue: str, user: str) -> int:
    mine = 0
    for status in STATUSES:
        for page in batch.get_paginator("list_jobs").paginate(jobQueue=queue, jobStatus=status):
            for summary in page["jobSummaryList"]:
                tags = batch.list_tags_for_resource(resourceArn=summary["jobArn"])["tags"]
                mine += tags.get("submitter") == user
    return mine


def median_run(run: Any, calls: Counter[str]) -> tuple[float, Counter[str], Any]:
    times, result = [], None
    for _ in range(RUNS):
        calls.clear()
        started = time.perf_counter()
        result = run()
        times.append(time.perf_counter() - started)
    return statistics.median(times), Counter(calls), result


def main(count: int) -> None:
    with tempfile.TemporaryDirectory() as directory, batchctl_home(Path(directory)):
        info = process.start(port=free_port(), timeout=60, faults=FaultSettings(no_containers=True))
        try:
            config = bare_cluster(info.endpoint, Path(directory))
            api = Batchctl.from_config(config, endpoint_url=info.endpoint, user="bench")
            jobs = Path(directory) / "jobs.yaml"
            jobs.write_text(JOBS, encoding="utf-8")
            api.submit(jobs, {"count": str(count)}, rate=1000)
            queue = api.stack_outputs()["QueueCpu"]
            seed_batch = client(info.endpoint, "batch")
            seed_calls = counted(seed_batch)
            seed_seconds, seed, seed_found = median_run(lambda: seed_pattern(seed_batch, queue, "bench"), seed_calls)
            ours = counted(api.aws.client("batch"))
            # A new Batchctl per run, as each `batchctl jobs` is: one object describes a finished job only once.
            our_seconds, mine, listed = median_run(
                lambda: Batchctl(api.config, api.aws, user="bench").jobs(all_statuses=True), ours
            )
        finally:
            process.stop()
    assert seed_found == len(listed) == count, (seed_found, len(listed))
    print(f"listing {count} jobs of one user in one queue, median of {RUNS}")
    print(f"{'pattern':<10} {'ListJobs':>9} {'ListTags':>9} {'Describe':>9} {'calls':>7} {'seconds':>8}")
    for label, calls, seconds in (("seed", seed, seed_seconds), ("batchctl", mine, our_seconds)):
        print(
            f"{label:<10} {calls['ListJobs']:>9} {calls['ListTagsForResource']:>9} {calls['DescribeJobs']:>9} "
            f"{sum(calls.values()):>7} {seconds:>8.2f}"
        )
    print(
        f"ratio (seed / batchctl): {seed_seconds / our_seconds:.1f}x the time, "
        f"{sum(seed.values()) / sum(mine.values()):.0f}x the calls"
    )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10000)
