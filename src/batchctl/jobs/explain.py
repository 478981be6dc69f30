"""`batchctl submit FILE --explain`: a job file in batchctl's own form, to migrate to when one likes.

The form is that of the file as rendered (variables filled in), as a mapping with `jobs:`, batchctl's keys
(`environment`, `vcpus`/`memory`/`gpus`, `depends_on: [{name: ...}]`) and the queues and definitions as batchctl.yaml
names them. Reading it back gives the same jobs: a test checks it.
"""

from __future__ import annotations

from typing import Any

import yaml

from batchctl.jobs.jobfile import JobFile
from batchctl.jobs.models import Job
from batchctl.jobs.requests import canonical_job
from batchctl.jobs.resolve import Resolver


def batchctl_form(job_file: JobFile, resolver: Resolver) -> str:
    jobs = [_job(canonical_job(job_file, index, resolver)) for index in range(len(job_file.jobs))]
    document: dict[str, Any] = {"tags": dict(job_file.tags)} if job_file.tags else {}
    document["jobs"] = jobs
    header = f"# {job_file.source} in batchctl's form (as rendered; see `batchctl submit --help`)\n"
    return header + yaml.dump(document, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=120)


class _Dumper(yaml.SafeDumper):
    """Lists and mappings of plain values on one line (`command: [python3, hello.py]`), the rest in blocks."""

    def represent_sequence(self, tag: str, sequence: Any, flow_style: bool | None = None) -> yaml.SequenceNode:
        return super().represent_sequence(tag, sequence, flow_style=_plain(sequence))

    def represent_mapping(self, tag: str, mapping: Any, flow_style: bool | None = None) -> yaml.MappingNode:
        values = mapping.values() if isinstance(mapping, dict) else []
        return super().represent_mapping(tag, mapping, flow_style=_plain(values))


def _plain(values: Any) -> bool:
    return all(not isinstance(value, list | dict) for value in values)


def _job(job: Job) -> dict[str, Any]:
    data = job.model_dump(mode="json", exclude_defaults=True)
    if job.vcpus is not None and job.vcpus.is_integer():
        data["vcpus"] = int(job.vcpus)
    if job.depends_on:
        data["depends_on"] = [
            dependency.name if dependency.type is None else dependency.model_dump(mode="json", exclude_none=True)
            for dependency in job.depends_on
        ]
    return data
