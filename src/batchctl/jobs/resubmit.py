"""`batchctl resubmit JOB [--failed-only]`: run a finished job again as one new job that writes where it wrote.

The new job is rebuilt from what DescribeJobs says about the original: queue, job definition (the same revision),
command, environment, resource requirements, timeout, retry strategy, tags, propagateTags, share identifier,
scheduling priority and parameters. Dependencies are not carried over (the jobs the original waited for have run);
an array's SEQUENTIAL order is.

- Outputs: BATCHCTL_OUTPUT_PREFIX is the original's prefix (s3://<outputs>/<job name>/<original id>/) and the
  runner appends each child's original index, so a re-run replaces exactly what the indices it re-runs wrote.
- --failed-only re-runs an array's FAILED children as an array over them with BATCHCTL_INDEX_MAP="1,3" (child i
  stands for original index map[i]). A single failed child runs as a plain job with a one-index map: AWS arrays
  have at least 2 children. The failed children come from ListJobs(arrayJobId, jobStatus=FAILED), one call per
  1000 failed children, where DescribeJobs of every child would take ceil(N/100) calls for N children; a SUCCEEDED
  parent needs no call at all.
- The name is `<original AWS name>-r<n>`, n one more than the resubmissions found (batchctl.jobs.resubmissions), so the
  original finds its resubmissions with one ListJobs call. It is submitted by submit_once: looked up by that name
  before any retry, never created twice.
- Tags: the original's, with `submitter` = who resubmits, `batchctl:resubmit-of` = the original's id and
  `batchctl:resubmit-indices` = the original indices re-run.

A resubmission can be resubmitted in turn: its index map is composed and its output prefix kept, so outputs always
land under the first job's prefix.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from batchctl.aws.batch import Batch
from batchctl.errors import BatchctlError
from batchctl.jobs.lookups import job_output_base
from batchctl.jobs.records import RESUBMIT_INDICES_TAG, RESUBMIT_OF_TAG, JobRecord, job_not_found
from batchctl.jobs.requests import MAX_TAGS, queue_has_fair_share
from batchctl.jobs.resolve import Resolver
from batchctl.jobs.resubmissions import find_resubmissions, format_indices, resubmission_name
from batchctl.jobs.submit import SubmittedJob, submit_once
from batchctl.jobs.tags import JOB_TAG, SUBMITTER_TAG
from batchctl.runner import contract

MAX_SUBMIT_BYTES = 30 * 1024  # AWS Batch's limit on a SubmitJob payload
MAX_TAG_VALUE = 256
RESERVED_TAG_PREFIX = "aws:"

Sleep = Callable[[float], None]


@dataclass(frozen=True)
class Coverage:
    """What the new job runs: the original indices (None: a plain job as a whole), its size and index map."""

    indices: list[int] | None
    array_size: int | None
    index_map: list[int]


@dataclass(frozen=True)
class ResubmitResult:
    original_id: str
    name: str  # the job's name (from the job file)
    indices: list[int] | None  # original indices the new job re-runs; None for a plain job re-run as a whole
    request: dict[str, Any]  # the SubmitJob request as sent (or, for a dry run, as it would be)
    job: SubmittedJob | None = None  # None for a dry run
    dry_run: bool = False

    @property
    def as_array(self) -> bool:
        """Whether the new job is an array (several failed children) rather than a plain job."""
        return "arrayProperties" in self.request


@dataclass(frozen=True)
class Changes:
    """What a resubmission changes: another queue (e.g. Spot -> on-demand), more vCPUs or memory (MiB)."""

    queue: str | None = None  # a queue of batchctl.yaml or an ARN
    vcpus: float | None = None
    memory: int | None = None

    def applied(self, request: dict[str, Any], resolver: Resolver) -> dict[str, Any]:
        request = {**request, "containerOverrides": dict(request["containerOverrides"])}
        if self.queue:
            request["jobQueue"] = resolver.queue(self.queue)
            if queue_has_fair_share(resolver, self.queue) is False:  # SubmitJob refuses a share there
                request.pop("shareIdentifier", None)
                request.pop("schedulingPriorityOverride", None)
        wanted = {"VCPU": self.vcpus, "MEMORY": self.memory}
        if any(value is not None for value in wanted.values()):
            requirements = {
                item["type"]: item["value"] for item in request["containerOverrides"].get("resourceRequirements", [])
            }
            requirements.update({kind: f"{value:g}" for kind, value in wanted.items() if value is not None})
            request["containerOverrides"]["resourceRequirements"] = [
                {"type": kind, "value": value} for kind, value in requirements.items()
            ]
        return request


def resubmit_job(
    batch: Batch,
    resolver: Resolver,
    job_id: str,
    target: str,
    user: str,
    *,
    failed_only: bool = False,
    dry_run: bool = False,
    sleep: Sleep = time.sleep,
    changes: Changes | None = None,
) -> ResubmitResult:
    details = batch.describe_jobs([job_id])
    if not details:
        raise job_not_found(job_id, target)
    detail = details[0]
    original = JobRecord.from_detail(detail)
    check_resubmittable(original, failed_only)
    failed = failed_indices(batch, original) if failed_only and original.is_array_parent else None
    if failed == []:
        raise BatchctlError(f"nothing to resubmit: no child of job {original.id} FAILED")
    coverage = coverage_of(original, failed)
    number = 1 + max((item.number for item in find_resubmissions(batch, original)), default=0)
    name = resubmission_name(original.aws_name, number)
    request = resubmission_request(detail, original, coverage, name, user, job_output_base(original, resolver))
    if changes is not None:
        request = changes.applied(request, resolver)
    result = ResubmitResult(original.id, original.name, coverage.indices, request, dry_run=dry_run)
    if dry_run:
        return result
    new_id = submit_once(batch, request, sleep)
    job = SubmittedJob(original.name, name, new_id, coverage.array_size, request["jobQueue"], original.definition)
    return ResubmitResult(original.id, original.name, coverage.indices, request, job)


def check_resubmittable(original: JobRecord, failed_only: bool) -> None:
    """Refuse, in one line, what cannot be resubmitted: a child, an unfinished job, nothing that failed."""
    if original.is_array_child:
        raise BatchctlError(
            f"job {original.id} is a child of array {original.parent_id}: resubmit the array",
            hint=f"batchctl resubmit {original.parent_id} --failed-only",
        )
    if not original.terminal:
        follow = f"batchctl show {original.id}" if original.is_array_parent else f"batchctl logs {original.id} -f"
        raise BatchctlError(f"job {original.id} is {original.status}: wait for it to finish ({follow})")
    if failed_only and original.status == "SUCCEEDED":
        what = f"all {original.array_size} children" if original.is_array_parent else f"job {original.id}"
        raise BatchctlError(
            f"nothing to resubmit: {what} SUCCEEDED", hint=f"to run it again anyway: batchctl resubmit {original.id}"
        )


def failed_indices(batch: Batch, parent: JobRecord) -> list[int]:
    """The indices of an array's FAILED children: one ListJobs call per 1000 of them."""
    found: set[int] = set()
    for page in batch.list_jobs(array_job_id=parent.id, status="FAILED"):
        for summary in page:
            if summary.get("status", "FAILED") != "FAILED":
                continue
            index = (summary.get("arrayProperties") or {}).get("index")
            suffix = str(summary.get("jobId", "")).rpartition(":")[2]
            if index is None and suffix.isdigit():
                index = int(suffix)
            if index is not None:
                found.add(int(index))
    return sorted(found)


