"""Job commands that act: submit, resubmit, logs, cancel, outputs (over batchctl.api.Batchctl); reading ones are
in read_commands."""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

import click
from rich.markup import escape

from batchctl.cli import render
from batchctl.cli.context import AppContext
from batchctl.cli.options import pass_app
from batchctl.cli.read_commands import short_time
from batchctl.jobs.call_meter import CallMeter
from batchctl.jobs.follow import LogLine, Notice
from batchctl.jobs.pacing import DEFAULT_SUBMIT_RATE
from batchctl.jobs.records import JobRecord
from batchctl.jobs.resubmit import ResubmitResult, format_indices
from batchctl.jobs.template import parse_assignments
from batchctl.jobs.wait import count_by_status, require_success

if TYPE_CHECKING:
    from batchctl.api import Batchctl, SubmitResult


_JOB_FILE_HELP = """
\b
A job file is YAML rendered with Jinja2 first. Variables: timestamp, user, cluster (project), unique_id, and
every key=value given after the file. A bare key under `inputs:` means an object of the cluster's inputs bucket.
A plain list of jobs, the Terraform project's keys (envvars, resources, jobId) and full AWS names of the
cluster's queues and definitions are read too: --explain prints such a file in this form.
  jobs:
    - name: hello-{{ timestamp }}
      queue: cpu
      definition: helloworld
      command: python3 /app/hello.py --greeting {{ greeting | default('hello') }}
      array_size: 3
      inputs: {greeting: greeting.txt}
      depends_on: [other-job]          # or {name: other, type: N_TO_N}, or {type: SEQUENTIAL}
"""


def _api(app: AppContext) -> Batchctl:
    return app.api()


def _command(app: AppContext) -> str:
    return app.command()


