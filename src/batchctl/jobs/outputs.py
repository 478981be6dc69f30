"""`batchctl outputs JOB [--index N] [--download DIR]`: the files a job's runner uploaded to S3.

The runner puts them under s3://<outputs bucket>/<job name>/<job id>/ (array children: .../<parent id>/<index>/)
with its usage report at _batchctl/usage.json. For an array parent every child's files are listed, each under
its index; --index picks one child.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import Any

from batchctl.aws.batch import Batch
from batchctl.aws.s3 import S3
from batchctl.errors import BatchctlError
from batchctl.jobs.lookups import describe_job, output_url
from batchctl.jobs.resolve import Resolver


@dataclass(frozen=True)
class OutputFile:
    key: str
    relative: str  # path below the job's prefix (for an array parent: `<index>/...`)
    size: int
    modified: datetime | None


@dataclass(frozen=True)
class OutputListing:
    job_id: str
    url: str  # s3://bucket/prefix/
    files: list[OutputFile]
    downloaded_to: str | None = None


def list_outputs(
    batch: Batch, s3_client: Any, resolver: Resolver, job_id: str, target: str, index: int | None = None
) -> OutputListing:
    job = describe_job(batch, job_id, target)
    if index is not None and not job.is_array_parent:
        raise BatchctlError(f"job {job_id} is not an array job", hint="drop --index")
    if index is not None and not 0 <= index < (job.array_size or 0):
        raise BatchctlError(
            f"--index {index} is out of range: job {job_id} has children 0..{(job.array_size or 0) - 1}"
        )
    url = output_url(job, resolver, index)
    if url is None:
        raise BatchctlError(
            f"job {job_id} has no outputs bucket", hint="the cluster's stack has no BucketOutputs output"
        )
    bucket, prefix = _split(url)
    files = [
        OutputFile(key, key[len(prefix) :], size, modified)
        for key, size, modified in S3(s3_client).list_objects(bucket, prefix)
    ]
    return OutputListing(job.id, url, files)


def download_outputs(s3_client: Any, listing: OutputListing, directory: Path) -> OutputListing:
    """Copy every listed file under `directory`, keeping its relative path."""
    bucket, _ = _split(listing.url)
    root = directory.resolve()
    for item in listing.files:
        target = (root / PurePosixPath(item.relative)).resolve()
        if root not in target.parents:
            raise BatchctlError(f"refusing to write {item.key!r} outside {directory}")
        target.parent.mkdir(parents=True, exist_ok=True)
        S3(s3_client).download(bucket, item.key, target)
    return OutputListing(listing.job_id, listing.url, listing.files, str(directory))


def _split(url: str) -> tuple[str, str]:
    bucket, _, prefix = url.removeprefix("s3://").partition("/")
    return bucket, prefix