def coverage_of(original: JobRecord, failed: list[int] | None) -> Coverage:
    """The new job for `failed` children of an array (None: all of it), in the original's index space."""
    current = original.index_map  # the original may itself be a resubmission
    if not original.is_array_parent:
        return Coverage(current or None, None, current)
    if failed is None:
        return Coverage(current or list(range(original.array_size or 0)), original.array_size, current)
    if current and max(failed) >= len(current):
        raise BatchctlError(
            f"job {original.id}: {contract.INDEX_MAP} has {len(current)} indices but child {max(failed)} failed"
        )
    indices = [current[index] for index in failed] if current else list(failed)
    return Coverage(indices, len(indices) if len(indices) > 1 else None, indices)


def resubmission_request(
    detail: dict[str, Any],
    original: JobRecord,
    coverage: Coverage,
    name: str,
    user: str,
    output_prefix: str | None,
) -> dict[str, Any]:
    """The SubmitJob request of the new job, from the original's DescribeJobs detail. No AWS calls."""
    container = detail.get("container") or {}
    overrides: dict[str, Any] = {"environment": _environment(original, coverage, output_prefix)}
    if container.get("command"):
        overrides["command"] = list(container["command"])
    requirements = [
        {"type": item["type"], "value": item["value"]} for item in container.get("resourceRequirements") or []
    ]
    if requirements:
        overrides["resourceRequirements"] = requirements
    request: dict[str, Any] = {
        "jobName": name,
        "jobQueue": original.queue,
        "jobDefinition": original.definition,
        "containerOverrides": overrides,
        "tags": _tags(original, coverage, user),
    }
    if "propagateTags" in detail:
        request["propagateTags"] = bool(detail["propagateTags"])
    elif JOB_TAG in original.tags:
        request["propagateTags"] = True  # batchctl submits every job so; not every DescribeJobs reports it
    if coverage.array_size:
        request["arrayProperties"] = {"size": coverage.array_size}
        if any(item.get("type") == "SEQUENTIAL" and "jobId" not in item for item in original.depends_on):
            request["dependsOn"] = [{"type": "SEQUENTIAL"}]
    for key in ("timeout", "retryStrategy", "shareIdentifier"):
        if detail.get(key):
            request[key] = detail[key]
    if detail.get("schedulingPriority") is not None:
        request["schedulingPriorityOverride"] = detail["schedulingPriority"]
    if detail.get("parameters"):
        request["parameters"] = dict(detail["parameters"])
    size = len(json.dumps(request).encode())
    if size > MAX_SUBMIT_BYTES:
        raise BatchctlError(
            f"the resubmission of job {original.id} would be a {size // 1024} KiB SubmitJob request, over AWS's "
            f"{MAX_SUBMIT_BYTES // 1024} KiB: {len(coverage.indices or [])} indices are too many for "
            f"{contract.INDEX_MAP}",
            hint=f"re-run the whole array: batchctl resubmit {original.id}",
        )
    return request


