"""The dashboard's pages and the sections they load after them (htmx fragments): cluster, jobs, one job."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse

from batchctl.errors import BatchctlError, NotFoundError
from batchctl.ui import reads
from batchctl.ui.context import Dashboard
from batchctl.ui.tables import GRID_LETTERS, JobFilter, dependency_graph, grid_html, grid_letters, list_filtered

OUTPUTS_SHOWN = 500  # files listed on a job page (an array's children can have many)
DOWNLOAD_CHUNK = 1 << 20
GRAPH_SHOWN = 200  # jobs of a submission drawn (a generated file can hold thousands)


def digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]


class Pages:
    def __init__(self, dashboard: Dashboard) -> None:
        self.dashboard = dashboard
        self.sdk = dashboard.sdk

    # -- cluster ---------------------------------------------------------------------------------------------

    def home(self, request: Request) -> Response:
        return RedirectResponse(self.dashboard.keys.base + "/cluster", status_code=303)

    def cluster(self, request: Request) -> Response:
        return self.dashboard.html("cluster.html", page="cluster", body=self.cluster_body())

    def cluster_fragment(self, request: Request) -> Response:
        return HTMLResponse(self.cluster_body())

    def cluster_body(self) -> str:
        status = self.sdk.status()
        queues = self.sdk.queues() if status.stack_status else []
        return self.dashboard.fragment(
            "cluster_body.html",
            status=status,
            queues=queues,
            environments=reads.environments(self.sdk, queues) if queues else [],
            fronts={queue.arn: reads.front_of_queue(self.sdk, queue.arn) for queue in queues},
        )

    # -- jobs ------------------------------------------------------------------------------------------------

    def jobs(self, request: Request) -> Response:
        wanted = JobFilter.of(request.query_params)
        rows = self.job_rows(wanted)
        return self.dashboard.html(
            "jobs.html",
            page="jobs",
            wanted=wanted,
            rows=rows,
            version=digest(rows),
            queues=sorted(self.sdk.resolver().queues()),
        )

    def job_rows(self, wanted: JobFilter) -> str:
        records = list_filtered(self.sdk, wanted)
        names = {arn: short for short, arn in self.sdk.resolver().queues().items()}
        return self.dashboard.fragment("jobs_rows.html", jobs=records, queue_names=names)

    # -- one job ---------------------------------------------------------------------------------------------

    def job(self, request: Request) -> Response:
        job_id = request.path_params["job_id"]
        attempt = _int(request.query_params.get("attempt"))
        live = self.job_live(job_id)
        view = live["view"]
        return self.dashboard.html(
            "job.html",
            page="job",
            view=view,
            job=view.job,
            header=live["header"],
            letters=live["letters"],
            grid=grid_html(live["letters"]),
            version=digest(live["header"] + live["letters"]),
            attempt=attempt,
            letters_legend=GRID_LETTERS,
            environment_names=sorted(view.job.environment),
        )

    def job_live(self, job_id: str) -> dict[str, Any]:
        """What the live part of a job page shows: the header (status, reason, counts) and the grid letters."""
        view = self.sdk.show(job_id)
        letters = grid_letters(reads.child_statuses(self.sdk, view.job)) if view.job.is_array_parent else ""
        header = self.dashboard.fragment("job_header.html", view=view, job=view.job)
        return {"view": view, "header": header, "letters": letters}

    def why(self, request: Request) -> Response:
        answer = self.sdk.why(request.path_params["job_id"], command=self.dashboard.command)
        return self.dashboard.html("why.html", why=answer)

    def usage(self, request: Request) -> Response:
        report = self.sdk.usage(request.path_params["job_id"])
        return self.dashboard.html("usage.html", report=report)

    def outputs(self, request: Request) -> Response:
        job_id = request.path_params["job_id"]
        listing = self.sdk.outputs(job_id)
        return self.dashboard.html(
            "outputs.html", listing=listing, files=listing.files[:OUTPUTS_SHOWN], job_id=job_id, shown=OUTPUTS_SHOWN
        )

    def graph(self, request: Request) -> Response:
        job = self.sdk.show(request.path_params["job_id"]).job
        root = self.sdk.show(job.parent_id).job if job.is_array_child else job
        together = reads.submission_jobs(self.sdk, root)
        nodes, lines, width, height = dependency_graph(together[:GRAPH_SHOWN])
        return self.dashboard.html(
            "graph.html",
            nodes=nodes,
            lines=lines,
            width=width,
            height=height,
            current=root.id,
            job=root,
            more=max(0, len(together) - GRAPH_SHOWN),
        )

    def download(self, request: Request) -> Response:
        """One output file, streamed from S3; only files the job's own listing names (no other key or bucket)."""
        job_id = request.path_params["job_id"]
        relative = request.path_params["path"]
        listing = self.sdk.outputs(job_id)
        found = next((item for item in listing.files if item.relative == relative), None)
        if found is None:
            raise NotFoundError(f"job {job_id} has no output {relative!r}", hint="see the job's outputs list")
        bucket = listing.url.removeprefix("s3://").partition("/")[0]
        answer = self.sdk.aws.client("s3").get_object(Bucket=bucket, Key=found.key)
        body = answer["Body"]
        filename = relative.rsplit("/", 1)[-1]

        def chunks() -> Iterator[bytes]:
            try:
                yield from iter(lambda: body.read(DOWNLOAD_CHUNK), b"")
            finally:
                body.close()

        # An attachment of an opaque type: a job's HTML output never runs as a page of the dashboard's origin.
        return StreamingResponse(
            chunks(),
            media_type="application/octet-stream",
            headers={
                "content-disposition": attachment(filename),
                # The object as read now (it may have changed since the listing): a wrong length cuts the download.
                "content-length": str(answer.get("ContentLength", found.size)),
            },
        )


def attachment(filename: str) -> str:
    """Content-Disposition for any file name: an ASCII fallback and the name itself in RFC 6266's filename*
    (header values are Latin-1 on the wire; a name like `résumé✓.txt` would otherwise fail the response)."""
    fallback = "".join(c if c.isascii() and c.isprintable() and c not in '"\\' else "_" for c in filename) or "output"
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


def _int(text: str | None) -> int | None:
    if text is None or text == "":
        return None
    try:
        return int(text)
    except ValueError:
        raise BatchctlError(f"attempt={text!r} is not a number", hint="choose an attempt from the job page") from None
