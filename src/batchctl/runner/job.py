"""Who this job is (name, id, array index, attempt) and where its outputs go.

Outputs go to s3://<BATCHCTL_OUTPUTS_BUCKET>/<job name>/<job id>/ for a plain job and to
.../<job id>/<array index>/ for an array child, where the job id is the array's parent id (AWS gives a child
"<parent id>:<index>"). BATCHCTL_OUTPUT_PREFIX replaces s3://<bucket>/<job name>/<job id>/ as a whole; array
children still get their index appended, so children of one array never overwrite each other.

BATCHCTL_INDEX_MAP="1,3" re-runs some children of an earlier array as a new array: child i stands for original
index map[i], which is used for the output prefix and given to the command as BATCHCTL_ARRAY_INDEX. A map of one
index may run as a plain job (AWS arrays have at least two children): it then stands for that index.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from . import settings
from .errors import UsageError
from .s3url import S3Url


@dataclass(frozen=True)
class JobIdentity:
    name: str
    job_id: str
    # The index this child stands for (after BATCHCTL_INDEX_MAP); None for a plain job.
    array_index: int | None
    attempt: int | None


def identify_job(environ: Mapping[str, str], name_lookup: Callable[[str], str | None] | None = None) -> JobIdentity:
    """Who this job is. Without BATCHCTL_JOB_NAME (a job another tool submitted), `name_lookup` asks AWS for the
    name of the job's id; the name is "job" when there is no lookup, no id, or no answer."""
    raw_id = environ.get(settings.AWS_JOB_ID, "").strip()
    parent_id, _, id_suffix = raw_id.partition(":")
    name = environ.get(settings.JOB_NAME, "").strip()
    if not name and name_lookup is not None and parent_id:
        # An array's children share its name: ask about the array itself.
        name = (name_lookup(parent_id) or "").strip()
    name = name.replace("/", "_") or settings.DEFAULT_JOB_NAME
    job_id = parent_id or _fallback_job_id()
    aws_index = _optional_int(environ, settings.AWS_ARRAY_INDEX)
    if aws_index is None and id_suffix.isdigit():
        aws_index = int(id_suffix)
    index_map = parse_index_map(environ.get(settings.INDEX_MAP, ""))
    return JobIdentity(
        name=name,
        job_id=job_id,
        array_index=_original_index(aws_index, index_map),
        attempt=_optional_int(environ, settings.AWS_ATTEMPT),
    )


def parse_index_map(raw: str) -> list[int]:
    items = [item.strip() for item in raw.split(",") if item.strip()]
    if not all(item.isdigit() for item in items):
        raise UsageError(f"{settings.INDEX_MAP}={raw!r} must be comma-separated array indices, e.g. '1,3'")
    return [int(item) for item in items]


def _original_index(aws_index: int | None, index_map: list[int]) -> int | None:
    if not index_map:
        return aws_index
    if aws_index is None:
        if len(index_map) == 1:
            return index_map[0]
        raise UsageError(f"{settings.INDEX_MAP} has {len(index_map)} indices but the job is not an array child")
    if aws_index >= len(index_map):
        raise UsageError(f"array index {aws_index} is outside {settings.INDEX_MAP} ({len(index_map)} indices)")
    return index_map[aws_index]


def output_location(identity: JobIdentity, environ: Mapping[str, str]) -> S3Url | None:
    """The S3 prefix for outputs and the usage report, or None when no bucket is configured."""
    override = environ.get(settings.OUTPUT_PREFIX, "").strip()
    bucket = environ.get(settings.OUTPUTS_BUCKET, "").strip().removeprefix("s3://").strip("/")
    if override:
        base = S3Url.parse(override, what=settings.OUTPUT_PREFIX).as_prefix()
    elif bucket:
        base = S3Url(bucket, f"{identity.name}/{identity.job_id}/")
    else:
        return None
    return base if identity.array_index is None else base.join(f"{identity.array_index}/")


def command_environment(
    environ: Mapping[str, str], identity: JobIdentity, workspace: settings.Workspace, location: S3Url | None
) -> dict[str, str]:
    """The command's environment: the runner's own, plus where things are and which child this is."""
    env = dict(environ)
    env[settings.INPUTS_DIR] = str(workspace.inputs)
    env[settings.OUTPUTS_DIR] = str(workspace.outputs)
    if identity.array_index is not None:
        env[settings.ARRAY_INDEX] = str(identity.array_index)
    if location is not None:
        env[settings.OUTPUT_URL] = str(location)
    return env


def _optional_int(environ: Mapping[str, str], name: str) -> int | None:
    raw = environ.get(name, "").strip()
    if not raw:
        return None
    if not raw.isdigit():
        raise UsageError(f"{name}={raw!r} is not a non-negative integer")
    return int(raw)


def _fallback_job_id() -> str:
    # Outside AWS Batch (a plain `docker run`) there is no job id: a timestamp keeps runs apart.
    return "no-job-id-" + datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
