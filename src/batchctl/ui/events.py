"""Server-sent events: the jobs table, a job's status and grid, and a job's log, live without reloads.

Each stream reads through the SDK in a worker thread (boto3 blocks) and sends only what changed since the version
the page was rendered with. A stream that has nothing more to say sends `end`; the page then closes it (an
EventSource would otherwise reconnect).
"""

from __future__ import annotations

import threading
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import anyio
from sse_starlette.sse import EventSourceResponse
from starlette.concurrency import iterate_in_threadpool, run_in_threadpool
from starlette.requests import Request

from batchctl.jobs.follow import LogLine
from batchctl.ui.context import Dashboard, error_text
from batchctl.ui.pages import Pages, digest
from batchctl.ui.tables import JobFilter

PING_SECONDS = 15
T = TypeVar("T")


@dataclass(frozen=True)
class Change:
    """What one read of a live view says: its version, the messages that show it, and, once final, the `end` data."""

    version: str
    messages: list[dict[str, Any]]
    end: str | None = None


class Events:
    def __init__(self, dashboard: Dashboard, pages: Pages) -> None:
        self.dashboard = dashboard
        self.pages = pages
        self.sdk = dashboard.sdk

    def jobs(self, request: Request) -> EventSourceResponse:
        wanted = JobFilter.of(request.query_params)

        def changes(rows: str) -> Change:
            return Change(digest(rows), [{"event": "rows", "data": rows}])

        stream = self._polled(request, lambda: self.pages.job_rows(wanted), changes)
        return EventSourceResponse(stream, ping=PING_SECONDS)

    def job(self, request: Request) -> EventSourceResponse:
        job_id = request.path_params["job_id"]

        def changes(live: dict[str, Any]) -> Change:
            sent = [{"event": "header", "data": live["header"]}]
            if live["letters"]:
                sent.append({"event": "grid", "data": live["letters"]})
            job = live["view"].job
            return Change(digest(live["header"] + live["letters"]), sent, job.status if job.terminal else None)

        stream = self._polled(request, lambda: self.pages.job_live(job_id), changes)
        return EventSourceResponse(stream, ping=PING_SECONDS)

    async def _polled(
        self, request: Request, read: Callable[[], T], changes: Callable[[T], Change]
    ) -> AsyncIterator[dict[str, Any]]:
        """Read through the SDK in a worker thread, again and again; send what a read changed since the version the
        page (query `v`) or the last message showed; end after a read that says the view is final."""
        seen = request.query_params.get("v", "")
        if seen:  # the page was rendered from a read just now: the next one can wait its turn
            await anyio.sleep(self.dashboard.poll_seconds)
        while True:
            started = time.monotonic()
            try:
                value = await run_in_threadpool(read)
            except Exception as exc:
                yield _problem(exc)
            else:
                change = changes(value)
                if change.version != seen:
                    seen = change.version
                    for message in change.messages:
                        yield message
                if change.end is not None:
                    yield {"event": "end", "data": change.end}
                    return
            await anyio.sleep(pause(self.dashboard.poll_seconds, time.monotonic() - started))

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
