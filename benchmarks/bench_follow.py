"""Following a big array and waiting for many jobs: API calls, their rates and time, side by side in one run.

    python benchmarks/bench_follow.py [CHILDREN] [WAITED] [HOLD_SECONDS]      (default: 500 1000 60)

1. Following. An emulator with ``--latency-ms 50 --no-containers`` (every call waits 50 ms, as on a real link; jobs
   succeed without containers: this measures the API path). A CHILDREN-child array is submitted and each child's
   log stream gets 3 lines, written with boto3 as the awslogs driver would. Then the array is followed twice, the
   former way (one GetLogEvents loop per stream, paced at 20 calls a second under the quota of 25) and with one
   FilterLogEvents stream set (100 streams a call, paced at 4 a second under the quota of 5), alternately. Printed:
   calls per operation, mean and busiest-second rate, the quota, the time until every line was seen and until the
   follow ended (one more drain after the children ended).
2. Waiting. An emulator with containers, whose queue is DISABLED so that WAITED jobs stay RUNNABLE (no container
   starts) for HOLD_SECONDS, after which they are cancelled. `submit --wait`'s poller (DescribeJobs for 100 ids a
   call, backing off while nothing moves) and a fixed 5-second poller watch the same jobs at the same time.

Quotas: CloudWatch Logs https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/cloudwatch_limits_cwl.html
(GetLogEvents 25, FilterLogEvents 5 per second per account and Region); Batch: DescribeJobs takes 100 ids a call
(https://docs.aws.amazon.com/batch/latest/APIReference/API_DescribeJobs.html) and shares the account's 50 calls a
second (https://repost.aws/knowledge-center/aws-batch-requests-error).
"""

from __future__ import annotations

import sys
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tests.bare_cluster import bare_cluster
from tests.emulator_fixtures import batchctl_home, free_port

from batchctl.api import Batchctl
from batchctl.aws.batch import Batch
from batchctl.aws.logs import Logs
from batchctl.jobs import follow as following
from batchctl.jobs.call_meter import CallMeter
from batchctl.jobs.lookups import log_group_of
from batchctl.jobs.records import JobRecord
from batchctl.local import process
from batchctl.local.faults import FaultSettings

QUOTAS = {"GetLogEvents": 25, "FilterLogEvents": 5, "DescribeJobs": 50}
LINES = 3
ARRAY = """jobs:
  - name: chatty
    queue: cpu
    definition: helloworld
    array_size: {{ children }}
"""
MANY = """jobs:
{% for i in range(count | int) %}
  - name: held-{{ i }}
    queue: cpu
    definition: helloworld
{% endfor %}
"""


class Calls:
    """When each call of the watched clients was made, per operation."""

    def __init__(self) -> None:
        self.times: dict[str, list[float]] = defaultdict(list)
        self.lock = threading.Lock()

    def watch(self, client: Any) -> None:
        client.meta.events.register("before-call", self.count)

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


@contextmanager
def emulator(settings: FaultSettings | None) -> Iterator[tuple[str, Path]]:
    with tempfile.TemporaryDirectory() as directory, batchctl_home(Path(directory)):
        info = process.start(port=free_port(), timeout=60, faults=settings)
        try:
            yield info.endpoint, bare_cluster(info.endpoint, Path(directory))
        finally:
            process.stop()


# --- 1. following ---------------------------------------------------------------------------------------------


def write_lines(api: Batchctl, parent: str, children: int) -> int:
    batch, logs = api.aws.client("batch"), api.aws.client("logs")
    ids = [f"{parent}:{index}" for index in range(children)]
    records = [JobRecord.from_detail(detail) for detail in Batch(batch).describe_jobs(ids)]
    group = log_group_of(records[0], api.resolver())
    if not logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"]:
        logs.create_log_group(logGroupName=group)
    now = int(time.time() * 1000)

    def write(record: JobRecord) -> None:
        assert record.log_stream and record.array_index is not None
        logs.create_log_stream(logGroupName=group, logStreamName=record.log_stream)
        events = [{"timestamp": now + line, "message": f"{record.array_index} line {line}"} for line in range(LINES)]
        logs.put_log_events(logGroupName=group, logStreamName=record.log_stream, logEvents=events)

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(write, records))
    return len(records) * LINES


def follow_once(api: Batchctl, parent: str, children: int, reads: following.Reads, lines: int) -> dict[str, Any]:
    batch, logs = api.aws.client("batch"), api.aws.client("logs")
    calls, meter = Calls(), CallMeter().watch(batch, logs)
    calls.watch(batch)
    calls.watch(logs)
    units = [(f"{parent}:{index}", f"chatty[{index}]") for index in range(children)]
    started = time.monotonic()
    seen, all_seen = 0, None
    try:
        for item in following.follow(Batch(batch), Logs(logs), api.resolver(), units, api.target, reads=reads):
            if isinstance(item, following.LogLine):
                seen += 1
                if seen == lines:
                    all_seen = time.monotonic() - started
    finally:
        meter.stop()
        for client in (batch, logs):
            client.meta.events.unregister("before-call", calls.count)
    assert seen == lines, f"{reads}: saw {seen} of {lines} lines"
    return {"calls": calls.times, "all_seen": all_seen, "done": time.monotonic() - started}


