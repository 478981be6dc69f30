"""Output upload: every file under <workspace>/outputs goes to the job's S3 prefix, keeping its relative path;
the usage report goes to <prefix>_batchctl/usage.json.

Uploading goes on after a file fails (a stopped job should save what it can); the failures are then reported
together as one runner error.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import RunnerError
from .s3client import describe_error
from .s3url import S3Url

USAGE_REPORT_KEY = "_batchctl/usage.json"


@dataclass(frozen=True)
class UploadResult:
    files: int
    size: int


def upload_outputs(client: Any, outputs_dir: Path, location: S3Url) -> UploadResult:
    uploaded = size = 0
    failures: list[str] = []
    for path, relative in _output_files(outputs_dir):
        target = location.join(relative)
        try:
            client.upload_file(str(path), target.bucket, target.key)
        except Exception as error:  # botocore, boto3 transfer and OS errors: report and carry on
            failures.append(f"{relative}: {describe_error(error)}")
            continue
        uploaded += 1
        size += path.stat().st_size
    if failures:
        shown = "; ".join(failures[:3]) + (f"; and {len(failures) - 3} more" if len(failures) > 3 else "")
        raise RunnerError(f"{len(failures)} output file(s) were not uploaded to {location}: {shown}")
    return UploadResult(uploaded, size)


def upload_usage_report(client: Any, location: S3Url, report: dict[str, Any]) -> S3Url:
    target = location.join(USAGE_REPORT_KEY)
    body = json.dumps(report, indent=2, sort_keys=True).encode() + b"\n"
    try:
        client.put_object(Bucket=target.bucket, Key=target.key, Body=body, ContentType="application/json")
    except Exception as error:
        raise RunnerError(f"the usage report was not uploaded to {target}: {describe_error(error)}") from error
    return target


def _output_files(outputs_dir: Path) -> Iterator[tuple[Path, str]]:
    """Regular files (symlinks followed) with their "/"-separated path relative to outputs_dir, in stable order."""
    if not outputs_dir.is_dir():
        return
    for directory, subdirectories, files in os.walk(outputs_dir):
        subdirectories.sort()
        for name in sorted(files):
            path = Path(directory) / name
            if path.is_file():
                yield path, path.relative_to(outputs_dir).as_posix()
