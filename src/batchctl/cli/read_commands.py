"""Read-only job commands: jobs, show, queues (over batchctl.api.Batchctl).

They import only what reading needs (no job-file templating, no configuration models): each starts within about
1.3x of a bare boto3 call (benchmarks/bench_queues.py). The helpers that render a job are shared with
job_commands.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import click
from rich.markup import escape

from batchctl.cli import render
from batchctl.cli.context import AppContext
from batchctl.cli.options import parsed_by, pass_app
from batchctl.errors import BatchctlError
from batchctl.jobs.listing import parse_since
from batchctl.jobs.records import ALL_STATUSES, JobRecord, parse_statuses
from batchctl.jobs.resubmissions import format_indices

if TYPE_CHECKING:
    from batchctl.api import Batchctl
    from batchctl.jobs.show import JobView


@click.command()
@click.option("-q", "--queue", help="One queue (short name or ARN); default: every queue of the cluster.")
@click.option(
    "-s",
    "--status",
    "statuses",
    callback=parsed_by(parse_statuses),
    help=f"Statuses, comma-separated ({','.join(ALL_STATUSES)}).",
)
@click.option("-a", "--all", "all_statuses", is_flag=True, help="Every status (default: active jobs only).")
@click.option("-u", "--user", help="Jobs submitted by this user (default: you).")
@click.option("--all-users", is_flag=True, help="Jobs of every user.")
@click.option("-n", "--name", help="Job name glob, e.g. 'hello*'.")
@click.option(
    "--since",
    callback=parsed_by(parse_since),
    help="Created within this long (30m, 24h, 7d) or since a date (2026-01-31).",
)
@pass_app
def jobs(
    app: AppContext,
    queue: str | None,
    statuses: tuple[str, ...] | None,
    all_statuses: bool,
    user: str | None,
    all_users: bool,
    name: str | None,
    since: datetime | None,
) -> None:
    """List jobs: the active ones you submitted, unless told otherwise."""
    if statuses and all_statuses:
        raise click.UsageError("give --status or --all, not both")
    if user and all_users:
        raise click.UsageError("give --user or --all-users, not both")
    records = _api(app).jobs(
        queue=queue,
        statuses=statuses,
        all_statuses=all_statuses,
        user=user,
        all_users=all_users,
        name=name,
        since=since,
    )
    if app.json:
        render.as_json(records)
        return
    if not records:
        render.note("no jobs match" + ("" if all_statuses or statuses else " (active only: add --all for finished)"))
        return
    show_user = bool(all_users or user)
    show_reason = any(record.status_reason for record in records)
    show_class = any(record.status == "FAILED" for record in records)
    columns = ["id", "name", "status", "array", *(["user"] if show_user else []), "created"]
    render.table(
        None,
        [*columns, *(["class"] if show_class else []), *(["reason"] if show_reason else [])],
        [
            (
                r.id,
                escape(r.name),
                _status(r.status),
                _array(r),
                *([escape(r.user or "")] if show_user else []),
                short_time(r.created),
                *([_failure_class(r) or ""] if show_class else []),
                *([escape(r.status_reason)] if show_reason else []),
            )
            for r in records
        ],
    )


@click.command()
@click.argument("job_id")
@pass_app
def show(app: AppContext, job_id: str) -> None:
    """Show a job: status and reason, attempts, array children, log stream, outputs."""
    view = _api(app).show(job_id)
    if app.json:
        render.as_json(view)
        return
    job = view.job
    reason = f" — {job.status_reason}" if job.status_reason else ""
    failure = _failure_class(job)
    render.out.print(f"[bold]{escape(job.name)}[/] {job.id}  {_status(job.status)}{escape(reason)}")
    fields = [
        ("aws name", job.aws_name),
        ("queue", view.queue),
        ("definition", view.definition),
        ("submitter", job.user or ""),
        ("submission", job.submission or ""),
        ("created", short_time(job.created)),
        ("started", short_time(job.started)),
        ("stopped", short_time(job.stopped)),
        ("exit code", "" if job.exit_code is None else str(job.exit_code)),
        ("failure", f"{failure} (explained by: {_command(app)} why {job.id})" if failure else ""),
        ("array", _children(job)),
        ("log stream", f"{view.log_group} {job.log_stream}" if job.log_stream and not job.is_array_parent else ""),
        ("outputs", view.output_url or ""),
        ("depends on", ", ".join(f"{d.get('jobId', 'itself')} {d.get('type', '')}".strip() for d in job.depends_on)),
        ("resubmit of", _resubmit_of(view)),
        ("resubmitted as", ", ".join(f"{item.job_id} ({item.status})" for item in view.resubmissions)),
    ]
    width = max(len(key) for key, _ in fields)
    for key, value in fields:
        if value:
            render.out.print(f"  {key:<{width}}  {escape(value)}")
    if view.resubmissions_unknown:
        render.note(f"resubmissions not looked up: {view.resubmissions_unknown}")
    if job.status not in ("RUNNING", "SUCCEEDED"):
        _print_why(app, job.id)
    if job.attempts:
        render.table(
            "Attempts",
            ["#", "exit", "reason", "status reason", "started", "stopped", "log stream"],
            [
                (
                    a.number,
                    "" if a.exit_code is None else a.exit_code,
                    escape(a.reason),
                    escape(a.status_reason),
                    short_time(a.started),
                    short_time(a.stopped),
                    a.log_stream,
                )
                for a in job.attempts
            ],
        )
    hints = [f"{_command(app)} logs {job.id}" + (" --index 0" if job.is_array_parent else "")]
    if view.output_url:
        hints.append(f"{_command(app)} outputs {job.id}")
    render.hint("next: " + "; ".join(hints))


@click.command()
@click.option("-a", "--all", "all_queues", is_flag=True, help="Every queue of the account and region.")
@pass_app
def queues(app: AppContext, all_queues: bool) -> None:
    """Queues: state, priority, compute environments in order, jobs by status."""
    views = _api(app).queues(all_queues=all_queues)
    if app.json:
        render.as_json(views)
        return
    render.table(
        None,
        ["queue", "state", "priority", "compute environments (in order)", "jobs"],
        [
            (
                escape(v.name),
                f"{v.state}/{v.status}" + (f" ({escape(v.status_reason)})" if v.status != "VALID" else ""),
                v.priority,
                ", ".join(f"{escape(ce.name)} {ce.state}/{ce.status}" for ce in v.compute_environments),
                ", ".join(f"{count} {status.lower()}" for status, count in v.jobs.items() if count) or "none",
            )
            for v in views
        ],
    )


def _resubmit_of(view: JobView) -> str:
    if not view.resubmit_of:
        return ""
    if view.resubmit_indices:
        plural = "indices" if len(view.resubmit_indices) > 1 else "index"
        return f"{view.resubmit_of} ({plural} {format_indices(view.resubmit_indices)})"
    if view.job.is_array_parent:
        return f"{view.resubmit_of} (all {view.job.array_size} children)"
    return view.resubmit_of


def _status(status: str) -> str:
    style = _STATUS_STYLE.get(status)
    return f"[{style}]{status}[/]" if style else status


def _array(record: JobRecord) -> str:
    if not record.is_array_parent:
        return ""
    done = record.children.get("SUCCEEDED", 0)
    failed = record.children.get("FAILED", 0)
    return f"{done}/{record.array_size}" + (f" ({failed} failed)" if failed else "")


def _children(record: JobRecord) -> str:
    if not record.is_array_parent:
        return "" if record.array_index is None else f"child {record.array_index}"
    counts = ", ".join(f"{count} {status}" for status, count in record.children.items() if count)
    return f"{record.array_size} children: {counts or 'none started'}"


def short_time(moment: datetime | None) -> str:
    return moment.astimezone().strftime("%m-%d %H:%M:%S") if moment else ""


def _print_why(app: AppContext, job_id: str) -> None:
    """`show` of a failed or waiting job says why, in a line and its first fix (all of it: `batchctl why`)."""
    try:
        answer = _api(app).why(job_id, command=_command(app))
    except BatchctlError:
        return
    render.out.print(f"  [bold]why[/]  {escape(answer.verdict)}")
    if answer.fixes:
        render.out.print(f"  [green]fix[/]  {escape(answer.fixes[0])}")


def _failure_class(job: JobRecord) -> str | None:
    return job.failure_class


_STATUS_STYLE = {"SUCCEEDED": "green", "FAILED": "red", "RUNNING": "cyan", "STARTING": "cyan"}


def _api(app: AppContext) -> Batchctl:
    return app.api()


def _command(app: AppContext) -> str:
    return app.command()


COMMANDS = [jobs, show, queues]
