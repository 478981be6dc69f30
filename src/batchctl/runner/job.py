"""Who this job is (name, id, array index, attempt) and where its outputs go: the rules are in `contract`."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from . import contract, settings
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
    raw_id = environ.get(contract.AWS_JOB_ID, "").strip()
    parent_id, _, id_suffix = raw_id.partition(":")
    name = environ.get(contract.JOB_NAME, "").strip()
    if not name and name_lookup is not None and parent_id:
        # An array's children share its name: ask about the array itself.
        name = (name_lookup(parent_id) or "").strip()
    name = contract.job_name_segment(name)
    job_id = parent_id or _fallback_job_id()
    aws_index = _optional_int(environ, contract.AWS_ARRAY_INDEX)
    if aws_index is None and id_suffix.isdigit():
        aws_index = int(id_suffix)
    try:
        array_index = contract.original_index(aws_index, contract.parse_index_map(environ.get(contract.INDEX_MAP, "")))
    except contract.IndexMapError as error:
        raise UsageError(str(error)) from None
    return JobIdentity(
        name=name, job_id=job_id, array_index=array_index, attempt=_optional_int(environ, contract.AWS_ATTEMPT)
    )


def output_location(identity: JobIdentity, environ: Mapping[str, str]) -> S3Url | None:
    """The S3 prefix for outputs and the usage report, or None when no bucket is configured."""
    override = environ.get(contract.OUTPUT_PREFIX, "").strip()
    base = contract.output_base(override, environ.get(contract.OUTPUTS_BUCKET, ""), identity.name, identity.job_id)
    if base is None:
        return None
    if override:
        S3Url.parse(override, what=contract.OUTPUT_PREFIX)  # a clear error for a value that is no s3:// URL
    return S3Url.parse(contract.child_prefix(base, identity.array_index), what=contract.OUTPUT_PREFIX)


def command_environment(
    environ: Mapping[str, str], identity: JobIdentity, workspace: settings.Workspace, location: S3Url | None
) -> dict[str, str]:
    """The command's environment: the runner's own, plus where things are and which child this is."""
    env = dict(environ)
    env[contract.INPUTS_DIR] = str(workspace.inputs)
    env[contract.OUTPUTS_DIR] = str(workspace.outputs)
    if identity.array_index is not None:
        env[contract.ARRAY_INDEX] = str(identity.array_index)
    if location is not None:
        env[contract.OUTPUT_URL] = str(location)
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
