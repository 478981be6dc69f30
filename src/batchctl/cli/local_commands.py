"""`batchctl local ...`: the embedded AWS emulator that `--local` targets."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from batchctl.cli import render
from batchctl.cli.context import AppContext
from batchctl.cli.options import pass_app

if TYPE_CHECKING:
    from batchctl.local import process, restore


@click.group("local")
def local_group() -> None:
    """Run the local AWS emulator (jobs run in Docker containers on this machine)."""


@local_group.command()
@click.option("--port", type=click.IntRange(1, 65535), help="Port on 127.0.0.1 (default 4586, or BATCHCTL_LOCAL_PORT).")
@click.option("--require-docker", is_flag=True, help="Fail when no Docker engine is reachable.")
@pass_app
def up(app: AppContext, port: int | None, require_docker: bool) -> None:
    """Start the emulator in the background (idempotent) and check the Docker engine."""
    from batchctl.errors import BatchctlError
    from batchctl.local import docker_engine, process

    already_running = process.status() is not None
    info = process.start(port=port)
    restored = [] if already_running else _restore_clusters(info, quiet=app.json)
    docker = docker_engine.check()
    if app.json:
        render.as_json({"emulator": info, "docker": docker, "restored": restored})
    else:
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
        render.hint("next: batchctl --local deploy --yes" if not restored else "next: batchctl --local status")
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


def _restore_clusters(info: process.EmulatorInfo, quiet: bool) -> list[restore.RestoredStack]:
    """Re-create the stacks deployed before the emulator last stopped, in the order they were first deployed."""
    import boto3

    from batchctl.aws.session import LOCAL_CREDENTIALS
    from batchctl.cli.progress import StackProgress
    from batchctl.local import process, restore

    records = restore.StackRecords(process.state_dir())
    recorded = records.load()
    if not recorded:
        return []

    def client_for(region: str) -> Any:
        return boto3.client("cloudformation", endpoint_url=info.endpoint, region_name=region, **LOCAL_CREDENTIALS)

    with StackProgress(total=len(recorded)) as progress:
        results = restore.restore_stacks(
            records, client_for, on_start=lambda record: progress.step(f"re-creating stack {record.name}")
        )
    if not quiet:
        for stack in results:
            if stack.status == "ALREADY_PRESENT":
                render.note(f"stack {stack.name} already present")
            elif stack.ok:
                render.ok(f"re-created stack {stack.name} ({stack.seconds:.1f} s)")
            else:
                render.fail(f"stack {stack.name} not re-created: {stack.status} {stack.reason}".strip())
        render.note(f"not restored: {restore.LOST_ON_RESTART} (images in the registry are kept)")
    return results


@local_group.command()
def down() -> None:
    """Stop the emulator; `local up` re-creates its clusters (jobs, logs and bucket contents are lost)."""
    from batchctl.local import process

    if process.stop():
        render.ok("emulator stopped")
        render.note("`batchctl local up` re-creates its clusters; jobs, job logs and bucket contents are not kept")
    else:
        render.note("the emulator was not running")


@local_group.command("status")
@pass_app
def local_status(app: AppContext) -> None:
    """Is the emulator running, and is a Docker engine reachable?"""
    from batchctl.local import docker_engine, process

    info = process.status()
    docker = docker_engine.check()
    if app.json:
        render.as_json({"emulator": info, "docker": docker})
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
    from batchctl.errors import BatchctlError, NotFoundError
    from batchctl.local import process

    if not app.local:
        raise BatchctlError(
            "`local interrupt` acts on the local emulator only: add --local (AWS itself reclaims Spot hosts)",
            hint=f"batchctl --local local interrupt {job_id}" + (f" --index {index}" if index is not None else ""),
        )
    target = f"{job_id}:{index}" if index is not None else job_id
    try:
        result = process.interrupt_job(target)
    except process.EmulatorRefusedError as exc:
        error = NotFoundError if exc.status == 404 else BatchctlError
        raise error(str(exc), hint="list running jobs with `batchctl --local jobs --status RUNNING`") from None
    except process.EmulatorError as exc:
        raise BatchctlError(str(exc), hint="start it with `batchctl local up`") from None
    if app.json:
        render.as_json(result)
        return
    render.ok(f"interrupted {target}: {result['statusReason']}")
    render.hint(f"next: batchctl --local show {target}")


COMMANDS = [local_group]
