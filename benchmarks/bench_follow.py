"""API call rates of following and waiting for a big array, next to the quotas they must stay under.

    python benchmarks/bench_follow.py [CHILDREN] [PARALLEL]      (default: 200 8)

Starts its own emulator (temporary BATCHCTL_HOME, free port) with containers on, bounded to PARALLEL vCPUs, submits
an array of CHILDREN children that each print a line a second for a few seconds, and runs at the same time
`submit --follow` (its logs, batchctl's follow of the first 50 children) and `submit --wait` over every child id
(DescribeJobs 100 ids a call, polls backing off). Prints, per operation, the calls, the mean and the busiest
second's rate, and the quota (Batch: https://docs.aws.amazon.com/batch/latest/userguide/service_limits.html;
CloudWatch Logs: https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/cloudwatch_limits_cwl.html).
"""

from __future__ import annotations

import os
import sys
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from tests.bare_cluster import bare_cluster
from tests.emulator_fixtures import batchctl_home, free_port

from batchctl.api import Batchctl
from batchctl.local import process, scheduler

QUOTAS = {"GetLogEvents": 25, "FilterLogEvents": 5}
JOBS = """jobs:
  - name: chatty
    queue: cpu
    definition: helloworld
    array_size: {{ children }}
    command: sh -c 'for i in 1 2 3; do echo line $i; sleep 1; done'
"""


class Calls:
    def __init__(self) -> None:
        self.times: dict[str, list[float]] = defaultdict(list)
        self.lock = threading.Lock()

    def watch(self, client: Any, service: str) -> None:
        client.meta.events.register(f"before-call.{service}.*", self.count)

    def count(self, model: Any, **_: Any) -> None:
        with self.lock:
            self.times[model.name].append(time.monotonic())


def busiest_second(times: list[float]) -> int:
    ordered = sorted(times)
    best, start = 0, 0
    for end, moment in enumerate(ordered):
        while moment - ordered[start] >= 1:
            start += 1
        best = max(best, end - start + 1)
    return best


def main(children: int, parallel: int) -> None:
    os.environ[scheduler.MACHINE_VCPUS_ENV] = str(parallel)  # the emulator inherits it
    with tempfile.TemporaryDirectory() as directory, batchctl_home(Path(directory)):
        info = process.start(port=free_port(), timeout=60)
        try:
            config = bare_cluster(info.endpoint, Path(directory))
            jobs = Path(directory) / "jobs.yaml"
            jobs.write_text(JOBS, encoding="utf-8")
            submitter = Batchctl.from_config(config, endpoint_url=info.endpoint, user="bench")
            (array,) = submitter.submit(jobs, {"children": str(children)}).jobs
            follower = Batchctl.from_config(config, endpoint_url=info.endpoint, user="bench")
            waiter = Batchctl.from_config(config, endpoint_url=info.endpoint, user="bench")
            follow_calls, wait_calls = Calls(), Calls()
            follow_calls.watch(follower.aws.client("batch"), "batch")
            follow_calls.watch(follower.aws.client("logs"), "cloudwatch-logs")
            wait_calls.watch(waiter.aws.client("batch"), "batch")
            children_ids = [f"{array.job_id}:{index}" for index in range(children)]
            started = time.monotonic()
            seconds: dict[str, float] = {}

            def follow() -> None:
                lines = sum(1 for _ in follower.follow([array]))
                seconds["follow"] = time.monotonic() - started
                print(f"followed {lines} lines and notices")

            thread = threading.Thread(target=follow)
            thread.start()
            waiter.wait(children_ids)
            seconds["wait"] = time.monotonic() - started
            thread.join()
        finally:
            process.stop()
    print(f"{children}-child array, {parallel} at a time")
    print(f"{'command':<16} {'operation':<16} {'calls':>6} {'seconds':>8} {'mean/s':>7} {'peak/s':>7} {'quota/s':>8}")
    for label, calls in (("submit --follow", follow_calls), ("submit --wait", wait_calls)):
        for operation, times in sorted(calls.times.items()):
            span = seconds["follow" if label.endswith("follow") else "wait"]
            quota = QUOTAS.get(operation, "")
            print(
                f"{label:<16} {operation:<16} {len(times):>6} {span:>8.1f} {len(times) / span:>7.1f} "
                f"{busiest_second(times):>7} {quota:>8}"
            )


if __name__ == "__main__":
    values = [int(value) for value in sys.argv[1:3]]
    main(*(values + [200, 8][len(values) :]))
