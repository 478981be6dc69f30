"""Insight commands: why, usage, run (over batchctl.api.Batchctl). Errors are JSON too under `-o json`."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import click
from rich.markup import escape

from batchctl.cli import render
from batchctl.cli.context import AppContext
from batchctl.cli.options import pass_app
from batchctl.errors import BatchctlError

if TYPE_CHECKING:
    from batchctl.api import Batchctl

F = TypeVar("F", bound=Callable[..., Any])


def _api(app: AppContext) -> Batchctl:
    return app.api()


def _command(app: AppContext) -> str:
    return app.command()


@click.command()
@click.argument("job_id")
@pass_app
def why(app: AppContext, job_id: str) -> None:
    """Why JOB_ID is not running yet, or why it failed: a verdict, the evidence, and the fix.

    \b
    Not started: unfinished dependencies, whether any compute environment of its queue can ever fit it
    (vCPUs, memory, GPUs), environments and queue state, blocked reasons, vCPUs in use, its queue position.
    Failed: the class (spot reclaim, out of memory, image pull, timeout, dependency failed, cancelled/terminated,
    host/agent error, exit code), every attempt, peak memory against the request, the last log lines.
    """
    answer = _api(app).why(job_id, command=_command(app))
    if app.json:
        render.as_json(answer)
        return
    render.out.print(f"[bold]{escape(answer.verdict)}[/]")
    for line in answer.evidence:
        render.out.print(f"  {escape(line)}")
    for fix in answer.fixes:
        render.out.print(f"[green]fix:[/] {escape(fix)}")


@click.command(context_settings={"ignore_unknown_options": True, "allow_interspersed_args": False})
@click.argument("command", nargs=-1, required=True, type=click.UNPROCESSED)
@click.option("-q", "--queue", help="Queue (short name or ARN; default: the first of batchctl.yaml).")
@click.option("-d", "--definition", help="Job definition (short name or ARN; default: the first of batchctl.yaml).")
@click.option("--image", help="A full image reference to run instead (a job definition derived from the first one).")
@click.option("-n", "--name", help="Job name (default: run-<program>).")
@click.option("--array", "array_size", type=click.IntRange(2, 10_000), help="Run as an array of N children.")
@click.option("--vcpus", type=click.FloatRange(min=0, min_open=True), help="vCPUs (default: the definition's).")
@click.option("--memory", type=click.IntRange(min=4), help="Memory in MiB (default: the definition's).")
@click.option("-e", "--env", "env", multiple=True, metavar="K=V", help="An environment variable (repeatable).")
@click.option("-i", "--input", "inputs", multiple=True, metavar="NAME=URL", help="An input to stage (repeatable).")
@click.option("--timeout", type=click.IntRange(min=60), help="Seconds per attempt.")
@click.option("--retries", type=click.IntRange(1, 10), help="Attempts in all.")
@click.option("--dry-run", is_flag=True, help="Print the SubmitJob request; submit nothing.")
@click.option("--wait", is_flag=True, help="Wait until it has finished, then print its log; exit 1 if it failed.")
@click.option("--follow", is_flag=True, help="Stream its log while it runs (implies --wait).")
@click.option("--force", is_flag=True, help="Submit even when no compute environment of the queue fits it.")
@pass_app
def run(
    app: AppContext,
    command: tuple[str, ...],
    queue: str | None,
    definition: str | None,
    image: str | None,
    name: str | None,
    array_size: int | None,
    vcpus: float | None,
    memory: int | None,
    env: tuple[str, ...],
    inputs: tuple[str, ...],
    timeout: int | None,
    retries: int | None,
    dry_run: bool,
    wait: bool,
    follow: bool,
    force: bool,
) -> None:
    """Run one job without a job file: batchctl run [OPTIONS] -- COMMAND [ARG ...]

    \b
    Examples:
      batchctl --local run --wait -- python3 -c "print('hi')"
      batchctl run --array 10 --memory 4096 -e MODE=fast -- python3 /app/work.py
      batchctl run --image 123456789012.dkr.ecr.us-east-1.amazonaws.com/tools:1.2 --follow -- tool --help
    """
    from batchctl.api import Notice, RunOutcome, parse_pairs

    if dry_run and (wait or follow):
        raise click.UsageError("give --dry-run or --wait/--follow, not both")
    api = _api(app)
    result = api.run(
        list(command),
        queue=queue,
        definition=definition,
        image=image,
        name=name,
        array_size=array_size,
        vcpus=vcpus,
        memory=memory,
        environment=parse_pairs(env, "--env", "-e MODE=fast"),
        inputs=parse_pairs(inputs, "--input", "-i data=s3://bucket/prefix/"),
        timeout=timeout,
        retries=retries,
        dry_run=dry_run,
        force=force,
    )
    if dry_run:
        if app.json:
            render.as_json(RunOutcome(None, result.requests[0], dry_run=True))
        else:
            render.step("the SubmitJob request (nothing was submitted):")
            render.as_json(result.requests[0])
        return
    job = result.jobs[0]
    if app.json and not (wait or follow):
        render.as_json(RunOutcome(job, result.requests[0]))
        return
    if not app.json:
        click.echo(job.job_id)
        render.ok(f"submitted {job.name} to {job.queue.rsplit('/', 1)[-1]}")
    if follow:
        for item in api.follow(result.jobs):
            if isinstance(item, Notice):
                render.step(item.text)
            elif not app.json:
                click.echo(item.event.message)
    if not (wait or follow):
        render.hint(f"next: {_command(app)} logs {job.job_id} -f; {_command(app)} why {job.job_id}")
        return
    final = api.wait([job.job_id])
    record = final[0]
    if wait and not follow and not job.array_size and not app.json:
        for event in api.logs(job.job_id):
            click.echo(event.message)
    if app.json:
        render.as_json(RunOutcome(job, result.requests[0], record.status, record.status_reason))
    line = f"{job.name} {job.job_id} {record.status}" + (f": {record.status_reason}" if record.status_reason else "")
    if record.status != "SUCCEEDED":
        render.fail(line)
        render.hint(f"why: {_command(app)} why {job.job_id}")
        raise click.exceptions.Exit(1)
    render.ok(line)


def _since(ctx: click.Context, param: click.Parameter, value: str | None) -> Any:
    from batchctl.api import parse_since

    if value is None:
        return None
    try:
        return parse_since(value)
    except BatchctlError as exc:
        raise click.BadParameter(exc.message + (f" ({exc.hint})" if exc.hint else ""), ctx=ctx, param=param) from None


def _format(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """`-o csv` is this command's own; `-o json` is the app's (so errors are JSON too)."""
    app = ctx.find_object(AppContext)
    if value == "json" and app is not None:
        app.output = "json"
    return value


@click.command()
@click.argument("job_id", required=False)
@click.option("--since", callback=_since, help="Jobs created within this long (30m, 24h, 7d) or since a date.")
@click.option("-d", "--definition", help="Only jobs of this job definition (short name or AWS name).")
@click.option("--all-users", is_flag=True, help="Jobs of every user (default: yours).")
@click.option("-o", "--output", type=click.Choice(["table", "json", "csv"]), callback=_format, help="Format.")
@pass_app
def usage(
    app: AppContext, job_id: str | None, since: Any, definition: str | None, all_users: bool, output: str | None
) -> None:
    """Requested vs used vCPU-seconds and peak memory per job and per job definition, a memory suggestion per
    definition, and an estimated cost per job (default: your jobs of the last 7 days).

    \b
    Costs are estimates from a dated price table: on EC2/Spot the instance price x the job's time x its share of
    the instance (the larger of its vCPU and memory share), Spot at a stated discount; on Fargate vCPU-hours and
    GB-hours. The report says the price date.
    """
    from datetime import UTC, datetime, timedelta

    if job_id and since:
        raise click.UsageError("give JOB_ID or --since, not both")
    if not job_id and since is None:
        since = datetime.now(UTC) - timedelta(days=7)
    report = _api(app).usage(job_id, since=since, definition=definition, all_users=all_users)
    if app.json or output == "json":
        render.as_json(report)
        return
    if output == "csv":
        _csv(report)
        return
    if not report.jobs:
        render.note("no finished jobs match (try --since 30d or --all-users)")
        return
    render.table(
        None,
        [
            "id",
            "name",
            "definition",
            "status",
            "vCPUs",
            "MiB",
            "seconds",
            "vCPU-s asked",
            "CPU-s used",
            "peak MiB",
            f"cost {report.currency}",
        ],
        [
            (
                j.id,
                escape(j.name),
                escape(j.definition),
                j.status,
                f"{j.vcpus:g}",
                j.memory_mib,
                f"{j.seconds:.1f}",
                f"{j.requested_vcpu_seconds:.1f}",
                _num(j.used_cpu_seconds),
                _num(j.peak_mib),
                _usd(j.cost_usd),
            )
            for j in report.jobs
        ],
    )
    render.table(
        "Per job definition",
        [
            "definition",
            "jobs",
            "vCPU-s asked",
            "CPU-s used",
            "used",
            "memory MiB",
            "p95 peak MiB",
            "suggested MiB",
            f"cost {report.currency}",
        ],
        [
            (
                escape(d.definition),
                d.jobs,
                f"{d.requested_vcpu_seconds:.1f}",
                f"{d.used_cpu_seconds:.1f}",
                f"{d.used_cpu_seconds / d.requested_vcpu_seconds:.0%}" if d.requested_vcpu_seconds else "",
                d.memory_mib,
                _num(d.p95_peak_mib),
                d.suggested_memory_mib or "",
                _usd(d.cost_usd),
            )
            for d in report.definitions
        ],
    )
    render.out.print(
        f"total: {len(report.jobs)} job(s), {report.total_requested_vcpu_seconds:.1f} vCPU-s asked, "
        f"{report.total_used_cpu_seconds:.1f} CPU-s used, estimated cost {_usd(report.total_cost_usd)} "
        f"{report.currency} in {report.region}"
    )
    render.note(f"estimate: {report.note}")


def _csv(report: Any) -> None:
    import csv

    writer = csv.writer(sys.stdout)
    writer.writerow(
        [
            "id",
            "name",
            "definition",
            "status",
            "vcpus",
            "memory_mib",
            "seconds",
            "requested_vcpu_seconds",
            "used_cpu_seconds",
            "peak_mib",
            "cost_usd",
            "cost_basis",
            "price_date",
        ]
    )
    for j in report.jobs:
        writer.writerow(
            [
                j.id,
                j.name,
                j.definition,
                j.status,
                j.vcpus,
                j.memory_mib,
                j.seconds,
                j.requested_vcpu_seconds,
                "" if j.used_cpu_seconds is None else j.used_cpu_seconds,
                "" if j.peak_mib is None else j.peak_mib,
                "" if j.cost_usd is None else f"{j.cost_usd:.6f}",
                j.cost_basis,
                report.price_date,
            ]
        )


def _num(value: float | None) -> str:
    return "" if value is None else f"{value:.1f}"


def _usd(value: float | None) -> str:
    if value is None:
        return "?"
    return f"{value:.2f}" if value >= 1 else f"{value:.4f}" if value >= 0.01 else f"{value:.6f}"


COMMANDS = [why, run, usage]
