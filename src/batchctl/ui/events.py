"""Server-sent events: the jobs table, a job's status and grid, and a job's log, live without reloads.

Each stream reads through the SDK in a worker thread (boto3 blocks) and sends only what changed since the version
the page was rendered with. A stream that has nothing more to say sends `end`; the page then closes it (an
EventSource would otherwise reconnect).
"""

from __future__ import annotations

import threading
import time
from collections.abc import AsyncIterator
from typing import Any

import anyio
from sse_starlette.sse import EventSourceResponse
from starlette.concurrency import iterate_in_threadpool, run_in_threadpool
from starlette.requests import Request

from batchctl.jobs.follow import LogLine
from batchctl.ui.context import Dashboard, error_text
from batchctl.ui.pages import Pages, digest
from batchctl.ui.tables import JobFilter

PING_SECONDS = 15


class Events:
    def __init__(self, dashboard: Dashboard, pages: Pages) -> None:
        self.dashboard = dashboard
        self.pages = pages
        self.sdk = dashboard.sdk

    def jobs(self, request: Request) -> EventSourceResponse:
        wanted = JobFilter.of(request.query_params)
        seen = request.query_params.get("v", "")

        async def stream() -> AsyncIterator[dict[str, Any]]:
            nonlocal seen
            if seen:  # the page was rendered from a read just now: the next one can wait its turn
                await anyio.sleep(self.dashboard.poll_seconds)
            while True:
                started = time.monotonic()
                try:
                    rows = await run_in_threadpool(self.pages.job_rows, wanted)
                except Exception as exc:
                    yield _problem(exc)
                else:
                    if digest(rows) != seen:
                        seen = digest(rows)
                        yield {"event": "rows", "data": rows}
                await anyio.sleep(pause(self.dashboard.poll_seconds, time.monotonic() - started))

        return EventSourceResponse(stream(), ping=PING_SECONDS)

    def job(self, request: Request) -> EventSourceResponse:
        job_id = request.path_params["job_id"]
        seen = request.query_params.get("v", "")

        async def stream() -> AsyncIterator[dict[str, Any]]:
            nonlocal seen
            if seen:  # the page was rendered from a read just now: the next one can wait its turn
                await anyio.sleep(self.dashboard.poll_seconds)
            while True:
                started = time.monotonic()
                try:
                    live = await run_in_threadpool(self.pages.job_live, job_id)
                except Exception as exc:
                    yield _problem(exc)
                else:
                    version = digest(live["header"] + live["letters"])
                    if version != seen:
                        seen = version
                        yield {"event": "header", "data": live["header"]}
                        if live["letters"]:
                            yield {"event": "grid", "data": live["letters"]}
                    if live["view"].job.terminal:
                        yield {"event": "end", "data": live["view"].job.status}
                        return
                await anyio.sleep(pause(self.dashboard.poll_seconds, time.monotonic() - started))

        return EventSourceResponse(stream(), ping=PING_SECONDS)

    def logs(self, request: Request) -> EventSourceResponse:
        """One job's (or array child's) log: a finished attempt read once; the current one followed while it runs."""
        job_id = request.path_params["job_id"]
        attempt_text = request.query_params.get("attempt", "")

        # Set when the stream ends or the page goes away: the follow in its worker thread then stops at its next
        # wait instead of polling AWS, and holding one of the server's threads, for as long as the job runs.
        stop = threading.Event()

        async def stream() -> AsyncIterator[dict[str, Any]]:
            try:
                async for message in follow():
                    yield message
            finally:
                stop.set()

        async def follow() -> AsyncIterator[dict[str, Any]]:
            try:
                attempt = int(attempt_text) if attempt_text else None
                source = await run_in_threadpool(lambda: self.sdk.log_source(job_id, attempt=attempt))
                latest = attempt is None or attempt >= len(source.job.attempts)
                if source.job.terminal or not latest:
                    lines = 0
                    async for event in iterate_in_threadpool(self.sdk.read_logs(source)):
                        lines += 1
                        yield {"event": "line", "data": event.message}
                    if source.stream is None:
                        yield {"event": "notice", "data": source.waiting_message}
                    elif not lines:
                        yield {"event": "notice", "data": f"the log stream {source.stream} has no lines"}
                else:
                    async for item in iterate_in_threadpool(self.sdk.follow_logs(job_id, stop=stop)):
                        if isinstance(item, LogLine):
                            yield {"event": "line", "data": item.event.message}
                        else:
                            yield {"event": "notice", "data": item.text}
            except Exception as exc:  # any failure ends the log with its message (a reconnect would repeat lines)
                yield _problem(exc)
            yield {"event": "end", "data": ""}

        return EventSourceResponse(stream(), ping=PING_SECONDS)


def pause(poll: float, took: float) -> float:
    """Wait at least as long as the last read took: a listing of 10,000 jobs never keeps AWS busy back to back."""
    return max(poll, took)


def _problem(exc: Exception) -> dict[str, str]:
    message, hint = error_text(exc)
    return {"event": "problem", "data": message + (f" — {hint}" if hint else "")}
