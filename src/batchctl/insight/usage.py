"""`batchctl usage`: requested against used, per job and per job definition, with a right-sizing suggestion and an
estimated cost (prices.py) — from DescribeJobs and the runner's usage.json only.

- requested vCPU-seconds: the job's vCPUs times its run time (startedAt -> stoppedAt); used: the command's CPU
  seconds (usage.json); peak memory: the process tree's peak (usage.json).
- per definition: the p95 of the peaks plus a quarter, rounded to a size that packs well on the allowed types.
- the cost of a job: its queue's first compute environment's type and instance types (an estimate: AWS does not
  say which instance ran a job without ECS calls).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from batchctl.aws.batch import Batch
from batchctl.insight import prices
from batchctl.insight.facts import read_usage, requested
from batchctl.insight.sizing import HEADROOM, packed
from batchctl.jobs.records import TERMINAL_STATUSES, JobRecord
from batchctl.jobs.resolve import Resolver

P95 = 0.95
MAX_JOBS = 1000  # jobs (array children counted one by one) read for one report
READERS = 16  # usage.json files read at once


@dataclass(frozen=True)
class Placement:
    """What a queue's jobs run on: its first compute environment's type and instance types."""

    type: str
    instance_types: tuple[str, ...]


@dataclass(frozen=True)
class JobUsage:
    id: str
    name: str
    definition: str
    status: str
    vcpus: float
    memory_mib: int
    seconds: float
    requested_vcpu_seconds: float
    used_cpu_seconds: float | None  # None: no usage report
    peak_mib: float | None
    cost_usd: float | None
    cost_basis: str


@dataclass(frozen=True)
class DefinitionUsage:
    definition: str
    jobs: int
    requested_vcpu_seconds: float
    used_cpu_seconds: float
    memory_mib: int  # the largest requested
    p95_peak_mib: float | None
    suggested_memory_mib: int | None
    cost_usd: float


@dataclass(frozen=True)
class UsageReport:
    jobs: list[JobUsage]
    definitions: list[DefinitionUsage]
    total_cost_usd: float
    total_requested_vcpu_seconds: float
    total_used_cpu_seconds: float
    price_date: str = prices.PRICE_DATE
    currency: str = prices.CURRENCY
    region: str = ""
    note: str = field(
        default="costs are estimates: instance price x job time x the job's share of the instance "
        f"(spot at {prices.SPOT_DISCOUNT:.0%} off on-demand), prices of {prices.PRICE_DATE}"
    )


def job_usage(
    detail: dict[str, Any], report: dict[str, Any] | None, placement: Placement | None, region: str
) -> JobUsage:
    job = JobRecord.from_detail(detail)
    vcpus, memory, _ = requested(detail)
    vcpus, memory = vcpus or 1.0, memory or 0
    seconds = _seconds(job, report)
    estimate = (
        prices.job_cost(placement.type, vcpus, memory, seconds, placement.instance_types, region)
        if placement is not None
        else None
    )
    used = float(report["cpu_seconds"]) if report and report.get("command_started") else None
    peak = float(report["peak_rss_bytes"]) / 2**20 if report and report.get("command_started") else None
    return JobUsage(
        job.id,
        job.name,
        _definition_name(job.definition),
        job.status,
        vcpus,
        memory,
        round(seconds, 3),
        round(vcpus * seconds, 3),
        used,
        round(peak, 1) if peak is not None else None,
        estimate.usd if estimate else None,
        estimate.basis if estimate else f"no price for {placement.type if placement else 'its queue'} in {region}",
    )


def summarize(jobs: list[JobUsage], allowed: dict[str, tuple[str, ...]], region: str) -> UsageReport:
    by_definition: dict[str, list[JobUsage]] = {}
    for item in jobs:
        by_definition.setdefault(item.definition, []).append(item)
    definitions = []
    for name, items in sorted(by_definition.items()):
        peaks = [item.peak_mib for item in items if item.peak_mib is not None]
        p95 = percentile(peaks, P95) if peaks else None
        definitions.append(
            DefinitionUsage(
                name,
                len(items),
                round(sum(item.requested_vcpu_seconds for item in items), 3),
                round(sum(item.used_cpu_seconds or 0.0 for item in items), 3),
                max(item.memory_mib for item in items),
                round(p95, 1) if p95 is not None else None,
                packed(p95 * HEADROOM, allowed.get(name, ())) if p95 is not None else None,
                sum(item.cost_usd or 0.0 for item in items),
            )
        )
    return UsageReport(
        jobs,
        definitions,
        sum(item.cost_usd or 0.0 for item in jobs),
        round(sum(item.requested_vcpu_seconds for item in jobs), 3),
        round(sum(item.used_cpu_seconds or 0.0 for item in jobs), 3),
        region=region,
    )


def percentile(values: Iterable[float], fraction: float) -> float:
    """The nearest-rank percentile: the smallest value with at least `fraction` of the values at or below it."""
    ordered = sorted(values)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


def _seconds(job: JobRecord, report: dict[str, Any] | None) -> float:
    if job.started and job.stopped:
        return max(0.0, (job.stopped - job.started).total_seconds())
    return float(report.get("elapsed_seconds") or 0.0) if report else 0.0


def _definition_name(arn: str) -> str:
    return arn.rsplit("/", 1)[-1].split(":", 1)[0]


def collect(
    batch: Batch, s3: Any, resolver: Resolver, records: list[JobRecord], region: str, definition: str | None = None
) -> UsageReport:
    """The report over finished jobs (array parents stand for their children), reading each one's usage.json."""
    ids: list[str] = []
    for record in records:
        if record.is_array_parent:
            ids.extend(f"{record.id}:{index}" for index in range(record.array_size or 0))
        elif record.terminal:
            ids.append(record.id)
    details = [
        detail
        for detail in batch.describe_jobs(ids[:MAX_JOBS])
        if detail.get("status") in TERMINAL_STATUSES and detail.get("startedAt")
    ]
    if definition:
        details = [
            d
            for d in details
            if _definition_name(str(d.get("jobDefinition", ""))) in definition_names(definition, resolver)
        ]
    placements = _placements(batch, {str(detail.get("jobQueue", "")) for detail in details})
    jobs: list[JobUsage] = []
    allowed: dict[str, tuple[str, ...]] = {}
    # One GetObject per job: read side by side (boto3 clients are thread-safe), in the jobs' order.
    with ThreadPoolExecutor(max_workers=READERS) as pool:
        reports = list(pool.map(lambda detail: read_usage(s3, resolver, JobRecord.from_detail(detail)), details))
    for detail, report in zip(details, reports, strict=True):
        placement = placements.get(str(detail.get("jobQueue", "")))
        item = job_usage(detail, report, placement, region)
        jobs.append(item)
        if placement is not None:
            allowed.setdefault(item.definition, placement.instance_types)
    return summarize(jobs, allowed, region)


def definition_names(definition: str, resolver: Resolver) -> set[str]:
    """A short name of batchctl.yaml matches its AWS name too."""
    return {definition, resolver.config.resource_name(definition)}


def _placements(batch: Batch, queues: set[str]) -> dict[str, Placement]:
    described = batch.describe_job_queues(sorted(q for q in queues if q)) if any(queues) else []
    first = {}
    for queue in described:
        order = sorted(queue.get("computeEnvironmentOrder", []), key=lambda entry: entry.get("order", 0))
        if order:
            first[queue["jobQueueArn"]] = str(order[0]["computeEnvironment"])
    environments = {
        item["computeEnvironmentArn"]: item for item in batch.describe_compute_environments(sorted(set(first.values())))
    }
    placements = {}
    for queue, arn in first.items():
        resources = (environments.get(arn) or {}).get("computeResources") or {}
        if resources:
            placement = Placement(str(resources.get("type", "EC2")), tuple(resources.get("instanceTypes") or ()))
            placements[queue] = placement
            placements[queue.rsplit("/", 1)[-1]] = placement
    return placements
