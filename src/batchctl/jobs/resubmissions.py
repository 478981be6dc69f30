"""How resubmissions are named and found.

A resubmission is named `<original AWS name>-r<n>` (see batchctl.jobs.resubmit) in the original's queue, so one
ListJobs with the JOB_NAME filter `<original AWS name>-r*` (a trailing `*` matches a prefix, on AWS and in the
emulator) finds every resubmission of a job: no tag lookup per job.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from batchctl.aws.batch import Batch
from batchctl.jobs.records import JobRecord

MAX_AWS_JOB_NAME = 128
RESUBMISSION_MARK = "-r"
# Room kept after the base name for the mark and a resubmission number of up to 4 digits.
_RESUBMISSION_BASE_LENGTH = MAX_AWS_JOB_NAME - len(RESUBMISSION_MARK) - 4


@dataclass(frozen=True)
class Resubmission:
    number: int  # n of `<original AWS name>-r<n>`
    job_id: str
    status: str


def resubmission_base(aws_name: str) -> str:
    """The part of a job's AWS name its resubmissions' names start with (cut so that `-r<n>` fits in 128)."""
    return aws_name[:_RESUBMISSION_BASE_LENGTH]


def resubmission_name(aws_name: str, number: int) -> str:
    return f"{resubmission_base(aws_name)}{RESUBMISSION_MARK}{number}"


def find_resubmissions(batch: Batch, job: JobRecord) -> list[Resubmission]:
    """Every `<base>-r<n>` job of the job's queue, by n: one ListJobs call per 1000 jobs matching the prefix."""
    base = resubmission_base(job.aws_name)
    # The prefix also matches resubmissions of resubmissions (`<base>-r1-r1`): only `-r<digits>` at the end counts.
    pattern = re.compile(re.escape(base + RESUBMISSION_MARK) + r"(\d+)", re.IGNORECASE)
    filters = [{"name": "JOB_NAME", "values": [f"{base}{RESUBMISSION_MARK}*"]}]
    found = []
    for page in batch.list_jobs(job.queue, filters=filters):
        for summary in page:
            matched = pattern.fullmatch(str(summary.get("jobName", "")))
            if matched and ":" not in summary["jobId"]:
                found.append(Resubmission(int(matched.group(1)), summary["jobId"], summary.get("status", "")))
    return sorted(found, key=lambda item: item.number)


def format_indices(indices: list[int], separator: str = ",") -> str:
    """[0, 1, 2, 5, 7, 8] -> `0-2,5,7-8`."""
    runs: list[str] = []
    ordered = sorted(set(indices))
    start = 0
    for position in range(1, len(ordered) + 1):
        if position == len(ordered) or ordered[position] != ordered[position - 1] + 1:
            first, last = ordered[start], ordered[position - 1]
            runs.append(str(first) if first == last else f"{first}-{last}")
            start = position
    return separator.join(runs)
