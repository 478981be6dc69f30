"""Following 500 array children and waiting for 1000 jobs stay within the Batch and CloudWatch Logs quotas."""

from __future__ import annotations

import math
from typing import Any

from tests.unit.test_jobs_api import detail
from tests.unit.test_submit_pacing import Clock

from batchctl.aws.logs import FilterPage, LogPage
from batchctl.jobs import follow as following
from batchctl.jobs import wait
from batchctl.jobs.call_meter import CallMeter
from batchctl.jobs.pacing import AdaptiveRateLimiter
from batchctl.jobs.stream_set import FILTER_CALLS_PER_SECOND


class Batch:
    """DescribeJobs answers: each job RUNNING for `polls` polls, then SUCCEEDED."""

    def __init__(self, ids: list[str], polls: int, clock: Clock) -> None:
        self.ids, self.polls, self.clock = ids, polls, clock
        self.calls: list[float] = []
        self.rounds = 0

    def describe_jobs(self, job_ids: list[str]) -> list[dict[str, Any]]:
        self.calls += [self.clock.now] * math.ceil(len(job_ids) / 100)
        self.rounds += 1
        status = "SUCCEEDED" if self.rounds > self.polls else "RUNNING"
        container = {"logStreamName": "s", "logConfiguration": {"options": {"awslogs-group": "/g"}}}
        return [
            {**detail(job_id, status), "container": {**container, "logStreamName": f"s/{job_id}"}} for job_id in job_ids
        ]


class Logs:
    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.calls: list[float] = []
        self.filter_calls: list[float] = []

    def get_log_events(self, group: str, stream: str, token: str | None = None) -> LogPage:
        self.calls.append(self.clock.now)
        return LogPage([], token or "t")

    def filter_events(self, group: str, streams: list[str], start_ms: int, token: str | None = None) -> FilterPage:
        assert len(streams) <= 100
        self.filter_calls.append(self.clock.now)
        return FilterPage([], None)


def busiest_second(times: list[float]) -> int:
    return max((sum(1 for t in times if start <= t < start + 1) for start in times), default=0)


def test_following_500_children_one_stream_at_a_time_stays_under_the_get_log_events_quota() -> None:
    clock = Clock()
    ids = [f"parent:{index}" for index in range(500)]
    batch, logs = Batch(ids, polls=2, clock=clock), Logs(clock)
    pace = AdaptiveRateLimiter(following.LOG_READS_PER_SECOND, clock=clock, sleep=clock.sleep)
    jobs = [(job_id, job_id) for job_id in ids]
    items = following.follow(batch, logs, None, jobs, "target", sleep=clock.sleep, pace=pace, reads="per-stream")  # type: ignore[arg-type]
    list(items)
    assert len(logs.calls) == 500 * 4  # every stream on each of 2 running polls, the end and the final drain
    assert busiest_second(logs.calls) <= 25  # GetLogEvents quota: 25 per second
    assert len(batch.calls) == 4 * 5  # ceil(500 / 100) DescribeJobs a poll


def test_following_500_children_as_a_stream_set_costs_5_filter_calls_a_poll() -> None:
    clock = Clock()
    ids = [f"parent:{index}" for index in range(500)]
    batch, logs = Batch(ids, polls=2, clock=clock), Logs(clock)
    pace = AdaptiveRateLimiter(FILTER_CALLS_PER_SECOND, clock=clock, sleep=clock.sleep)
    jobs = [(job_id, job_id) for job_id in ids]
    meter = CallMeter(clock=clock)
    items = following.follow(batch, logs, None, jobs, "target", sleep=clock.sleep, pace=pace, meter=meter)  # type: ignore[arg-type]
    list(items)
    assert logs.calls == []  # no GetLogEvents at all
    assert len(logs.filter_calls) == 4 * 5  # ceil(500 / 100) on each of the 4 polls
    assert busiest_second(logs.filter_calls) <= 5  # FilterLogEvents quota: 5 per second
    assert len(batch.calls) == 4 * 5
    assert meter.streams == 500


def test_waiting_backs_off_while_nothing_moves() -> None:
    clock = Clock()
    ids = [f"id-{index}" for index in range(1000)]
    batch = Batch(ids, polls=30, clock=clock)
    records = wait.wait_for(batch, ids, "target", sleep=clock.sleep)  # type: ignore[arg-type]
    assert {record.status for record in records} == {"SUCCEEDED"}
    assert len(batch.calls) == 31 * 10  # ceil(1000 / 100) a poll
    minutes = clock.now / 60
    # Without backoff: 31 polls 5 s apart (2.5 minutes, 124 calls a minute); with it the same jobs are watched for
    # longer at a lower rate, bounded by half a minute between polls.
    assert clock.now > 31 * wait.POLL_SECONDS
    assert len(batch.calls) / minutes < 25
