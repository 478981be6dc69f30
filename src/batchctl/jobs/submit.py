"""Submit a job file's jobs: concurrently, each as soon as its dependencies have ids, at a paced rate, never twice.

SubmitJob has no idempotency token. Each job gets a unique name (`<name>-<submission id>`); when a SubmitJob
ends without a clear answer (a timeout, a 5xx) the job is looked up by that name before it is sent again. A
throttled SubmitJob (HTTP 429) was refused, so it is sent again without a look-up, after a backoff, and the shared
rate limit slows down (:mod:`batchctl.jobs.pacing`). A resumed submission looks every job up by its name first.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from batchctl.aws.batch import Batch, SubmitThrottled, UncertainSubmission
from batchctl.errors import AwsError, BatchctlError
from batchctl.jobs.pacing import AdaptiveRateLimiter
from batchctl.jobs.tags import SUBMISSION_TAG

if TYPE_CHECKING:
    from batchctl.jobs.requests import PlannedJob

SUBMIT_ATTEMPTS = 5  # attempts that may have reached AWS without a clear answer
THROTTLED_ATTEMPTS = 12  # refusals for rate before giving up on one job
FIRST_BACKOFF_SECONDS = 1.0
MAX_THROTTLE_BACKOFF_SECONDS = 8.0
CONCURRENT_SUBMISSIONS = 10  # botocore's connection pool per client holds 10

Sleep = Callable[[float], None]


@dataclass(frozen=True)
class SubmittedJob:
    name: str  # the name in the job file
    submission_name: str  # the unique AWS job name
    job_id: str
    array_size: int | None
    queue: str
    definition: str


@dataclass(frozen=True)
class SubmitProgress:
    done: int  # jobs with an id (submitted now, or found by a resume)
    total: int
    throttled: int  # SubmitJob calls refused for rate so far
    rate: float  # the limiter's current rate, calls per second
    submission_id: str = ""


Progress = Callable[[SubmitProgress], None]


def submit_planned(
    batch: Batch,
    planned: list[PlannedJob],
    sleep: Sleep = time.sleep,
    *,
    limiter: AdaptiveRateLimiter | None = None,
    resume: bool = False,
    on_progress: Progress | None = None,
    workers: int | None = None,
) -> list[SubmittedJob]:
    """Submit every planned job (in the file's order in the result); `resume`: look each up by name first."""
    from batchctl.jobs.requests import with_dependencies

    limiter = limiter or AdaptiveRateLimiter(sleep=sleep)
    ids: dict[str, str] = {}
    requests: dict[str, dict[str, Any]] = {}
    waiting = list(planned)
    running: dict[Future[str], PlannedJob] = {}
    failure: tuple[PlannedJob, BatchctlError] | None = None

    def report() -> None:
        if on_progress is not None:
            on_progress(SubmitProgress(len(ids), len(planned), limiter.throttles, limiter.rate))

    def ensure(request: dict[str, Any]) -> str:
        if resume:
            existing = find_submitted(batch, str(request["jobQueue"]), str(request["jobName"]))
            if existing is not None:
                return existing
        return submit_once(batch, request, sleep, limiter)

    report()
    pool = ThreadPoolExecutor(max_workers=max(1, workers or CONCURRENT_SUBMISSIONS), thread_name_prefix="submit")
    try:
        while waiting or running:
            if failure is None:
                ready = [item for item in waiting if all(name in ids for name in _dependency_names(item))]
                for item in ready:
                    waiting.remove(item)
                    request = with_dependencies(item, ids)
                    requests[item.name] = request
                    running[pool.submit(ensure, request)] = item
            if not running:
                break  # a failure left jobs whose dependencies will never have ids
            finished, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in finished:
                item = running.pop(future)
                try:
                    job_id = future.result()
                except BatchctlError as exc:
                    failure = failure or (item, exc)
                    continue
                ids[item.name] = job_id
                report()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    submitted = [_submitted(item, requests[item.name], ids[item.name]) for item in planned if item.name in ids]
    if failure is not None:
        failed, error = failure
        if not submitted:
            raise error
        submission = str(planned[0].request.get("tags", {}).get(SUBMISSION_TAG, "SUBMISSION"))
        raise AwsError(
            f"{failed.name}: {error.message}; {len(submitted)} of the file's {len(planned)} job(s) were submitted",
            hint=f"submit the rest with `batchctl submit FILE --resume {submission}` (the same file and variables), "
            "or cancel them with `batchctl cancel " + " ".join(job.job_id for job in submitted) + "`",
            details=[f"{job.name}: {job.job_id}" for job in submitted],
        ) from error
    return submitted


def _dependency_names(item: PlannedJob) -> list[str]:
    return [dependency.name for dependency in item.job.depends_on if dependency.name is not None]


def _submitted(item: PlannedJob, request: dict[str, Any], job_id: str) -> SubmittedJob:
    return SubmittedJob(
        item.name,
        item.submission_name,
        job_id,
        item.job.array_size,
        str(request["jobQueue"]),
        str(request["jobDefinition"]),
    )


def submit_once(
    batch: Batch, request: dict[str, Any], sleep: Sleep = time.sleep, limiter: AdaptiveRateLimiter | None = None
) -> str:
    """Submit, and after an unclear failure find the job by its unique name before trying again.

    A throttled call is sent again after a jittered exponential backoff (it created nothing); `limiter` paces
    every call and hears of every refusal.
    """
    name = str(request["jobName"])
    delay = FIRST_BACKOFF_SECONDS
    uncertain = 0
    throttled = 0
    while True:
        if limiter is not None:
            limiter.acquire()
        try:
            return batch.submit_job(request)
        except SubmitThrottled as exc:
            throttled += 1
            if limiter is not None:
                limiter.throttled()
            if throttled >= THROTTLED_ATTEMPTS:
                raise AwsError(
                    f"{exc.message}; gave up after {throttled} refusals",
                    hint="other clients may be using the account's SubmitJob quota; lower --rate or try later",
                ) from exc
            # Full jitter (https://aws.amazon.com/blogs/architecture/exponential-backoff-and-jitter/).
            sleep(random.uniform(0, min(MAX_THROTTLE_BACKOFF_SECONDS, 0.1 * 2**throttled)))
            continue
        except UncertainSubmission as exc:
            uncertain += 1
            if uncertain >= SUBMIT_ATTEMPTS:
                raise AwsError(
                    f"{exc.message}; gave up after {SUBMIT_ATTEMPTS} attempts",
                    hint=f"check whether it exists: batchctl jobs --all --all-users --name {name}",
                ) from exc
        # Wait first: a job AWS has just created may take a moment to show up in ListJobs.
        sleep(delay * (1 + random.random() / 2))
        delay *= 2
        existing = find_submitted(batch, str(request["jobQueue"]), name)
        if existing is not None:
            return existing


def find_submitted(batch: Batch, queue: str, name: str) -> str | None:
    """The id of the job named exactly `name` in `queue`, if AWS has it (JOB_NAME filters ignore case)."""
    for page in batch.list_jobs(queue, filters=[{"name": "JOB_NAME", "values": [name]}]):
        for summary in page:
            if summary.get("jobName") == name and ":" not in summary["jobId"]:
                return str(summary["jobId"])
    return None
