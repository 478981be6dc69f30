"""The adaptive rate limit of SubmitJob, and submission order and retries without AWS (a fake Batch)."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from tests.unit.test_jobs_api import FakeBatch

from batchctl.aws.batch import SubmitThrottled
from batchctl.errors import AwsError
from batchctl.jobs import pacing
from batchctl.jobs.models import Dependency, Job
from batchctl.jobs.pacing import AdaptiveRateLimiter
from batchctl.jobs.requests import PlannedJob
from batchctl.jobs.submit import submit_once, submit_planned


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def test_slots_are_one_over_the_rate_apart() -> None:
    clock = Clock()
    limiter = AdaptiveRateLimiter(10, clock=clock, sleep=clock.sleep)
    for _ in range(11):
        limiter.acquire()
    assert clock.now == pytest.approx(1.0)


def test_throttling_cuts_the_rate_once_per_interval_and_it_grows_back() -> None:
    clock = Clock()
    limiter = AdaptiveRateLimiter(50, clock=clock, sleep=clock.sleep)
    limiter.throttled()
    limiter.throttled()  # the same congestion event
    assert limiter.rate == pytest.approx(50 * pacing.CUT_FACTOR)
    clock.now += pacing.CUT_INTERVAL
    limiter.throttled()
    assert limiter.rate == pytest.approx(50 * pacing.CUT_FACTOR**2)
    clock.now += 100
    assert limiter.rate == 50  # recovered, never above the configured rate
    assert limiter.throttles == 3


def test_a_throttled_submit_is_sent_again_without_a_look_up() -> None:
    batch = FakeBatch([SubmitThrottled("throttled"), SubmitThrottled("throttled"), "id-1"])
    limiter = AdaptiveRateLimiter(1000)
    request = {"jobName": "a-0a1b2c3d", "jobQueue": "q", "jobDefinition": "d"}
    assert submit_once(batch, request, lambda seconds: None, limiter) == "id-1"  # type: ignore[arg-type]
    assert batch.calls == ["SubmitJob"] * 3
    assert limiter.throttles == 2


def test_endless_throttling_gives_up_with_the_fix() -> None:
    batch = FakeBatch([SubmitThrottled("SubmitJob a: throttled by AWS") for _ in range(20)])
    with pytest.raises(AwsError, match="gave up after 12 refusals"):
        submit_once(batch, {"jobName": "a", "jobQueue": "q"}, lambda seconds: None)  # type: ignore[arg-type]


class OrderedBatch:
    """Records which jobs were in flight together; answers ids j-<name>."""

    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []
        self.lock = threading.Lock()

    def submit_job(self, request: dict[str, Any]) -> str:
        with self.lock:
            self.sent.append(request)
        return f"j-{request['jobName']}"


def planned(name: str, *after: str) -> PlannedJob:
    job = Job(name=name, queue="q", definition="d", depends_on=[Dependency(name=a) for a in after])
    return PlannedJob(
        job, {"jobName": name, "jobQueue": "q", "jobDefinition": "d", "tags": {"batchctl:submission": "s"}}
    )


def test_a_job_is_submitted_once_its_dependencies_have_ids() -> None:
    batch = OrderedBatch()
    jobs = [planned("c", "a", "b"), planned("a"), planned("b", "a")]
    result = submit_planned(batch, jobs, lambda seconds: None)  # type: ignore[arg-type]
    assert [job.name for job in result] == ["c", "a", "b"]  # the file's order
    order = [request["jobName"] for request in batch.sent]
    assert order == ["a", "b", "c"]
    assert batch.sent[2]["dependsOn"] == [{"jobId": "j-a"}, {"jobId": "j-b"}]
