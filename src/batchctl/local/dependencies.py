"""Job dependencies as AWS Batch resolves them, array types included.

- plain ``{"jobId": X}``: after X succeeded; for an array X, after all its children (the parent's status says so);
- ``{"jobId": X, "type": "N_TO_N"}`` on an array child i: after child i of X (X of the same size);
- ``{"type": "SEQUENTIAL"}`` (no job id) on an array child i > 0: after child i - 1 of the same array.

Children of an array share the parent's ``dependsOn``; the resolution happens per child. A dependency that failed
fails its dependents before they start, with the reason AWS gives.
(https://docs.aws.amazon.com/batch/latest/userguide/job_dependencies.html)
"""

from __future__ import annotations

from enum import Enum
from typing import Any

from batchctl.local import behaviours
from batchctl.local.job_state import FAILED, SUCCEEDED

DEPENDENCY_FAILED_REASON = "Dependent Job failed"

SEQUENTIAL = "SEQUENTIAL"
N_TO_N = "N_TO_N"


class Resolution(Enum):
    WAIT = "wait"
    MET = "met"
    FAILED = "failed"


def _array_index(job: Any) -> int | None:
    if "index" not in job.array_properties or ":" not in job.job_id:
        return None
    return int(job.array_properties["index"])


def dependency_ids(job: Any) -> list[str]:
    """The ids of the jobs ``job`` itself waits for."""
    if not behaviours.SWITCHES.on(behaviours.DEPENDENCY_TYPES):
        return [str(dependency["jobId"]) for dependency in job.depends_on or []]  # moto: KeyError for SEQUENTIAL
    index = _array_index(job)
    parent_id = job.job_id.rsplit(":", 1)[0]
    ids: list[str] = []
    for dependency in job.depends_on or []:
        kind = str(dependency.get("type") or "").upper()
        target = dependency.get("jobId")
        if kind == SEQUENTIAL:
            if index:
                ids.append(f"{parent_id}:{index - 1}")
        elif target and kind == N_TO_N and index is not None and f"{target}:{index}" in job.all_jobs:
            ids.append(f"{target}:{index}")
        elif target:
            ids.append(str(target))
    return ids


def resolve(job: Any) -> Resolution:
    # A dependency the emulator does not know (AWS would have refused the submission) does not block.
    statuses = [job.all_jobs[job_id].status for job_id in dependency_ids(job) if job_id in job.all_jobs]
    if FAILED in statuses:
        return Resolution.FAILED
    if all(status == SUCCEEDED for status in statuses):
        return Resolution.MET
    return Resolution.WAIT
