"""A 100-child array of trivial jobs on the local emulator next to the same 100 `docker run`s (the floor).

    python benchmarks/bench_local_array.py [CHILDREN] [PARALLEL] [REPEATS]      (default: 100 8 3)

Starts its own emulator (temporary BATCHCTL_HOME, free port) with containers on and the machine bounded to PARALLEL
vCPUs (BATCHCTL_LOCAL_MAX_VCPUS), so that PARALLEL one-vCPU children run at once; then, alternately, times the array
from SubmitJob until DescribeJobs says SUCCEEDED, and CHILDREN `docker run --rm --network host IMAGE true` calls
PARALLEL at a time. Prints the medians and their ratio. Needs a Docker engine and the offline base image.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from tests.bare_cluster import bare_cluster, client
from tests.emulator_fixtures import BASE_IMAGE, batchctl_home, free_port

from batchctl.local import process, scheduler


def array_seconds(endpoint: str, children: int) -> float:
    batch = client(endpoint, "batch")
    queue = batch.describe_job_queues()["jobQueues"][0]["jobQueueArn"]
    definition = batch.describe_job_definitions()["jobDefinitions"][0]["jobDefinitionArn"]
    started = time.perf_counter()
    job_id = batch.submit_job(
        jobName="bench-array", jobQueue=queue, jobDefinition=definition, arrayProperties={"size": children}
    )["jobId"]
    while True:
        status = batch.describe_jobs(jobs=[job_id])["jobs"][0]["status"]
        if status in {"SUCCEEDED", "FAILED"}:
            break
        time.sleep(0.1)
    seconds = time.perf_counter() - started
    if status != "SUCCEEDED":
        raise SystemExit(f"the array {job_id} FAILED: see the emulator log")
    return seconds


def docker_floor_seconds(children: int, parallel: int) -> float:
    command = ["docker", "run", "--rm", "--network", "host", BASE_IMAGE, "true"]
    started = time.perf_counter()
    with ThreadPoolExecutor(parallel) as pool:
        list(pool.map(lambda _: subprocess.run(command, check=True, capture_output=True), range(children)))
    return time.perf_counter() - started


def main(children: int, parallel: int, repeats: int) -> None:
    os.environ[scheduler.MACHINE_VCPUS_ENV] = str(parallel)  # the emulator inherits it
    local, floor = [], []
    with tempfile.TemporaryDirectory() as directory, batchctl_home(Path(directory)):
        info = process.start(port=free_port(), timeout=60)
        try:
            bare_cluster(info.endpoint, Path(directory))
            for _ in range(repeats):
                floor.append(docker_floor_seconds(children, parallel))
                local.append(array_seconds(info.endpoint, children))
        finally:
            process.stop()
    print(f"{children} trivial jobs, {parallel} at a time, median of {repeats} (alternating runs)")
    print(f"{'docker run floor':<28} {statistics.median(floor):>8.2f} s")
    print(f"{'local emulator array':<28} {statistics.median(local):>8.2f} s")
    print(f"{'ratio':<28} {statistics.median(local) / statistics.median(floor):>8.2f}")


if __name__ == "__main__":
    values = [int(value) for value in sys.argv[1:4]]
    main(*(values + [100, 8, 3][len(values) :]))
