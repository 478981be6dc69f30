"""The local emulator, as the SDK offers it: up, down, status, and a simulated Spot interruption.

from batchctl.api import local

state = local.up()
print(state.emulator.endpoint, state.docker.available)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from batchctl.errors import BatchctlError, NotFoundError
from batchctl.local import docker_engine, process
from batchctl.local.docker_engine import DockerStatus
from batchctl.local.faults import FaultSettings
from batchctl.local.faults import parse_assignments as parse_fault_assignments
from batchctl.local.process import EmulatorInfo
from batchctl.local.restore import LOST_ON_RESTART, RestoredStack

__all__ = [
    "LOST_ON_RESTART",
    "FaultSettings",
    "Interruption",
    "LocalStatus",
    "RestoredStack",
    "Stopped",
    "down",
    "interrupt",
    "parse_fault_assignments",
    "status",
    "up",
]


@dataclass(frozen=True)
class LocalStatus:
    emulator: EmulatorInfo | None  # None: not running
    docker: DockerStatus
    # Stacks re-created by `up` from the records of the previous emulator (empty when it was already running).
    restored: list[RestoredStack] = field(default_factory=list)

    @property
    def running(self) -> bool:
        return self.emulator is not None


@dataclass(frozen=True)
class Stopped:
    stopped: bool  # False: it was not running


@dataclass(frozen=True)
class Interruption:
    job_id: str  # the job (or array child, `id:index`) whose host was reclaimed
    status_reason: str  # what the failed attempt says, as AWS words it


def up(
    port: int | None = None,
    on_restore: Callable[[str], None] = lambda stack_name: None,
    faults: FaultSettings | None = None,
) -> LocalStatus:
    """Start the emulator in the background (idempotent) and check the Docker engine that runs the jobs.

    ``faults``: latency, throttling and errors the emulator injects (local only, see docs/local-mode.md); a running
    emulator with other settings is an error (stop it first). None: whatever the running one has, or none.

    A newly started emulator re-creates the stacks deployed to the previous one, in the order they were first
    deployed (``on_restore`` hears each stack's name as it starts); job history, logs and bucket contents are lost.
    """
    already_running = process.status() is not None
    info = process.start(port=port, faults=faults)
    restored = [] if already_running else _restore_clusters(info, on_restore)
    return LocalStatus(info, docker_engine.check(), restored)


def _restore_clusters(info: EmulatorInfo, on_restore: Callable[[str], None]) -> list[RestoredStack]:
    import boto3

    from batchctl.aws.session import LOCAL_CREDENTIALS
    from batchctl.local import restore

    records = restore.StackRecords(process.state_dir())
    if not records.load():
        return []

    def client_for(region: str) -> Any:
        return boto3.client("cloudformation", endpoint_url=info.endpoint, region_name=region, **LOCAL_CREDENTIALS)

    return restore.restore_stacks(records, client_for, on_start=lambda record: on_restore(record.name))


def down() -> Stopped:
    """Stop the emulator (its state is in memory and is lost)."""
    return Stopped(process.stop())


def status() -> LocalStatus:
    return LocalStatus(process.status(), docker_engine.check())


def interrupt(job_id: str, index: int | None = None) -> Interruption:
    """Reclaim a running job's host as a Spot interruption would: the attempt fails with AWS's "Host EC2 ..."."""
    target = f"{job_id}:{index}" if index is not None else job_id
    try:
        answer = process.interrupt_job(target)
    except process.EmulatorRefusedError as exc:
        error = NotFoundError if exc.status == 404 else BatchctlError
        raise error(str(exc), hint="list running jobs with `batchctl --local jobs --status RUNNING`") from None
    except process.EmulatorError as exc:
        raise BatchctlError(str(exc), hint="start it with `batchctl local up`") from None
    return Interruption(answer.get("jobId", target), answer["statusReason"])
