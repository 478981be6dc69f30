"""Running the command: its own process group, inherited stdout/stderr, stop signals forwarded, usage measured."""

from __future__ import annotations

import contextlib
import os
import resource
import signal
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from types import FrameType

from . import log
from .errors import EXIT_NOT_EXECUTABLE, EXIT_NOT_FOUND, SIGNAL_EXIT_BASE, RunnerError
from .proctable import live_group_members
from .usage import PeakMemorySampler

FORWARDED_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)
_POLL_SECONDS = 0.05
# Processes the command left running get this long after SIGTERM before SIGKILL.
LEFTOVER_GRACE_SECONDS = 2.0


@dataclass(frozen=True)
class CommandOutcome:
    exit_code: int
    signal_name: str | None  # the signal that ended the command, if one did
    started_at: datetime
    ended_at: datetime
    elapsed_seconds: float
    cpu_user_seconds: float
    cpu_system_seconds: float
    peak_rss_bytes: int  # summed over the process tree, at least the largest single process
    rss_samples: int


class StopForwarder:
    """Forwards SIGTERM, SIGINT and SIGHUP to the command's process group, and SIGKILL once the grace is over.

    Installed before anything else, so a stop during input staging is remembered and the command never starts.
    """

    def __init__(self, grace_seconds: float) -> None:
        self.grace_seconds = grace_seconds
        self.received: signal.Signals | None = None
        self._received_at = 0.0
        self._process_group: int | None = None
        self._killed = False
        self._previous: dict[int, object] = {}

    def install(self) -> None:
        for signum in FORWARDED_SIGNALS:
            self._previous[signum] = signal.signal(signum, self._handle)

    def restore(self) -> None:
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)  # type: ignore[arg-type]
        self._previous.clear()

    def attach(self, process_group: int) -> None:
        self._process_group = process_group
        if self.received is not None:
            self._send(self.received)

    def detach(self) -> None:
        self._process_group = None

    def kill_if_overdue(self) -> None:
        if self.received is None or self._killed or self._process_group is None:
            return
        if time.monotonic() - self._received_at >= self.grace_seconds:
            self._killed = True
            log.say(f"the command did not stop within {self.grace_seconds:g}s of {self.received.name}; sending SIGKILL")
            self._send(signal.SIGKILL)

    def _handle(self, signum: int, _frame: FrameType | None) -> None:
        received = signal.Signals(signum)
        if self.received is None:
            self.received = received
            self._received_at = time.monotonic()
            log.say(f"received {received.name}: stopping the job")
        self._send(received)

    def _send(self, signum: signal.Signals) -> None:
        if self._process_group is None:
            return
        with contextlib.suppress(ProcessLookupError):  # the group has already exited
            os.killpg(self._process_group, signum)


def run_command(
    command: Sequence[str], env: Mapping[str, str], stop: StopForwarder, sample_interval: float
) -> CommandOutcome:
    started_at = datetime.now(UTC)
    started = time.monotonic()
    try:
        # A process group of its own: stop signals reach the whole tree, never the runner by accident.
        process = subprocess.Popen(list(command), env=dict(env), process_group=0)
    except FileNotFoundError:
        raise RunnerError(f"command not found: {command[0]}", EXIT_NOT_FOUND) from None
    except OSError as error:
        raise RunnerError(f"cannot execute {command[0]}: {error.strerror or error}", EXIT_NOT_EXECUTABLE) from None
    # The kernel's ru_maxrss of a child starts from the forking process's own high-water mark (fork and vfork
    # both inherit it until exec), so it is a valid floor only when it is above the runner's own peak.
    inherited_peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    stop.attach(process.pid)
    sampler = PeakMemorySampler(process.pid, process.pid, sample_interval).start()
    try:
        status, rusage = _wait(process.pid, stop)
        elapsed, ended_at = time.monotonic() - started, datetime.now(UTC)
        _stop_leftovers(process.pid)
    finally:
        sampler.stop()
        stop.detach()
    process.returncode = os.waitstatus_to_exitcode(status)  # reaped here, so Popen must not wait again
    signal_name = signal.Signals(os.WTERMSIG(status)).name if os.WIFSIGNALED(status) else None
    exit_code = SIGNAL_EXIT_BASE + os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status)
    return CommandOutcome(
        exit_code=exit_code,
        signal_name=signal_name,
        started_at=started_at,
        ended_at=ended_at,
        elapsed_seconds=elapsed,
        cpu_user_seconds=rusage.ru_utime,
        cpu_system_seconds=rusage.ru_stime,
        peak_rss_bytes=max(sampler.peak_bytes, _own_peak_bytes(rusage.ru_maxrss, inherited_peak_kib)),
        rss_samples=sampler.samples,
    )


def _wait(pid: int, stop: StopForwarder) -> tuple[int, resource.struct_rusage]:
    """Wait for the command, escalating to SIGKILL when a forwarded stop is overdue.

    wait4 gives the rusage of the command and every descendant it waited for: getrusage(RUSAGE_CHILDREN)
    restricted to this command.
    """
    while True:
        waited, status, rusage = os.wait4(pid, os.WNOHANG)
        if waited == pid:
            return status, rusage
        stop.kill_if_overdue()
        time.sleep(_POLL_SECONDS)


def _stop_leftovers(process_group: int) -> None:
    """End what the command left running in its process group, as the end of a container would, so outputs are
    uploaded from a quiet workspace and nothing outlives the job when the runner is not PID 1."""
    leftovers = live_group_members(process_group)
    if not leftovers:
        return
    log.say(f"stopping {len(leftovers)} process(es) the command left running")
    for signum, wait in ((signal.SIGTERM, LEFTOVER_GRACE_SECONDS), (signal.SIGKILL, LEFTOVER_GRACE_SECONDS)):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process_group, signum)
        deadline = time.monotonic() + wait
        while live_group_members(process_group) and time.monotonic() < deadline:
            time.sleep(_POLL_SECONDS)
        if not live_group_members(process_group):
            return


def _own_peak_bytes(child_max_rss_kib: int, inherited_peak_kib: int) -> int:
    """The command's largest process's peak RSS (Linux reports KiB), or 0 when it may be the runner's own."""
    return child_max_rss_kib * 1024 if child_max_rss_kib > inherited_peak_kib else 0
