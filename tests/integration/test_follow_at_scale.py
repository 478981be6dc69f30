"""Following a 500-child array against the emulator: one FilterLogEvents stream set, every line exactly once.

Jobs succeed without containers (this tier tests the API path of following; the end-to-end tier runs containers), so
the children's log streams are written here with boto3, as the awslogs driver would: a first line before the follow
starts, a second one (and, for some, one stamped two seconds earlier than the newest, as a late delivery) while it
runs, and one child's stream only appears after the follow has started (FilterLogEvents refuses a set naming a
stream that does not exist yet, so the set is narrowed down to it).
"""

from __future__ import annotations

import contextlib
import json
import re
import time
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from tests.bare_cluster import bare_cluster
from tests.emulator_fixtures import batchctl_home, free_port
from tests.helpers import capture_cli

from batchctl.api import Batchctl
from batchctl.jobs.call_meter import CallMeter
from batchctl.jobs.follow import LogLine, Notice
from batchctl.local import process
from batchctl.local.faults import FaultSettings

pytestmark = pytest.mark.integration

CHILDREN = 500
LATE_CHILD = 7  # its stream appears only once the follow runs
GROUP = "/demo/job/helloworld"  # the bare cluster's job definition logs there
ARRAY = """jobs:
  - name: chatty
    queue: cpu
    definition: helloworld
    array_size: 500
"""


@pytest.fixture(scope="module")
def emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    home = tmp_path_factory.mktemp("follow-home")
    with batchctl_home(home):
        info = process.start(port=free_port(), timeout=60, faults=FaultSettings(no_containers=True))
        try:
            yield info.endpoint, bare_cluster(info.endpoint, home)
        finally:
            process.stop()


def logs_client(endpoint: str) -> Any:
    return boto3.client(
        "logs", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="t", aws_secret_access_key="t"
    )


def submit_array(endpoint: str, config: Path) -> tuple[Batchctl, str, list[str]]:
    api = Batchctl.from_config(config, endpoint_url=endpoint, user="alice")
    jobs = config.parent / "array.yaml"
    jobs.write_text(ARRAY, encoding="utf-8")
    (array,) = api.submit(jobs).jobs
    children = [f"{array.job_id}:{index}" for index in range(CHILDREN)]
    details = {job["jobId"]: job for job in api.aws.client("batch").describe_jobs(jobs=children[:100])["jobs"]}
    for start in range(100, CHILDREN, 100):
        batch = api.aws.client("batch").describe_jobs(jobs=children[start : start + 100])["jobs"]
        details.update({job["jobId"]: job for job in batch})
    streams = [details[child]["container"]["logStreamName"] for child in children]
    return api, array.job_id, streams


def put(logs: Any, stream: str, stamp: int, message: str) -> None:
    with contextlib.suppress(logs.exceptions.ResourceAlreadyExistsException):
        logs.create_log_stream(logGroupName=GROUP, logStreamName=stream)
    logs.put_log_events(logGroupName=GROUP, logStreamName=stream, logEvents=[{"timestamp": stamp, "message": message}])


def test_logs_follow_of_a_500_child_array_sees_every_line_once_in_few_calls(emulator: tuple[str, Path]) -> None:
    endpoint, config = emulator
    api, parent, streams = submit_array(endpoint, config)
    logs = logs_client(endpoint)
    with contextlib.suppress(logs.exceptions.ResourceAlreadyExistsException):
        logs.create_log_group(logGroupName=GROUP)
    now = int(time.time() * 1000)
    for index, stream in enumerate(streams):
        if index != LATE_CHILD:
            put(logs, stream, now + index, f"{index} first")
    expected = {f"chatty[{i}]": [f"{i} first", f"{i} second"] for i in range(CHILDREN)}
    for index in range(0, CHILDREN, 50):  # delivered late: stamped before the second line
        expected[f"chatty[{index}]"].append(f"{index} late")
    expected[f"chatty[{LATE_CHILD}]"].remove(f"{LATE_CHILD} first")

    meter = CallMeter()
    seen: dict[str, list[str]] = defaultdict(list)
    endings: dict[str, str] = {}
    written = False
    for item in api.follow_logs(parent, meter=meter):
        if isinstance(item, LogLine):
            seen[item.label].append(item.event.message)
            if not written:  # the follow runs: the second lines, the late ones and the late child's stream arrive
                written = True
                for index, stream in enumerate(streams):
                    put(logs, stream, now + 5_000 + index, f"{index} second")
                    if index % 50 == 0:
                        put(logs, stream, now + 3_000 + index, f"{index} late")
        elif isinstance(item, Notice) and item.text in ("SUCCEEDED", "FAILED"):
            endings[item.label] = item.text

    assert written
    assert {label: sorted(lines) for label, lines in seen.items()} == {
        label: sorted(lines) for label, lines in expected.items()
    }  # every line of every child exactly once
    assert all(seen[label][0].endswith(("first", "second")) for label in expected)
    assert endings == {f"chatty[{index}]": "SUCCEEDED" for index in range(CHILDREN)}
    assert meter.streams == CHILDREN
    # Two polls (the children had ended: one read, one drain) of ceil(500 / 100) DescribeJobs, plus the one that
    # found the parent an array. FilterLogEvents: 5 sets a read, plus the set refused for the late child's stream,
    # read again without it; GetLogEvents: that set's 100 streams probed once, then the late child again.
    assert meter.calls["DescribeJobs"] == 1 + 2 * 5
    assert meter.calls["FilterLogEvents"] == 5 + 1 + 5
    assert meter.calls["GetLogEvents"] == 100 + 1
    assert meter.rate("FilterLogEvents") <= 5


def test_the_cli_labels_children_and_reports_its_call_rates(emulator: tuple[str, Path]) -> None:
    endpoint, config = emulator
    _api, parent, streams = submit_array(endpoint, config)
    logs = logs_client(endpoint)
    now = int(time.time() * 1000)
    for index, stream in enumerate(streams):
        put(logs, stream, now, f"hello from {index}")
    code, out, err = capture_cli(["--local", "-f", str(config), "logs", parent, "-f"])
    assert code == 0, err
    assert sorted(out.splitlines()) == sorted(f"[chatty[{index}]] hello from {index}" for index in range(CHILDREN))
    assert "chatty[499]: SUCCEEDED" in err
    rates = re.search(r"followed 500 streams: (.*) over \d+ s", err)
    assert rates is not None, err
    assert sorted(re.findall(r"(\d+) (\w+)(?: calls)?, [\d.]+/s", rates[1])) == [
        ("10", "FilterLogEvents"),  # 5 sets, on 2 polls
        ("11", "DescribeJobs"),
    ]


def test_logs_follow_json_lines_end_with_the_calls_made(emulator: tuple[str, Path]) -> None:
    endpoint, config = emulator
    _api, parent, streams = submit_array(endpoint, config)
    logs = logs_client(endpoint)
    put(logs, streams[3], int(time.time() * 1000), "three")
    code, out, err = capture_cli(["--local", "-f", str(config), "-o", "json", "logs", parent, "-f"])
    assert code == 0, err
    objects = [json.loads(line) for line in out.splitlines()]
    assert [item["message"] for item in objects if "message" in item] == ["three"]
    assert objects[-1]["streams"] == CHILDREN
    assert objects[-1]["calls"]["DescribeJobs"]["calls"] == 1 + 2 * 5
    assert set(objects[-1]) == {"seconds", "streams", "calls"}
