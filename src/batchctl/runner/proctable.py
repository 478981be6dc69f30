"""Processes as /proc shows them: a command's process tree and the members of its process group."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

PROC = Path("/proc")


@dataclass(frozen=True)
class ProcessInfo:
    parent: int
    group: int
    state: str  # "R", "S", "Z" (zombie: exited, not yet reaped), ...


def process_table(proc: Path = PROC) -> dict[int, ProcessInfo]:
    """pid -> ProcessInfo for every process visible in /proc."""
    table: dict[int, ProcessInfo] = {}
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:  # the process exited while we looked
            continue
        # Fields after the command name, which is in parentheses and may itself contain spaces or ")".
        fields = stat[stat.rfind(")") + 2 :].split()
        table[int(entry.name)] = ProcessInfo(parent=int(fields[1]), group=int(fields[2]), state=fields[0])
    return table


def process_tree(root_pid: int, process_group: int | None = None, proc: Path = PROC) -> set[int]:
    """The root, its descendants and (when given) the members of its process group, which includes
    orphaned grandchildren that were re-parented elsewhere."""
    table = process_table(proc)
    children: dict[int, list[int]] = {}
    for pid, info in table.items():
        children.setdefault(info.parent, []).append(pid)
    tree = {root_pid} if root_pid in table else set()
    if process_group is not None:
        tree |= {pid for pid, info in table.items() if info.group == process_group}
    pending = list(tree)
    while pending:
        for child in children.get(pending.pop(), []):
            if child not in tree:
                tree.add(child)
                pending.append(child)
    return tree


def live_group_members(process_group: int, proc: Path = PROC) -> set[int]:
    """Members of the group that have not exited (zombies only wait to be reaped)."""
    return {pid for pid, info in process_table(proc).items() if info.group == process_group and info.state != "Z"}
