"""`batchctl local ...`: the embedded AWS emulator that `--local` targets."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from batchctl.cli import render
from batchctl.cli.context import AppContext
from batchctl.cli.options import pass_app

if TYPE_CHECKING:
    from batchctl.api.local import RestoredStack


@click.group("local")
def local_group() -> None:
    """Run the local AWS emulator (jobs run in Docker containers on this machine)."""


@local_group.command()
@click.option("--port", type=click.IntRange(1, 65535), help="Port on 127.0.0.1 (default 4586, or BATCHCTL_LOCAL_PORT).")
@click.option("--require-docker", is_flag=True, help="Fail when no Docker engine is reachable.")
@pass_app
def up(app: AppContext, port: int | None, require_docker: bool) -> None:
    """Start the emulator in the background (idempotent) and check the Docker engine."""
    from batchctl.api import local
    from batchctl.errors import BatchctlError

    def restoring(stack_name: str) -> None:
        if not app.json:
            render.note(f"re-creating stack {stack_name}")

    state = local.up(port, on_restore=restoring)
    info, docker, restored = state.emulator, state.docker, state.restored
    assert info is not None
    if app.json:
        render.as_json(state)
    else:
        _print_restored(restored)
        render.ok(f"emulator running at {info.endpoint} (pid {info.pid}, log {info.log_file})")
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