@click.command(epilog=_JOB_FILE_HELP)
@click.argument("job_file", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("variables", nargs=-1)
@click.option("--dry-run", is_flag=True, help="Print the rendered file and the SubmitJob requests; call no AWS API.")
@click.option("--wait", is_flag=True, help="Wait until every job has finished; exit 1 if any failed.")
@click.option("--follow", is_flag=True, help="Stream the jobs' logs as they start (implies --wait).")
@click.option("--force", is_flag=True, help="Submit jobs even when no compute environment of their queue fits them.")
@click.option("--explain", is_flag=True, help="Print the file in batchctl's own form (YAML); submit nothing.")
@click.option(
    "--resume",
    metavar="SUBMISSION",
    help="Finish an interrupted submission (same file and variables): submit only the jobs AWS does not have.",
)
@click.option(
    "--rate",
    type=click.FloatRange(min=0.1, max=1000),
    default=DEFAULT_SUBMIT_RATE,
    show_default=True,
    help="SubmitJob calls per second at most (AWS allows 50 per account); slower when AWS throttles.",
)
@pass_app
def submit(
    app: AppContext,
    job_file: Path,
    variables: tuple[str, ...],
    dry_run: bool,
    wait: bool,
    follow: bool,
    force: bool,
    explain: bool,
    resume: str | None,
    rate: float,
) -> None:
    """Submit the jobs of JOB_FILE; VARIABLES are key=value pairs for its template.

    The whole file is checked first (names, ARNs, AWS limits, whether each job fits its queue): when anything
    is wrong, nothing is submitted.
    """
    api = _api(app)
    if explain:
        from batchctl.api import Explanation

        text = api.explain(job_file, parse_assignments(variables))
        if app.json:
            render.as_json(Explanation(str(job_file), text))
        else:
            click.echo(text, nl=False)
        return
    if resume is not None and not re.fullmatch(r"[0-9a-f]{8}", resume):
        raise click.BadParameter(
            f"{resume!r} is not a submission id (8 hex digits, as `submit` printed)", param_hint="--resume"
        )
    from batchctl.cli.submit_progress import SubmitBar

    with SubmitBar(enabled=not app.json, resume_hint=f"{_command(app)} submit {job_file} --resume") as bar:
        result = api.submit(
            job_file,
            parse_assignments(variables),
            dry_run=dry_run,
            force=force,
            resume=resume,
            rate=rate,
            on_progress=bar.update,
        )
    if dry_run:
        _print_dry_run(app, result)
        return
    _print_submitted(app, result)
    if follow:
        meter = CallMeter()
        prefixed = len(result.jobs) > 1 or bool(result.jobs[0].array_size)
        _print_follow(app, api.follow(result.jobs, meter=meter), prefixed=prefixed)
        _print_rates(f"followed {meter.streams} streams", meter)  # the submission is the JSON document
    if wait or follow:
        require_success(_wait(api, [job.job_id for job in result.jobs]))


@click.command()
@click.argument("job_id")
@click.option("--failed-only", is_flag=True, help="Only an array's FAILED children (a failed plain job: itself).")
@click.option("--dry-run", is_flag=True, help="Print the SubmitJob request; submit nothing.")
@click.option("--wait", is_flag=True, help="Wait until the new job has finished; exit 1 if it failed.")
@click.option("-q", "--queue", help="Run it on this queue instead (e.g. on-demand after a Spot loss).")
@click.option("--vcpus", type=click.FloatRange(min=0, min_open=True), help="vCPUs of the new job.")
@click.option("--memory", type=click.IntRange(min=4), help="Memory of the new job in MiB.")
@pass_app
def resubmit(
    app: AppContext,
    job_id: str,
    failed_only: bool,
    dry_run: bool,
    wait: bool,
    queue: str | None,
    vcpus: float | None,
    memory: int | None,
) -> None:
    """Run a finished job again as a new job whose outputs land where the original's did.

    \b
    With --failed-only an array's failed children run again as a new array over them: its child i stands for
    original index map[i] (BATCHCTL_INDEX_MAP; the command sees the original index as BATCHCTL_ARRAY_INDEX) and
    uploads under the original job's output prefix. `show` links the two jobs.
    """
    if dry_run and wait:
        raise click.UsageError("give --dry-run or --wait, not both")
    api = _api(app)
    result = api.resubmit(job_id, failed_only=failed_only, dry_run=dry_run, queue=queue, vcpus=vcpus, memory=memory)
    if dry_run:
        if app.json:
            render.as_json(result)
            return
        render.step(f"resubmitting {result.original_id} would run {_rerun(result)}; its SubmitJob request:")
        render.as_json(result.request)
        render.note("nothing was submitted (--dry-run)")
        return
    assert result.job is not None
    new = result.job
    if app.json:
        render.as_json(result)
    else:
        render.ok(f"resubmitted {result.name} {result.original_id} as {new.job_id}: {_rerun(result)}")
    render.hint(
        f"next: {_command(app)} show {new.job_id}; "
        f"{_command(app)} logs {new.job_id}{' --index 0' if new.array_size else ''} -f; "
        f"{_command(app)} outputs {result.original_id}"
    )
    if wait:
        require_success(_wait(api, [new.job_id]))


@click.command()
@click.argument("job_id")
@click.option("-i", "--index", type=click.IntRange(min=0), help="Array child to read.")
@click.option("--attempt", type=click.IntRange(min=1), help="Attempt to read (1 = first; default: the last).")
@click.option(
    "-f", "--follow", is_flag=True, help="Wait for the job to start and stream until it ends (an array: every child)."
)
@pass_app
def logs(app: AppContext, job_id: str, index: int | None, attempt: int | None, follow: bool) -> None:
    """Print a job's log (CloudWatch Logs).

    With -o json: one object (job_id, status, group, stream, waiting, events); with --follow, one JSON object per
    line as events come (label, timestamp, message; or label, notice), then the API calls made (seconds, streams,
    calls). Following ends with a line on stderr: the calls made and their rates.
    """
    api = _api(app)
    if app.json and not (follow and attempt is None):
        render.as_json(api.log_events(job_id, index=index, attempt=attempt))
        return
    if follow and attempt is None:  # status notices say when it starts and ends; an array: all its children
        meter = CallMeter()
        followed = api.follow_logs(job_id if index is None else api.log_source(job_id, index=index), meter=meter)
        streamed = app.json and not render.json_written()
        _print_follow(app, followed, prefixed=False, plain_label=job_id if index is None else None)
        _print_rates(f"followed {meter.streams} streams", meter, json_lines=streamed)
        return
    source = api.log_source(job_id, index=index, attempt=attempt)
    if source.stream is None:
        render.note(source.waiting_message)
        if not source.job.terminal:
            render.hint(
                f"wait for them: {_command(app)} logs {job_id}{'' if index is None else f' --index {index}'} -f"
            )
        return
    count = 0
    for event in api.read_logs(source):
        click.echo(event.message)
        count += 1
    if not count:
        render.note(f"no log events yet in {source.group} {source.stream}")


@click.command()
@click.argument("job_ids", nargs=-1, required=True)
@click.option("-r", "--reason", help="Recorded on the jobs (default: who cancelled them).")
@pass_app
def cancel(app: AppContext, job_ids: tuple[str, ...], reason: str | None) -> None:
    """Cancel jobs that have not started and terminate running ones (array children included)."""
    outcomes = _api(app).cancel(list(job_ids), reason)
    if app.json:
        render.as_json(outcomes)
        return
    render.table(
        None,
        ["id", "name", "was", "action", "detail"],
        [(o.job_id, escape(o.name), o.status, o.action, o.detail) for o in outcomes],
    )


@click.command()
@click.argument("job_id")
@click.option("-i", "--index", type=click.IntRange(min=0), help="Only this array child's outputs.")
@click.option("-d", "--download", type=click.Path(file_okay=False, path_type=Path), help="Copy the files here.")
@pass_app
def outputs(app: AppContext, job_id: str, index: int | None, download: Path | None) -> None:
    """List (or download) the files a job uploaded to the outputs bucket."""
    listing = _api(app).outputs(job_id, index=index, download=download)
    if app.json:
        render.as_json(listing)
        return
    if not listing.files:
        render.note(f"nothing under {listing.url} (yet)")
        return
    render.table(
        listing.url,
        ["file", "bytes", "modified"],
        [(escape(f.relative), f.size, short_time(f.modified)) for f in listing.files],
    )
    if listing.downloaded_to:
        render.ok(f"downloaded {len(listing.files)} file(s) to {listing.downloaded_to}")


def _print_dry_run(app: AppContext, result: SubmitResult) -> None:
    if app.json:
        render.as_json(result)
        return
    render.step(f"{result.source} after templating:")
    click.echo(result.rendered.rstrip("\n"))
    render.step(f"{len(result.requests)} SubmitJob request(s), in submission order (nothing was submitted):")
    render.as_json(result.requests)


def _print_submitted(app: AppContext, result: SubmitResult) -> None:
    if app.json:
        render.as_json(result)
    else:
        render.ok(f"submitted {len(result.jobs)} job(s) from {result.source} (submission {result.submission_id})")
        render.table(
            None,
            ["name", "id", "array"],
            [(job.name, job.job_id, job.array_size or "") for job in result.jobs],
        )
    first = result.jobs[0]
    render.hint(
        f"next: {_command(app)} jobs --since 1h; {_command(app)} show {first.job_id}; "
        f"{_command(app)} logs {first.job_id}{' --index 0' if first.array_size else ''} -f; "
        f"{_command(app)} outputs {first.job_id}"
    )


def _rerun(result: ResubmitResult) -> str:
    """What a resubmission runs: `indices 1,3 as an array of 2`, `index 3 as a plain job`, `the whole job`."""
    if result.indices is None:
        return "the whole job"
    if result.as_array:
        return f"indices {format_indices(result.indices)} as an array of {len(result.indices)}"
    return f"index {format_indices(result.indices)} as a plain job"


def _wait(api: Batchctl, job_ids: list[str]) -> list[JobRecord]:
    with render.err.status("waiting for the jobs") as status:

        def update(records: list[JobRecord]) -> None:
            counts = count_by_status(records)
            status.update("waiting: " + ", ".join(f"{count} {name}" for name, count in sorted(counts.items())))

        meter = CallMeter()
        records = api.wait(job_ids, update, meter=meter)
    _print_rates(f"waited for {len(job_ids)} jobs", meter)
    for record in records:
        line = f"{record.name} {record.id} {record.status}" + (
            f": {record.status_reason}" if record.status_reason else ""
        )
        (render.ok if record.status == "SUCCEEDED" else render.fail)(line)
    return records


def _print_rates(what: str, meter: CallMeter, json_lines: bool = False) -> None:
    """The API calls a follow or a wait made, and their rates: a line on stderr (and, ending a JSON Lines stream,
    a last object with `seconds`, `streams` and `calls`)."""
    if json_lines:
        render.json_line(meter.as_dict())
    render.note(f"{what}: {meter.summary()} over {meter.seconds:.0f} s")


def _print_follow(
    app: AppContext, items: Iterable[LogLine | Notice], prefixed: bool, plain_label: str | None = None
) -> None:
    """Log lines on stdout as they come. Under -o json: `logs -f` writes one JSON object per line (JSON Lines);
    after a submit, whose result is already the JSON document on stdout, the lines go to stderr. With
    `plain_label`, items of other labels (an array's children) are prefixed."""
    streamed = app.json and not render.json_written()
    for item in items:
        prefixed = prefixed or (plain_label is not None and item.label != plain_label)
        text = item.text if isinstance(item, Notice) else item.event.message
        if streamed and isinstance(item, Notice):
            render.json_line({"label": item.label, "notice": text})
        elif streamed and isinstance(item, LogLine):
            render.json_line({"label": item.label, "timestamp": item.event.timestamp, "message": text})
        elif app.json:
            render.err.print(f"[{item.label}] {text}" if prefixed else text, markup=False)
        elif isinstance(item, Notice):
            render.step(f"{item.label}: {text}" if prefixed else text)
        else:
            click.echo(f"[{item.label}] {text}" if prefixed else text)


COMMANDS = [submit, resubmit, logs, cancel, outputs]
