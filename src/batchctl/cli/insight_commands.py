"""Insight commands: why, usage, run (over batchctl.api.Batchctl). Errors are JSON too under `-o json`."""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import click
from rich.markup import escape

from batchctl.cli import render
from batchctl.cli.context import AppContext
from batchctl.cli.job_commands import output_option
from batchctl.cli.options import pass_app
from batchctl.errors import BatchctlError
from batchctl.paths import DEFAULT_CONFIG_FILE

if TYPE_CHECKING:
    from batchctl.api import Batchctl

F = TypeVar("F", bound=Callable[..., Any])


def json_errors(func: F) -> F:
    """Under `-o json` a known error is JSON on stdout ({"error", "hint", "details"}), with the same exit code."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except BatchctlError as exc:
            app = click.get_current_context().find_object(AppContext)
            if app is None or not app.json:
                raise
            sys.stdout.write(json.dumps({"error": exc.message, "hint": exc.hint, "details": exc.details}) + "\n")
            raise click.exceptions.Exit(exc.exit_code) from None

    return wrapper  # type: ignore[return-value]


def _api(app: AppContext) -> Batchctl:
    from batchctl.api import Batchctl

    return Batchctl(app.config(), app.aws)


def _command(app: AppContext) -> str:
    words = ["batchctl"]
    if app.local:
        words.append("--local")
    if str(app.config_path) != DEFAULT_CONFIG_FILE:
        words.append(f"-f {app.config_path}")
    return " ".join(words)


@click.command()
@click.argument("job_id")
@output_option
@pass_app
@json_errors
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
@output_option
@pass_app
@json_errors
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
    from batchctl.api import Notice, parse_pairs

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
            render.as_json({"requests": result.requests})
        else:
            render.step("the SubmitJob request (nothing was submitted):")
            render.as_json(result.requests[0])
        return
    job = result.jobs[0]
    if app.json and not (wait or follow):
        render.as_json({"job": job, "request": result.requests[0]})
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
        render.as_json({"job": job, "status": record.status, "status_reason": record.status_reason})
    line = f"{job.name} {job.job_id} {record.status}" + (f": {record.status_reason}" if record.status_reason else "")
    if record.status != "SUCCEEDED":
        render.fail(line)
        render.hint(f"why: {_command(app)} why {job.job_id}")
        raise click.exceptions.Exit(1)
    render.ok(line)


COMMANDS = [why, run]
