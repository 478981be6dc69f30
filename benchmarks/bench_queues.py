"""Start-up and one call: `batchctl queues`, `jobs` and `show` next to a bare boto3 call and awscli, same endpoint.

    python benchmarks/bench_queues.py [REPEATS]      (default: 7)

Starts its own emulator (temporary BATCHCTL_HOME, free port), makes a cluster's queues and one job with boto3, then
runs each command REPEATS times in a fresh interpreter, interleaved so that load on a shared machine falls on all
of them alike, and prints the median wall time and its ratio to the bare boto3 call (a client and one
DescribeJobQueues). awscli's column is left out where the `aws` command is not installed.

Every command runs as an installed package does: with its modules byte-compiled (pip compiles them on install).
The bytecode goes to a temporary PYTHONPYCACHEPREFIX, filled by one warm-up run of each command that is not
counted; PYTHONDONTWRITEBYTECODE, which some machines set, would otherwise recompile batchctl's sources (an
editable checkout's) on every run, about 40 ms, while boto3's come compiled from its wheel.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests.bare_cluster import REGION, bare_cluster, client
from tests.emulator_fixtures import batchctl_home, free_port

from batchctl.local import process

BOTO3_CALL = (
    "import boto3; boto3.client('batch', endpoint_url={endpoint!r}, region_name={region!r}, "
    "aws_access_key_id='test', aws_secret_access_key='test').describe_job_queues()"
)


def commands(endpoint: str, config: Path, job_id: str) -> dict[str, list[str]]:
    batchctl = [sys.executable, "-m", "batchctl", "-f", str(config), "--local"]
    found = {
        "bare boto3 DescribeJobQueues": [sys.executable, "-c", BOTO3_CALL.format(endpoint=endpoint, region=REGION)],
        "batchctl queues": [*batchctl, "queues"],
        "batchctl jobs": [*batchctl, "jobs", "--all"],
        "batchctl show": [*batchctl, "show", job_id],
    }
    aws = shutil.which("aws")
    if aws:
        found["awscli describe-job-queues"] = [aws, "batch", "describe-job-queues", "--endpoint-url", endpoint]
    return found


def main(repeats: int) -> None:
    with tempfile.TemporaryDirectory() as directory, batchctl_home(Path(directory)):
        info = process.start(port=free_port(), timeout=60)
        try:
            config = bare_cluster(info.endpoint, Path(directory))
            batch = client(info.endpoint, "batch")
            queue = batch.describe_job_queues()["jobQueues"][0]["jobQueueArn"]
            definition = batch.describe_job_definitions()["jobDefinitions"][0]["jobDefinitionArn"]
            job_id = batch.submit_job(jobName="probe", jobQueue=queue, jobDefinition=definition)["jobId"]
            env = {
                **{key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"},
                "PYTHONPYCACHEPREFIX": str(Path(directory) / "pycache"),
                "AWS_ACCESS_KEY_ID": "test",
                "AWS_SECRET_ACCESS_KEY": "test",
                "AWS_DEFAULT_REGION": REGION,
                "BATCHCTL_USER": "bench",
                "JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION": "1",
            }
            runs = commands(info.endpoint, config, job_id)
            samples: dict[str, list[float]] = {name: [] for name in runs}
            for command in runs.values():  # warm-up: byte-compile, fill the page cache
                subprocess.run(command, check=True, capture_output=True, env=env, cwd=directory)
            for _ in range(repeats):
                for name, command in runs.items():
                    started = time.perf_counter()
                    subprocess.run(command, check=True, capture_output=True, env=env, cwd=directory)
                    samples[name].append(time.perf_counter() - started)
        finally:
            process.stop()
    base = statistics.median(samples["bare boto3 DescribeJobQueues"])
    print(f"median of {repeats} runs each (fresh interpreter per run)")
    print(f"{'command':<30} {'seconds':>8} {'x bare boto3':>13}")
    for name, values in samples.items():
        seconds = statistics.median(values)
        print(f"{name:<30} {seconds:>8.3f} {seconds / base:>13.2f}")
    if "awscli describe-job-queues" not in samples:
        print("(awscli not installed: its row is left out)")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 7)
