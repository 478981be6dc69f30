"""Following 500 array children and waiting for 1000 jobs stay within the Batch and CloudWatch Logs quotas."""

from __future__ import annotations

import math
from typing import Any

from tests.unit.test_jobs_api import detail
from tests.unit.test_submit_pacing import Clock

from batchctl.aws.logs import LogPage
from batchctl.jobs import follow as following
from batchctl.jobs import wait
from batchctl.jobs.pacing import AdaptiveRateLimiter


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

    def get_log_events(self, group: str, stream: str, token: str | None = None) -> LogPage:
        self.calls.append(self.clock.now)
        return LogPage([], token or "t")


def busiest_second(times: list[float]) -> int:
    return max((sum(1 for t in times if start <= t < start + 1) for start in times), default=0)


def test_following_500_children_reads_logs_under_the_cloudwatch_quota() -> None:
    clock = Clock()
    ids = [f"parent:{index}" for index in range(500)]
    batch, logs = Batch(ids, polls=2, clock=clock), Logs(clock)
    pace = AdaptiveRateLimiter(following.LOG_READS_PER_SECOND, clock=clock, sleep=clock.sleep)
    jobs = [(job_id, job_id) for job_id in ids]
    list(following.follow(batch, logs, None, jobs, "target", sleep=clock.sleep, pace=pace))  # type: ignore[arg-type]
    assert len(logs.calls) == 500 * 4  # every stream on each of 2 running polls, the end and the final drain
    assert busiest_second(logs.calls) <= 25  # GetLogEvents quota: 25 per second
    assert len(batch.calls) == 4 * 5  # ceil(500 / 100) DescribeJobs a poll


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
