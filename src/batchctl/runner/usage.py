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

_PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")
_PROC = Path("/proc")


def _process_table(proc: Path) -> dict[int, tuple[int, int]]:
    """pid -> (parent pid, process group) for every process visible in /proc."""
    table: dict[int, tuple[int, int]] = {}
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:  # the process exited while we looked
            continue
        # Fields after the command name, which is in parentheses and may itself contain spaces or ")".
        fields = stat[stat.rfind(")") + 2 :].split()
        table[int(entry.name)] = (int(fields[1]), int(fields[2]))
    return table


def process_tree(root_pid: int, process_group: int | None = None, proc: Path = _PROC) -> set[int]:
    """The root, its descendants and (when given) the members of its process group, which includes
    orphaned grandchildren that were re-parented elsewhere."""
    table = _process_table(proc)
    children: dict[int, list[int]] = {}
    for pid, (parent, _group) in table.items():
        children.setdefault(parent, []).append(pid)
    tree = {root_pid} if root_pid in table else set()
    if process_group is not None:
        tree |= {pid for pid, (_parent, group) in table.items() if group == process_group}
    pending = list(tree)
    while pending:
        for child in children.get(pending.pop(), []):
            if child not in tree:
                tree.add(child)
                pending.append(child)
    return tree


def resident_bytes(pids: Iterable[int], proc: Path = _PROC) -> int:
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
