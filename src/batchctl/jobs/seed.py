"""Job files of the Terraform project batchctl replaces, read as they are.

Its job files are a top-level YAML list of jobs with these keys, mapped here onto batchctl's before validation:
  (the list itself)                          -> `jobs:` (batchctl reads a list of its own jobs the same way)
  envvars: {A: "1"}                          -> environment: {A: "1"}
  resources: {VCPU: 2, MEMORY: 4096, GPU: 1} -> vcpus: 2, memory: 4096, gpus: 1 (also SubmitJob's list form,
                                                [{type: VCPU, value: "2"}, ...])
  depends_on: [{jobId: prepare, type: N_TO_N}] -> depends_on: [{name: prepare, type: N_TO_N}] (jobId names a job
                                                of the file, as the old tool read it)
  timeout: {attemptDurationSeconds: 600}     -> timeout: 600 (SubmitJob's shape; a number is taken as it is)
`name`, `command`, `array_size`, `parameters`, `tags` and `depends_on: [{type: SEQUENTIAL}]` are batchctl keys too.
`queue` and `definition` may be full AWS names: batchctl.jobs.resolve maps them onto the cluster's own.

Locations follow the keys: an error in `envvars` names the line of `envvars`.
"""

from __future__ import annotations

from typing import Any

from batchctl.config.loader import Loc
from batchctl.config.suggest import did_you_mean
from batchctl.errors import ConfigError

RESOURCE_FIELDS = {"VCPU": "vcpus", "MEMORY": "memory", "GPU": "gpus"}
_RENAMED = {"envvars": "environment"}


def to_batchctl(data: Any, lines: dict[Loc, int], source: str) -> tuple[Any, dict[Loc, int]]:
    """The document as batchctl's job file: a list becomes `jobs:`, seed keys become batchctl's. Anything else is
    left for validation to report."""
    if isinstance(data, list):
        data = {"jobs": data}
        lines = {("jobs", *loc): line for loc, line in lines.items()}
    jobs = data.get("jobs") if isinstance(data, dict) else None
    if isinstance(jobs, list):
        for index, job in enumerate(jobs):
            if isinstance(job, dict):
                jobs[index] = _job(job, ("jobs", index), lines, source)
    return data, lines


def _job(job: dict[Any, Any], at: Loc, lines: dict[Loc, int], source: str) -> dict[Any, Any]:
    where = _Where(job, at, lines, source)
    for old, new in _RENAMED.items():
        if old in job:
            where.conflict(job, old, new)
            job = _rename(job, old, {new: job[old]})
            _move(lines, (*at, old), (*at, new))
    if "resources" in job:
        for field in RESOURCE_FIELDS.values():
            where.conflict(job, "resources", field)
        fields = _resources(job["resources"], where)
        job = _rename(job, "resources", {field: amount for field, (_, amount) in fields.items()})
        for field, (kind, _) in fields.items():
            line = lines.get((*at, "resources", kind)) or lines.get((*at, "resources"))
            if line:
                lines[(*at, field)] = line
    if isinstance(job.get("timeout"), dict):
        job["timeout"] = _timeout(job["timeout"], where)
    if isinstance(job.get("depends_on"), list):
        job["depends_on"] = [
            _dependency(item, (*at, "depends_on", position), lines, where)
            for position, item in enumerate(job["depends_on"])
        ]
    return job


class _Where:
    """Located errors for one job of the file."""

    def __init__(self, job: dict[Any, Any], at: Loc, lines: dict[Loc, int], source: str) -> None:
        self.name = job.get("name", f"#{at[-1]}")
        self.at = at
        self.lines = lines
        self.source = source

    def error(self, key: str, message: str, hint: str) -> ConfigError:
        line = self.lines.get((*self.at, key)) or self.lines.get(self.at)
        where = f"{self.source}:{line}" if line else self.source
        return ConfigError(f'{where}: job "{self.name}": {key}: {message}', hint=hint)

    def conflict(self, job: dict[Any, Any], seed_key: str, key: str) -> None:
        if key in job:
            raise self.error(seed_key, f"{key} is given too", hint=f"give {key} or {seed_key}, not both")


def _rename(job: dict[Any, Any], old: str, new: dict[str, Any]) -> dict[Any, Any]:
    """The job with `old` replaced by `new`'s keys in its place (the order of keys stays the file's)."""
    result: dict[Any, Any] = {}
    for key, value in job.items():
        if key == old:
            result.update(new)
        else:
            result[key] = value
    return result


def _move(lines: dict[Loc, int], old: Loc, new: Loc) -> None:
    for loc in [loc for loc in lines if loc[: len(old)] == old]:
        lines[(*new, *loc[len(old) :])] = lines.pop(loc)


def _resources(value: Any, where: _Where) -> dict[str, tuple[Any, Any]]:
    """`{VCPU: 2, MEMORY: 4096}` or `[{type: VCPU, value: "2"}]` -> {vcpus: (VCPU, 2), memory: (MEMORY, 4096)}."""
    if isinstance(value, list) and all(isinstance(item, dict) and set(item) == {"type", "value"} for item in value):
        value = {item["type"]: item["value"] for item in value}
    if not isinstance(value, dict):
        raise where.error(
            "resources", "expected a mapping such as {VCPU: 2, MEMORY: 4096, GPU: 1}", hint="or use vcpus/memory/gpus"
        )
    fields: dict[str, tuple[Any, Any]] = {}
    for kind, amount in value.items():
        field = RESOURCE_FIELDS.get(str(kind).upper())
        if field is None:
            raise where.error(
                "resources",
                f"unknown resource {kind!r}{did_you_mean(str(kind).upper(), list(RESOURCE_FIELDS))}",
                hint="AWS Batch's resource types are " + ", ".join(RESOURCE_FIELDS) + " (MEMORY in MiB)",
            )
        fields[field] = (kind, amount)
    return fields


def _timeout(value: dict[Any, Any], where: _Where) -> Any:
    if set(value) != {"attemptDurationSeconds"}:
        raise where.error(
            "timeout", "expected seconds, or {attemptDurationSeconds: N}", hint="e.g. timeout: 3600 (per attempt)"
        )
    return value["attemptDurationSeconds"]


def _dependency(item: Any, at: Loc, lines: dict[Loc, int], where: _Where) -> Any:
    if not isinstance(item, dict) or "jobId" not in item:
        return item
    if "name" in item:
        raise where.error("depends_on", "a dependency has both jobId and name", hint="give one: the name of a job")
    _move(lines, (*at, "jobId"), (*at, "name"))
    return _rename(item, "jobId", {"name": item["jobId"]})