def _environment(original: JobRecord, coverage: Coverage, output_prefix: str | None) -> list[dict[str, str]]:
    # SubmitJob refuses overrides of the variables AWS Batch sets itself.
    environment = {
        key: value for key, value in original.environment.items() if not key.startswith(contract.AWS_RESERVED_PREFIX)
    }
    environment.pop(contract.INDEX_MAP, None)
    if coverage.index_map:
        environment[contract.INDEX_MAP] = contract.format_index_map(coverage.index_map)
    if output_prefix:
        environment[contract.OUTPUT_PREFIX] = output_prefix
    if contract.JOB_NAME not in environment and JOB_TAG in original.tags:
        environment[contract.JOB_NAME] = original.tags[JOB_TAG]
    return [{"name": key, "value": value} for key, value in environment.items()]


def _tags(original: JobRecord, coverage: Coverage, user: str) -> dict[str, str]:
    tags = {key: value for key, value in original.tags.items() if not key.startswith(RESERVED_TAG_PREFIX)}
    tags[SUBMITTER_TAG] = user
    tags[RESUBMIT_OF_TAG] = original.id
    tags.pop(RESUBMIT_INDICES_TAG, None)
    if coverage.indices is not None:
        # Tag values allow no commas; a value too long for a tag is summed up (the index map has them all).
        text = format_indices(coverage.indices, " ")
        if len(text) > MAX_TAG_VALUE:
            text = f"{len(coverage.indices)} indices from {min(coverage.indices)} to {max(coverage.indices)}"
        tags[RESUBMIT_INDICES_TAG] = text
    if len(tags) > MAX_TAGS:
        raise BatchctlError(
            f"job {original.id} has {len(original.tags)} tags: its resubmission would have {len(tags)}, "
            f"AWS allows {MAX_TAGS}",
            hint="remove some tags from the job file and submit it again",
        )
    return tags
