"""Resource usage of the command's process tree.

CPU time and the largest single process come from the kernel's rusage of the command (what
getrusage(RUSAGE_CHILDREN) reports in a container, where the command is the runner's only child; taken from
wait4 so other children of the calling process never count). The peak memory of the whole tree comes from
sampling /proc: the summed RSS of the command, its descendants and its process group, at a fixed interval,
with the largest single process's ru_maxrss as a floor (it catches peaks shorter than the interval).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterable
from pathlib import Path

from .proctable import PROC, process_tree

_PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")


def resident_bytes(pids: Iterable[int], proc: Path = PROC) -> int:
    total = 0
    for pid in pids:
        try:
            resident_pages = int((proc / str(pid) / "statm").read_text().split()[1])
        except (OSError, IndexError, ValueError):
            continue
        total += resident_pages * _PAGE_SIZE
    return total


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
        try:
            current = resident_bytes(process_tree(self._root_pid, self._process_group))
        except OSError:
            return  # /proc unreadable: the ru_maxrss floor still holds
        self.samples += 1
        self.peak_bytes = max(self.peak_bytes, current)

    def _run(self) -> None:
        self.sample()
        while not self._stopped.wait(self._interval):
            self.sample()
