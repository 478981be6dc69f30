"""`batchctl local ...`: the embedded AWS emulator that `--local` targets."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from batchctl.cli import render
from batchctl.cli.context import AppContext
from batchctl.cli.options import pass_app

if TYPE_CHECKING:
    from batchctl.api.local import FaultSettings, RestoredStack


@click.group("local")
def local_group() -> None:
    """Run the local AWS emulator (jobs run in Docker containers on this machine)."""


@local_group.command()
@click.option("--port", type=click.IntRange(1, 65535), help="Port on 127.0.0.1 (default 4586, or BATCHCTL_LOCAL_PORT).")
@click.option("--require-docker", is_flag=True, help="Fail when no Docker engine is reachable.")
@click.option("--latency-ms", type=click.IntRange(0, 60_000), default=0, help="Add this latency to every API call.")
@click.option(
    "--throttle", multiple=True, metavar="OPERATION=TPS", help="Answer 429 above this rate (e.g. SubmitJob=50)."
)
@click.option(
    "--throttle-fraction", multiple=True, metavar="OPERATION=FRACTION", help="Answer 429 to this share of calls."
)
@click.option(
    "--error-rate",
    multiple=True,
    metavar="OPERATION=FRACTION",
    help="Run this share of calls, then answer 500 (did it take effect?).",
)
@click.option("--no-containers", is_flag=True, help="Jobs succeed without containers (API-path benchmarks only).")
@pass_app
def up(
    app: AppContext,
    port: int | None,
    require_docker: bool,
    latency_ms: int,
    throttle: tuple[str, ...],
    throttle_fraction: tuple[str, ...],
    error_rate: tuple[str, ...],
    no_containers: bool,
) -> None:
    """Start the emulator in the background (idempotent) and check the Docker engine.

    The fault options (off by default) make the emulator behave like a slow, throttling, failing AWS, to measure
    and test clients; `local status` shows them.
    """
    from batchctl.api import local
    from batchctl.errors import BatchctlError

    faults = _fault_settings(latency_ms, throttle, throttle_fraction, error_rate, no_containers)

    def restoring(stack_name: str) -> None:
        if not app.json:
            render.note(f"re-creating stack {stack_name}")

    state = local.up(port, on_restore=restoring, faults=faults)
    info, docker, restored = state.emulator, state.docker, state.restored
    assert info is not None
    if app.json:
        render.as_json(state)
    else:
        _print_restored(restored)
        render.ok(f"emulator running at {info.endpoint} (pid {info.pid}, log {info.log_file})")
        if info.faults.active:
            render.note("injected: " + "; ".join(info.faults.describe()))
        if info.registry:
            render.ok(f"image registry at {info.registry} (ECR repository URIs resolve to it)")
        else:
            render.fail("no image registry: jobs cannot pull ECR images (install it: scripts/setup-registry.sh)")
        if docker.available:
            render.ok(f"Docker engine: {docker.detail}")
        else:
            render.fail(f"no Docker engine: {docker.detail}")
            render.note("clusters deploy, but jobs cannot run until a Docker engine is reachable (see README)")
        render.hint(f"next: {app.command(local=True)} {'status' if restored else 'deploy --yes'}")
    if require_docker and not docker.available:
        raise BatchctlError(f"no Docker engine: {docker.detail}", hint="start one: scripts/setup-docker.sh")
    if require_docker and not info.registry:
        raise BatchctlError("no image registry beside the emulator", hint="install it: scripts/setup-registry.sh")
    failed = [stack for stack in restored if not stack.ok]
    if failed:
        raise BatchctlError(
            f"{len(failed)} of {len(restored)} recorded stack(s) could not be re-created: "
            + "; ".join(f"{stack.name}: {stack.status} {stack.reason}".strip() for stack in failed),
            hint="see the emulator log; `batchctl --local destroy --yes` then `deploy --yes` starts the cluster over",
        )


def _fault_settings(
    latency_ms: int,
    throttle: tuple[str, ...],
    throttle_fraction: tuple[str, ...],
    error_rate: tuple[str, ...],
    no_containers: bool,
) -> FaultSettings | None:
    """The injection asked for; None when no option was given (a running emulator keeps its own)."""
    from batchctl.api.local import FaultSettings, parse_fault_assignments

    if not (latency_ms or throttle or throttle_fraction or error_rate or no_containers):
        return None
    try:
        return FaultSettings(
            latency_ms=latency_ms,
            throttle=parse_fault_assignments(throttle, fraction=False),
            throttle_fraction=parse_fault_assignments(throttle_fraction, fraction=True),
            error_rate=parse_fault_assignments(error_rate, fraction=True),
            no_containers=no_containers,
        )
    except ValueError as err:
        raise click.UsageError(str(err)) from None


def _print_restored(restored: list[RestoredStack]) -> None:
    from batchctl.api.local import LOST_ON_RESTART

    if not restored:
        return
    for stack in restored:
        if stack.status == "ALREADY_PRESENT":
            render.note(f"stack {stack.name} already present")
        elif stack.ok:
            render.ok(f"re-created stack {stack.name} ({stack.seconds:.1f} s)")
        else:
            render.fail(f"stack {stack.name} not re-created: {stack.status} {stack.reason}".strip())
    render.note(f"not restored: {LOST_ON_RESTART} (images in the registry are kept)")


@local_group.command()
@pass_app
def down(app: AppContext) -> None:
    """Stop the emulator; `local up` re-creates its clusters (jobs, logs and bucket contents are lost)."""
    from batchctl.api import local

    result = local.down()
    if app.json:
        render.as_json(result)
    elif result.stopped:
        render.ok("emulator stopped")
        render.note("`batchctl local up` re-creates its clusters; jobs, job logs and bucket contents are not kept")
    else:
        render.note("the emulator was not running")


@local_group.command("status")
@pass_app
def local_status(app: AppContext) -> None:
    """Is the emulator running, and is a Docker engine reachable?"""
    from batchctl.api import local

    state = local.status()
    info, docker = state.emulator, state.docker
    if app.json:
        render.as_json(state)
    else:
        if info:
            render.ok(f"emulator running at {info.endpoint} (pid {info.pid}, since {info.started_at})")
            if info.registry:
                render.ok(f"image registry at {info.registry}")
            if info.faults.active:
                render.note("injected: " + "; ".join(info.faults.describe()))
        else:
            render.fail("emulator not running (start it: batchctl local up)")
        if docker.available:
            render.ok(f"Docker engine: {docker.detail}")
        else:
            render.fail(f"no Docker engine: {docker.detail}")
    if info is None:
        raise click.exceptions.Exit(1)  # scripts can test it: `batchctl local status || batchctl local up`


@local_group.command()
@click.argument("job_id")
@click.option("-i", "--index", type=click.IntRange(min=0), help="Array child to interrupt.")
@pass_app
def interrupt(app: AppContext, job_id: str, index: int | None) -> None:
    """Reclaim a running job's host as a Spot interruption would (needs --local).

    The attempt fails with "Host EC2 (instance i-...) terminated." and is retried if the job's retry strategy says so
    (e.g. evaluateOnExit onStatusReason "Host EC2*" RETRY), so such rules can be tried locally.
    """
    from batchctl.api import local
    from batchctl.errors import BatchctlError

    if not app.local:
        raise BatchctlError(
            "`local interrupt` acts on the local emulator only: add --local (AWS itself reclaims Spot hosts)",
            hint=f"{app.command(local=True)} local interrupt {job_id}"
            + (f" --index {index}" if index is not None else ""),
        )
    result = local.interrupt(job_id, index)
    if app.json:
        render.as_json(result)
        return
    render.ok(f"interrupted {result.job_id}: {result.status_reason}")
    render.hint(f"next: {app.command()} show {result.job_id}")


COMMANDS = [local_group]