def bench_follow(children: int) -> list[str]:
    out = [f"following a {children}-child array ({LINES} lines a child; the children have ended), 50 ms a call"]
    with emulator(FaultSettings(latency_ms=50, no_containers=True)) as (endpoint, config):
        api = Batchctl.from_config(config, endpoint_url=endpoint, user="bench")
        jobs = config.parent / "array.yaml"
        jobs.write_text(ARRAY, encoding="utf-8")
        (array,) = api.submit(jobs, {"children": str(children)}).jobs
        lines = write_lines(api, array.job_id, children)
        results = {
            reads: follow_once(api, array.job_id, children, reads, lines)
            for reads in ("per-stream", "stream-set", "per-stream", "stream-set")
        }  # alternately; the second run of each is kept (the first warms the emulator's caches)
    head = f"{'reader':<22} {'operation':<16} {'calls':>6} {'mean/s':>7} {'peak/s':>7} {'quota/s':>8}"
    out.append(f"{head} {'all lines':>10} {'done':>8}")
    for reads, label in (("per-stream", "GetLogEvents a stream"), ("stream-set", "FilterLogEvents set")):
        result = results[reads]
        for index, (operation, times) in enumerate(sorted(result["calls"].items(), reverse=True)):
            timing = f"{result['all_seen']:>9.1f}s {result['done']:>7.1f}s" if index == 0 else ""
            out.append(
                f"{label if index == 0 else '':<22} {operation:<16} {len(times):>6} "
                f"{len(times) / result['done']:>7.1f} {busiest_second(times):>7} {QUOTAS.get(operation, ''):>8} "
                f"{timing}"
            )
    old, new = results["per-stream"], results["stream-set"]
    old_reads = len(old["calls"]["GetLogEvents"])
    new_reads = len(new["calls"]["FilterLogEvents"]) + len(new["calls"].get("GetLogEvents", []))
    out.append(
        f"ratio (GetLogEvents a stream / stream set): {old_reads / new_reads:.0f}x the log calls, "
        f"{old['all_seen'] / new['all_seen']:.1f}x the time to see every line, "
        f"{old['done'] / new['done']:.1f}x the time to the end"
    )
    return out


# --- 2. waiting -----------------------------------------------------------------------------------------------


def fixed_poller(batch: Any, ids: list[str], every: float, stop: threading.Event) -> None:
    while not stop.is_set():
        pending = list(ids)
        done = 0
        for start in range(0, len(pending), 100):
            jobs = batch.describe_jobs(jobs=pending[start : start + 100])["jobs"]
            done += sum(1 for job in jobs if job["status"] in ("SUCCEEDED", "FAILED"))
        if done == len(ids):
            return
        stop.wait(every)


def bench_wait(count: int, hold: float) -> list[str]:
    with emulator(None) as (endpoint, config):
        submitter = Batchctl.from_config(config, endpoint_url=endpoint, user="bench")
        queue = submitter.stack_outputs()["QueueCpu"]
        submitter.aws.client("batch").update_job_queue(jobQueue=queue, state="DISABLED")  # jobs stay RUNNABLE
        jobs = config.parent / "many.yaml"
        jobs.write_text(MANY, encoding="utf-8")
        ids = [job.job_id for job in submitter.submit(jobs, {"count": str(count)}).jobs]
        waiter = Batchctl.from_config(config, endpoint_url=endpoint, user="bench")
        naive = Batchctl.from_config(config, endpoint_url=endpoint, user="bench").aws.client("batch")
        wait_calls, naive_calls = Calls(), Calls()
        wait_calls.watch(waiter.aws.client("batch"))
        naive_calls.watch(naive)
        meter = CallMeter()
        seconds: dict[str, float] = {}
        started = time.monotonic()
        stop = threading.Event()

        def run_naive() -> None:
            fixed_poller(naive, ids, 5.0, stop)
            seconds["naive"] = time.monotonic() - started

        def cancel_later() -> None:
            time.sleep(hold)
            batch = submitter.aws.client("batch")
            with ThreadPoolExecutor(8) as pool:
                list(pool.map(lambda job_id: batch.cancel_job(jobId=job_id, reason="benchmark"), ids))

        threads = [threading.Thread(target=run_naive), threading.Thread(target=cancel_later)]
        for thread in threads:
            thread.start()
        waiter.wait(ids, meter=meter)
        seconds["wait"] = time.monotonic() - started
        for thread in threads:
            thread.join()
        stop.set()
    out = [f"waiting for {count} jobs (RUNNABLE for {hold:.0f} s, then cancelled)"]
    out.append(f"{'poller':<24} {'DescribeJobs':>12} {'seconds':>8} {'mean/s':>7} {'peak/s':>7}")
    for label, calls, span in (
        ("fixed 5 s, 100 ids/call", naive_calls, seconds["naive"]),
        ("submit --wait", wait_calls, seconds["wait"]),
    ):
        times = calls.times["DescribeJobs"]
        out.append(f"{label:<24} {len(times):>12} {span:>8.1f} {len(times) / span:>7.2f} {busiest_second(times):>7}")
    out.append(f"submit --wait's own report: waited for {count} jobs: {meter.summary()} over {meter.seconds:.0f} s")
    return out


def main(children: int, waited: int, hold: float) -> None:
    lines = bench_follow(children)
    print("\n".join(lines), flush=True)
    print()
    print("\n".join(bench_wait(waited, hold)))


if __name__ == "__main__":
    values = [float(value) for value in sys.argv[1:4]]
    children, waited, hold = values + [500, 1000, 60][len(values) :]
    main(int(children), int(waited), hold)
