"""Load a job file: render the template, read the YAML, validate it, check the dependency graph.

A job file is a mapping with `jobs:` (and `tags:`), or a list of jobs; the Terraform project's keys are read too
(seed.py).

Every problem names the file, the line, the job and the field, and suggests a fix where it can:
`jobs.yaml:7: job "hello": memroy: unknown key (did you mean "memory"?)`. Lines are those of the rendered
text; when rendering changed the number of lines the file is called `jobs.yaml (rendered)` (see --dry-run).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from batchctl.config.loader import Loc, dotted, parse_yaml, validate_document
from batchctl.errors import ConfigError
from batchctl.jobs import graph, seed, template
from batchctl.jobs.models import Job, JobFileModel

_JOB_LOCATION = re.compile(r"\bjobs\[(\d+)\](\.?)")


@dataclass(frozen=True)
class JobFile:
    source: str
    rendered: str
    jobs: list[Job]
    tags: dict[str, str]
    order: list[int]  # submission order: indices into `jobs`
    lines: dict[Loc, int] = field(default_factory=dict, repr=False)

    def locate(self, index: int, *path: str | int) -> str:
        """`jobs.yaml:12: job "hello": depends_on[0]` — where a job's field is, for error messages."""
        return _locate(self.source, self.lines, self.jobs[index].name, index, path)

    def ordered(self) -> list[Job]:
        return [self.jobs[index] for index in self.order]


def load_job_file(path: Path, variables: Mapping[str, str], builtins: template.Builtins | None = None) -> JobFile:
    """Render (with the submit's own variables, then `variables`, which win) and read a job file."""
    text = template.read_template(path)
    if builtins is not None:
        variables = {**builtins.variables(text), **variables}
    rendered = template.render(text, variables, str(path))
    source = str(path) if rendered.count("\n") == text.count("\n") else f"{path} (rendered)"
    return parse_job_file(rendered, source)


def parse_job_file(rendered: str, source: str) -> JobFile:
    data, lines = parse_yaml(
        rendered,
        source,
        hint="check indentation and quoting on that line (and what the template rendered there: --dry-run)",
    )
    data, lines = seed.to_batchctl(data, lines, source)
    try:
        model = validate_document(JobFileModel, data, lines, source)
    except ConfigError as exc:
        names = _job_names(data)
        raise ConfigError(
            _name_jobs(exc.message, names), hint=exc.hint, details=[_name_jobs(d, names) for d in exc.details]
        ) from None
    jobs = list(model.jobs)

    def locate(index: int, *path: str | int) -> str:
        return _locate(source, lines, jobs[index].name, index, path)

    graph.check_names(jobs, locate)
    graph.check_dependencies(jobs, locate)
    order = graph.submission_order(jobs, source)
    return JobFile(source, rendered, jobs, dict(model.tags), order, lines)


def _locate(source: str, lines: dict[Loc, int], name: str, index: int, path: tuple[str | int, ...]) -> str:
    loc: Loc = ("jobs", index, *path)
    line = next((lines[loc[:end]] for end in range(len(loc), 0, -1) if loc[:end] in lines), None)
    where = f"{source}:{line}" if line else source
    return f'{where}: job "{name}"' + (f": {dotted(path)}" if path else "")


def _job_names(data: Any) -> dict[int, str]:
    jobs = data.get("jobs") if isinstance(data, dict) else None
    if not isinstance(jobs, list):
        return {}
    return {
        index: job["name"]
        for index, job in enumerate(jobs)
        if isinstance(job, dict) and isinstance(job.get("name"), str | int)
    }


def _name_jobs(message: str, names: dict[int, str]) -> str:
    """`jobs[0].memroy: ...` -> `job "hello": memroy: ...` (people know their jobs by name, not position)."""

    def replace(match: re.Match[str]) -> str:
        index = int(match.group(1))
        if index not in names:
            return match.group(0)
        return f'job "{names[index]}"' + (": " if match.group(2) else "")

    return _JOB_LOCATION.sub(replace, message)
