"""Resource usage of the command's process tree.

CPU time and the largest single process come from the kernel's rusage of the command (what
getrusage(RUSAGE_CHILDREN) reports in a container, where the command is the runner's only child; taken from
wait4 so other children of the calling process never count). The peak memory of the whole tree comes from
sampling /proc: the summed RSS of the command, its descendants and its process group, at a fixed interval.

Two floors catch peaks between samples. Each sample also reads every process's own high-water mark (VmHWM in
/proc/PID/status: the peak RSS since its exec, so a sample taken after a short spike still sees it). And the
command's ru_maxrss, which counts only when it is above the runner's own peak: the kernel starts a child's
ru_maxrss from the forking process's high-water mark, so a command smaller than the runner reports the runner's
size there (proc(5), getrusage(2)). A job shorter than one interval is sampled often at first: every
FAST_INTERVAL_SECONDS during its first FAST_START_SECONDS (the root process only, one file read), so even a
sub-second Python command reports its own peak rather than the 0.6 MiB of a process that has just exec'd.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterable
from pathlib import Path

from .proctable import PROC, process_tree

_PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")
FAST_START_SECONDS = 1.0
FAST_INTERVAL_SECONDS = 0.01


def resident_bytes(pids: Iterable[int], proc: Path = PROC) -> int:
    total = 0
    for pid in pids:
        try:
            resident_pages = int((proc / str(pid) / "statm").read_text().split()[1])
        except (OSError, IndexError, ValueError):
            continue
        total += resident_pages * _PAGE_SIZE
    return total


def peak_resident_bytes(pid: int, proc: Path = PROC) -> int:
    """The process's own peak RSS since its exec (VmHWM), or 0 when it has exited or has no memory map."""
    try:
        status = (proc / str(pid) / "status").read_text()
    except OSError:
        return 0
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            fields = line.split()
            return int(fields[1]) * 1024 if len(fields) > 1 and fields[1].isdigit() else 0  # the kernel says kB
    return 0


class PeakMemorySampler:
    """Samples the summed RSS of a process tree in a background thread until stopped."""

    def __init__(self, root_pid: int, process_group: int | None, interval: float) -> None:
        self._root_pid = root_pid
        self._process_group = process_group
        self._interval = interval
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, name="batchctl-usage-sampler", daemon=True)
        self.peak_bytes = 0
        self.samples = 0

    def start(self) -> PeakMemorySampler:
        self._thread.start()
        return self

    def stop(self) -> int:
        self._stopped.set()
        self._thread.join(timeout=5)
        return self.peak_bytes

    def sample(self) -> None:
        """The summed RSS of the tree now, and each process's own peak so far."""
        try:
            pids = process_tree(self._root_pid, self._process_group)
            current = resident_bytes(pids)
        except OSError:
            return  # /proc unreadable: the ru_maxrss floor still holds
        largest = max((peak_resident_bytes(pid) for pid in pids), default=0)
        self.samples += 1
        self.peak_bytes = max(self.peak_bytes, current, largest)

    def sample_root(self) -> None:
        self.peak_bytes = max(self.peak_bytes, peak_resident_bytes(self._root_pid))

    def _run(self) -> None:
        started = time.monotonic()
        self.sample()
        next_full = started + self._interval
        while True:
            fast = time.monotonic() - started < FAST_START_SECONDS
            wait = min(self._interval, FAST_INTERVAL_SECONDS) if fast else next_full - time.monotonic()
            if self._stopped.wait(max(wait, 0.0)):
                return
            if time.monotonic() >= next_full:
                self.sample()
                next_full = time.monotonic() + self._interval
            else:
                self.sample_root()
