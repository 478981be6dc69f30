"""The call meter counts each API call of the clients it watches, between watch and stop."""

from __future__ import annotations

import boto3
from botocore.stub import Stubber
from tests.unit.test_submit_pacing import Clock

from batchctl.jobs.call_meter import CallMeter


def test_counts_calls_per_operation_and_their_rates() -> None:
    client = boto3.client("batch", region_name="us-east-1", aws_access_key_id="a", aws_secret_access_key="b")
    clock = Clock()
    meter = CallMeter(clock=clock)
    with Stubber(client) as stub:
        for _ in range(4):
            stub.add_response("describe_jobs", {"jobs": []}, {"jobs": ["x"]})
        client.describe_jobs(jobs=["x"])  # before watching: not counted
        meter.watch(client, client)  # watching twice counts once
        client.describe_jobs(jobs=["x"])
        client.describe_jobs(jobs=["x"])
        clock.sleep(4)
        meter.stop()
        client.describe_jobs(jobs=["x"])  # after stopping: not counted
    assert meter.calls == {"DescribeJobs": 2}
    assert meter.seconds == 4
    assert meter.rate("DescribeJobs") == 0.5
    assert meter.summary() == "2 DescribeJobs calls, 0.5/s"
    assert meter.as_dict() == {
        "seconds": 4,
        "streams": 0,
        "calls": {"DescribeJobs": {"calls": 2, "per_second": 0.5}},
    }


def test_no_calls() -> None:
    assert CallMeter().summary() == "no API calls"
