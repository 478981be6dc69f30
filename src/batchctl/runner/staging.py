"""Input staging: BATCHCTL_INPUT_<NAME>=s3://... is downloaded into <workspace>/inputs/<name lower-cased>/.

- An object (s3://bucket/data/file.csv) becomes inputs/<name>/file.csv.
- A prefix (s3://bucket/data/, ending with "/") is mirrored: s3://bucket/data/a/b.txt becomes inputs/<name>/a/b.txt.
- A URL without a trailing "/" that names no object but has objects under "<key>/" is taken as that prefix.
Nothing found at a URL is an error: a job should not run on missing inputs.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from . import contract
from .errors import RunnerError, UsageError
from .s3client import describe_error
from .s3url import S3Url

_MISSING_OBJECT_CODES = {"404", "NoSuchKey", "NotFound"}


@dataclass(frozen=True)
class InputSpec:
    name: str
    source: S3Url
    directory: Path


@dataclass(frozen=True)
class StagedInput:
    spec: InputSpec
    files: int
    size: int


def input_specs(environ: Mapping[str, str], inputs_dir: Path) -> list[InputSpec]:
    specs = []
    for variable in sorted(environ):
        if not variable.startswith(contract.INPUT_PREFIX):
            continue
        name = variable[len(contract.INPUT_PREFIX) :].lower()
        if not name:
            raise UsageError(f"{variable} has no input name after {contract.INPUT_PREFIX}")
        source = S3Url.parse(environ[variable].strip(), what=variable)
        specs.append(InputSpec(name, source, inputs_dir / name))
    return specs


def stage_inputs(client: Any, specs: list[InputSpec]) -> list[StagedInput]:
    return [_stage(client, spec) for spec in specs]


def _stage(client: Any, spec: InputSpec) -> StagedInput:
    try:
        plan = list(_download_plan(client, spec))
        if not plan:
            raise RunnerError(f"input {spec.name}: nothing found at {spec.source}")
        size = 0
        for key, target, object_size in plan:
            target.parent.mkdir(parents=True, exist_ok=True)
            client.download_file(spec.source.bucket, key, str(target))
            size += object_size
    except RunnerError:
        raise
    except Exception as error:  # botocore, boto3 transfer and OS errors all end the staging the same way
        raise RunnerError(f"input {spec.name}: could not download {spec.source}: {describe_error(error)}") from error
    return StagedInput(spec, len(plan), size)


def _download_plan(client: Any, spec: InputSpec) -> Iterator[tuple[str, Path, int]]:
    """(key, local path, size) of every object to download."""
    source = spec.source
    if not source.is_prefix:
        size = _object_size(client, source)
        if size is not None:
            yield source.key, spec.directory / PurePosixPath(source.key).name, size
            return
        source = source.as_prefix()
    for key, size in _list_objects(client, source):
        relative = key[len(source.key) :]
        if not relative or relative.endswith("/"):
            continue  # "directory" marker objects
        yield key, spec.directory / _safe_relative_path(relative, key), size


def _object_size(client: Any, url: S3Url) -> int | None:
    from botocore.exceptions import ClientError

    try:
        response = client.head_object(Bucket=url.bucket, Key=url.key)
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") in _MISSING_OBJECT_CODES:
            return None
        raise
    return int(response.get("ContentLength", 0))


def _list_objects(client: Any, prefix: S3Url) -> Iterator[tuple[str, int]]:
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=prefix.bucket, Prefix=prefix.key):
        for item in page.get("Contents", []):
            yield item["Key"], int(item.get("Size", 0))


def _safe_relative_path(relative: str, key: str) -> PurePosixPath:
    # Keys are free text: one with ".." or a leading "/" must not write outside the input's directory.
    path = PurePosixPath(relative)
    if path.is_absolute() or ".." in path.parts:
        raise RunnerError(f"refusing to stage key {key!r}: it would leave the input directory")
    return path
