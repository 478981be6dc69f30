"""The local emulator, as the SDK offers it: up, down, status, and a simulated Spot interruption.

from batchctl.api import local

state = local.up()
print(state.emulator.endpoint, state.docker.available)
"""

from __future__ import annotations

from dataclasses import dataclass

from batchctl.errors import BatchctlError, NotFoundError
from batchctl.local import docker_engine, process
from batchctl.local.docker_engine import DockerStatus
from batchctl.local.process import EmulatorInfo


@dataclass(frozen=True)
class LocalStatus:
    emulator: EmulatorInfo | None  # None: not running
    docker: DockerStatus

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


def up(port: int | None = None) -> LocalStatus:
    """Start the emulator in the background (idempotent) and check the Docker engine that runs the jobs."""
    return LocalStatus(process.start(port=port), docker_engine.check())


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
