"""API calls and time to list N jobs with details, against a moto server on 127.0.0.1.

    python benchmarks/bench_list_jobs.py [N ...]        (default: 250 1000 2500)

Submits N jobs (container runs off: they succeed at once) across two queues, then lists them several ways and
prints, per listing, the calls made (counted with botocore's before-call events) next to the bound batchctl
guarantees, and the median time of a few runs. Timings on a shared machine are noisy: compare them within one run.
"""

from __future__ import annotations

import json
import logging
import math
import statistics
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3
import yaml

from batchctl.api import Batchctl

REGION = "us-east-1"
QUEUES = ("cpu", "gpu")
RUNS = 3
_DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))
JOBS = """jobs:
{% for i in range(count | int) %}
  - {name: bench-{{ i }}, queue: {{ 'cpu' if i % 2 else 'gpu' }}, definition: hello}
{% endfor %}
"""


def main(sizes: list[int]) -> None:
    from moto.server import ThreadedMotoServer

    # The server's per-request access log would drown the figures.
    logging.getLogger("werkzeug").setLevel(logging.ERROR)

    print(
        f"{'jobs':>6} {'listing':<34} {'ListJobs':>8} {'bound':>5} {'Describe':>8} {'bound':>5} {'tags':>4} {'ms':>8}"
    )
    for size in sizes:
        server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        server.start()
        try:
            host, port = server.get_host_and_port()
            endpoint = f"http://{host}:{port}"
            _post(endpoint, "config", {"batch": {"use_docker": False}})
            with tempfile.TemporaryDirectory() as directory:
                _report(size, _cluster(endpoint, Path(directory)), Path(directory))
        finally:
            _post(endpoint, "reset", {})  # the server's state is this process's: start the next size afresh
            server.stop()


def _report(size: int, api: Batchctl, directory: Path) -> None:
    jobs_file = directory / "jobs.yaml"
    jobs_file.write_text(JOBS, encoding="utf-8")
    counter = _count_calls(api)
    started = time.perf_counter()
    api.submit(jobs_file, {"count": str(size)})
    submit_ms = (time.perf_counter() - started) * 1000
    submitted = counter()["SubmitJob"]
    print(f"{size:>6} {'submit':<34} {'':>8} {'':>5} {'':>8} {'':>5} {'':>4} {submit_ms:>8.0f}  SubmitJob x{submitted}")
    per_queue = [math.ceil(size / 2), size // 2]
    list_bound = sum(max(1, math.ceil(n / 1000)) for n in per_queue)

    def command() -> Batchctl:
        """A new Batchctl per listing, as each `batchctl jobs` is (one object describes a finished job once)."""
        return Batchctl(api.config, api.aws, user=api.user)

    listings: list[tuple[str, Callable[[], Any], int, int]] = [
        ("--all --all-users", lambda: command().jobs(all_statuses=True, all_users=True), list_bound, size),
        ("--all --name 'bench-*'", lambda: command().jobs(all_statuses=True, name="bench-*"), list_bound, size),
        (
            "--status SUCCEEDED --since 1h",
            lambda: command().jobs(statuses=("SUCCEEDED",), since=_hour_ago()),
            list_bound,
            size,
        ),
        ("(active, the default)", lambda: command().jobs(), 5 * len(QUEUES), 0),
    ]
    for label, listing, list_bound_, described in listings:
        times, calls = [], Counter[str]()
        for _ in range(RUNS):
            counter()
            started = time.perf_counter()
            listing()
            times.append((time.perf_counter() - started) * 1000)
            calls = counter()
        print(
            f"{'':>6} {label:<34} {calls['ListJobs']:>8} {list_bound_:>5} {calls['DescribeJobs']:>8} "
            f"{math.ceil(described / 100):>5} {calls['ListTagsForResource']:>4} {statistics.median(times):>8.0f}"
        )


def _hour_ago() -> Any:
    from datetime import UTC, datetime, timedelta

    return datetime.now(UTC) - timedelta(hours=1)


def _count_calls(api: Batchctl) -> Callable[[], Counter[str]]:
    calls: Counter[str] = Counter()

    def count(model: Any, **_: Any) -> None:
        calls[model.name] += 1

    api.aws.client("batch").meta.events.register("before-call.batch.*", count)

    def take() -> Counter[str]:
        taken = Counter(calls)
        calls.clear()
        return taken

    return take


def _cluster(endpoint: str, directory: Path) -> Batchctl:
    def client(service: str) -> Any:
        return boto3.client(
            service, endpoint_url=endpoint, region_name=REGION, aws_access_key_id="test", aws_secret_access_key="test"
        )

    batch = client("batch")
    role = client("iam").create_role(RoleName="bench", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    environment = batch.create_compute_environment(
        computeEnvironmentName="bench-ce", type="UNMANAGED", state="ENABLED", serviceRole=role
    )["computeEnvironmentArn"]
    outputs = {
        f"Queue{short.title()}": batch.create_job_queue(
            jobQueueName=f"bench-{short}",
            state="ENABLED",
            priority=1,
            computeEnvironmentOrder=[{"order": 1, "computeEnvironment": environment}],
        )["jobQueueArn"]
        for short in QUEUES
    }
    outputs["JobDefinitionHello"] = batch.register_job_definition(
        jobDefinitionName="bench-hello",
        type="container",
        containerProperties={"image": "x", "command": ["true"], "vcpus": 1, "memory": 128},
    )["jobDefinitionArn"]
    template = {
        "Resources": {"Marker": {"Type": "AWS::S3::Bucket", "Properties": {"BucketName": "bench-marker"}}},
        "Outputs": {key: {"Value": value} for key, value in outputs.items()},
    }
    client("cloudformation").create_stack(StackName="batchctl-bench", TemplateBody=json.dumps(template))
    config = {
        "name": "bench",
        "region": REGION,
        "compute_environments": [{"name": "ce"}],
        "queues": [{"name": short, "compute_environments": ["ce"]} for short in QUEUES],
        "job_definitions": [{"name": "hello", "image": "x"}],
    }
    path = directory / "batchctl.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return Batchctl.from_config(path, endpoint_url=endpoint, user="bench")


def _post(endpoint: str, path: str, body: dict[str, Any]) -> None:
    request = urllib.request.Request(f"{endpoint}/moto-api/{path}", data=json.dumps(body).encode(), method="POST")
    _DIRECT.open(request, timeout=10).read()


if __name__ == "__main__":
    main([int(argument) for argument in sys.argv[1:]] or [250, 1000, 2500])
