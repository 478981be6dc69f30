"""The dependencies between a file's jobs: checked, then put in the order jobs must be submitted.

A job can only depend on jobs already submitted (AWS takes job ids), so jobs go in topological order; jobs
that do not depend on each other keep the file's order.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable

from batchctl.config.suggest import did_you_mean
from batchctl.errors import ConfigError
from batchctl.jobs.models import DependencyType, Job

# (job index, field path...) -> "file:line: job "name": field"
Locate = Callable[..., str]


def check_names(jobs: list[Job], locate: Locate) -> None:
    first: dict[str, int] = {}
    for index, job in enumerate(jobs):
        if job.name in first:
            raise ConfigError(
                f"{locate(index, 'name')}: another job is named {job.name!r} ({locate(first[job.name])})",
                hint="job names must be unique within a file",
            )
        first[job.name] = index


def check_dependencies(jobs: list[Job], locate: Locate) -> None:
    by_name = {job.name: job for job in jobs}
    for index, job in enumerate(jobs):
        for position, dependency in enumerate(job.depends_on):
            where = locate(index, "depends_on", position)
            if dependency.type == DependencyType.SEQUENTIAL:
                if dependency.name is not None:
                    raise ConfigError(
                        f"{where}: SEQUENTIAL takes no name: it runs this array's own children in order",
                        hint="write `{type: SEQUENTIAL}`, and `{name: X}` separately to wait for job X",
                    )
                if not job.is_array:
                    raise ConfigError(f"{where}: SEQUENTIAL needs an array job", hint="set array_size (2 or more)")
                continue
            if dependency.name is None:
                raise ConfigError(f"{where}: name the job this one depends on", hint="e.g. `{name: prepare}`")
            target = by_name.get(dependency.name)
            if target is None:
                others = [name for name in by_name if name != job.name]
                raise ConfigError(
                    f"{where}: no job named {dependency.name!r} in this file{did_you_mean(dependency.name, others)}",
                    hint=f"jobs in this file: {', '.join(others) or '(none other)'}",
                )
            if target is job:
                raise ConfigError(f"{where}: job {job.name!r} depends on itself")
            if dependency.type == DependencyType.N_TO_N and (
                job.array_size is None or job.array_size != target.array_size
            ):
                raise ConfigError(
                    f"{where}: N_TO_N needs two arrays of the same size "
                    f"({job.name}: {_size(job)}, {target.name}: {_size(target)})",
                    hint="give both jobs the same array_size, or drop `type: N_TO_N` to wait for the whole job",
                )


def submission_order(jobs: list[Job], source: str) -> list[int]:
    """Indices of `jobs` so that every job comes after the jobs it depends on; a cycle is an error."""
    index_of = {job.name: index for index, job in enumerate(jobs)}
    needs = [{index_of[d.name] for d in job.depends_on if d.name is not None} for job in jobs]
    waiting_on = [len(needed) for needed in needs]
    needed_by: list[list[int]] = [[] for _ in jobs]
    for index, needed in enumerate(needs):
        for other in needed:
            needed_by[other].append(index)
    ready = [index for index, count in enumerate(waiting_on) if count == 0]
    heapq.heapify(ready)
    order: list[int] = []
    while ready:
        index = heapq.heappop(ready)  # the smallest ready index keeps the file's order where it can
        order.append(index)
        for dependent in needed_by[index]:
            waiting_on[dependent] -= 1
            if waiting_on[dependent] == 0:
                heapq.heappush(ready, dependent)
    if len(order) < len(jobs):
        cycle = _a_cycle(needs, placed=set(order))
        raise ConfigError(
            f"{source}: dependency cycle: {' -> '.join(jobs[i].name for i in cycle)}",
            hint="remove one of these depends_on entries: jobs in a cycle could never start",
        )
    return order


def _a_cycle(needs: list[set[int]], placed: set[int]) -> list[int]:
    """Every job left unplaced waits on another unplaced job: following those links must come round."""
    current = min(index for index in range(len(needs)) if index not in placed)
    path: list[int] = []
    while current not in path:
        path.append(current)
        current = min(needed for needed in needs[current] if needed not in placed)
    return [*path[path.index(current) :], current]


def _size(job: Job) -> str:
    return f"array of {job.array_size}" if job.array_size else "not an array"
