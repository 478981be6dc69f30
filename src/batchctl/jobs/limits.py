"""Limits AWS Batch enforces on one SubmitJob request, checked before any job of a file is submitted.

Each error names the job and the field it comes from, e.g.
`jobs.yaml:7: job "big": command: the SubmitJob request is 2.0 MiB; AWS Batch accepts at most 30 KiB`.

- SubmitJob payload at most 30 KiB, at most 20 dependencies, array size 2-10 000:
  https://docs.aws.amazon.com/batch/latest/userguide/service_limits.html
- A job name of at most 128 letters, digits, hyphens and underscores:
  https://docs.aws.amazon.com/batch/latest/APIReference/API_SubmitJob.html
- At most 50 tags, keys of at most 128 characters, values of at most 256, no `aws:` prefix:
  https://docs.aws.amazon.com/batch/latest/userguide/tag-restrictions.html
The array size and the number of dependencies are also checked by the job file's schema (jobs/models.py), where
they get the file's line; they are checked here again on the request itself, which is what AWS sees.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from batchctl.errors import ConfigError

MAX_PAYLOAD_BYTES = 30 * 1024
MAX_DEPENDENCIES = 20
MIN_ARRAY_SIZE = 2
MAX_ARRAY_SIZE = 10_000
MAX_JOB_NAME = 128
MAX_TAGS = 50
MAX_TAG_KEY = 128
MAX_TAG_VALUE = 256
RESERVED_TAG_PREFIX = "aws:"

Locate = Callable[[str], str]  # field name in the job file -> `jobs.yaml:7: job "x": field`


def check_request(request: dict[str, Any], locate: Locate) -> None:
    """Raise ConfigError for the first limit `request` breaks, located at the job file field it comes from."""
    name = str(request.get("jobName", ""))
    if len(name) > MAX_JOB_NAME:
        raise ConfigError(
            f"{locate('name')}: the job name is {len(name)} characters; AWS Batch allows {MAX_JOB_NAME}",
            hint="shorten the name in the file",
        )
    size = request.get("arrayProperties", {}).get("size")
    if size is not None and not MIN_ARRAY_SIZE <= int(size) <= MAX_ARRAY_SIZE:
        raise ConfigError(
            f"{locate('array_size')}: array size {size}; AWS Batch accepts {MIN_ARRAY_SIZE} to {MAX_ARRAY_SIZE:,}",
            hint="split the work into several array jobs",
        )
    dependencies = request.get("dependsOn", [])
    if len(dependencies) > MAX_DEPENDENCIES:
        raise ConfigError(
            f"{locate('depends_on')}: {len(dependencies)} dependencies; AWS Batch allows {MAX_DEPENDENCIES} per job",
            hint="make an array job of the jobs it waits for, and depend on that one job",
        )
    _check_tags(request.get("tags", {}), locate)
    _check_payload(request, locate)


def _check_tags(tags: dict[str, str], locate: Locate) -> None:
    if len(tags) > MAX_TAGS:
        raise ConfigError(
            f"{locate('tags')}: {len(tags)} tags with those batchctl adds; AWS Batch allows {MAX_TAGS}",
            hint="batchctl adds 3 (submitter, batchctl:job, batchctl:submission): keep the file's at 47 or fewer",
        )
    for key, value in tags.items():
        if len(key) > MAX_TAG_KEY:
            raise ConfigError(
                f"{locate('tags')}: tag key {key[:40]!r}... is {len(key)} characters; AWS allows {MAX_TAG_KEY}",
                hint="shorten the key",
            )
        if len(value) > MAX_TAG_VALUE:
            raise ConfigError(
                f"{locate('tags')}: tag {key!r} has a value of {len(value)} characters; AWS allows {MAX_TAG_VALUE}",
                hint="shorten the value, or pass large values as an input file",
            )
        if key.lower().startswith(RESERVED_TAG_PREFIX) or value.lower().startswith(RESERVED_TAG_PREFIX):
            raise ConfigError(
                f"{locate('tags')}: tag {key!r}: the prefix 'aws:' is reserved for AWS", hint="rename the tag"
            )


def payload_bytes(request: dict[str, Any]) -> int:
    """Size of the request as JSON, the way the SDK sends it."""
    return len(json.dumps(request, separators=(",", ":"), ensure_ascii=False).encode("utf-8"))


def _check_payload(request: dict[str, Any], locate: Locate) -> None:
    total = payload_bytes(request)
    if total <= MAX_PAYLOAD_BYTES:
        return
    overrides = request.get("containerOverrides", {})
    parts = {
        "command": payload_bytes({"command": overrides.get("command", [])}),
        "environment": payload_bytes({"environment": overrides.get("environment", [])}),
        "tags": payload_bytes({"tags": request.get("tags", {})}),
    }
    field, largest = max(parts.items(), key=lambda item: item[1])
    raise ConfigError(
        f"{locate(field)}: the SubmitJob request is {_size(total)} ({field}: {_size(largest)}); "
        f"AWS Batch accepts at most {_size(MAX_PAYLOAD_BYTES)}",
        hint="put large data in a file and pass it under `inputs:` (staged from S3) instead of the "
        "command or environment",
    )


def _size(count: int) -> str:
    if count >= 1024 * 1024:
        return f"{count / 1024 / 1024:.1f} MiB"
    if count >= 1024:
        return f"{count / 1024:.1f} KiB" if count % 1024 else f"{count // 1024} KiB"
    return f"{count} bytes"
