"""Actions behind a confirmation: GET shows what would happen and a form; only its POST (with the CSRF token of
this run, checked in constant time) acts. Cancel: CancelJob while a job has not started, TerminateJob after
(https://docs.aws.amazon.com/batch/latest/APIReference/API_CancelJob.html). Resubmit: an array's failed children
(or a failed plain job) as one new job, as `batchctl resubmit --failed` does."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar
from urllib.parse import parse_qs

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from batchctl.errors import BatchctlError
from batchctl.jobs.records import NOT_STARTED_STATUSES
from batchctl.jobs.resubmit import ResubmitResult
from batchctl.ui.context import Dashboard
from batchctl.ui.security import CSRF_FIELD

T = TypeVar("T")
MAX_FORM_BYTES = 16_384
REASON_LENGTH = 200


class Actions:
    def __init__(self, dashboard: Dashboard) -> None:
        self.dashboard = dashboard
        self.sdk = dashboard.sdk

    def confirm_cancel(self, request: Request) -> Response:
        job = self.sdk.show(request.path_params["job_id"]).job
        if job.terminal:
            raise BatchctlError(f"job {job.id} is {job.status}: there is nothing to cancel")
        verb = "Cancel" if job.status in NOT_STARTED_STATUSES else "Terminate"
        return self.dashboard.html("confirm_cancel.html", page="job", job=job, verb=verb)

    async def cancel(self, request: Request) -> Response:
        form = await self._form(request)
        if form is None:
            return _refused()
        job_id = request.path_params["job_id"]
        reason = (form.get("reason") or "").strip()[:REASON_LENGTH] or None
        outcomes = await _threaded(lambda: self.sdk.cancel([job_id], reason))
        return self.dashboard.html("cancelled.html", page="job", outcomes=outcomes, job_id=job_id)

    def confirm_resubmit(self, request: Request) -> Response:
        job = self.sdk.show(request.path_params["job_id"]).job
        plan = self.sdk.resubmit(job.id, failed_only=job.is_array_parent, dry_run=True)
        return self.dashboard.html("confirm_resubmit.html", page="job", job=job, plan=plan)

    async def resubmit(self, request: Request) -> Response:
        form = await self._form(request)
        if form is None:
            return _refused()
        job_id = request.path_params["job_id"]

        def run() -> ResubmitResult:
            job = self.sdk.show(job_id).job
            return self.sdk.resubmit(job.id, failed_only=job.is_array_parent)

        result = await _threaded(run)
        return self.dashboard.html("resubmitted.html", page="job", result=result, job_id=job_id)

    async def _form(self, request: Request) -> dict[str, str] | None:
        """The form's fields when its CSRF token is this run's; None otherwise."""
        body = b""
        async for chunk in request.stream():  # read no more than a form can hold, whatever the client sends
            body += chunk
            if len(body) > MAX_FORM_BYTES:
                return None
        fields = {key: values[0] for key, values in parse_qs(body.decode("utf-8", "replace")).items() if values}
        return fields if self.dashboard.keys.csrf_matches(fields.get(CSRF_FIELD)) else None


def _refused() -> Response:
    return PlainTextResponse("403 Forbidden: the form's CSRF token is missing or wrong; reload the page.\n", 403)


async def _threaded(call: Callable[[], T]) -> T:
    """The SDK blocks (boto3): run it off the event loop."""
    return await run_in_threadpool(call)
