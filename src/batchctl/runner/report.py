"""The usage report: written to <output prefix>_batchctl/usage.json and printed as the log's last block."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .job import JobIdentity
from .process import CommandOutcome
from .s3url import S3Url
from .staging import StagedInput
from .uploads import UploadResult

SCHEMA_VERSION = 1


@dataclass
class RunRecord:
    """Everything known about one run of the runner, filled in as it goes."""

    arguments: Sequence[str]  # as given, before expansion: expanded values may be secrets
    runner_started_at: datetime
    identity: JobIdentity | None = None
    output_location: S3Url | None = None
    staged: list[StagedInput] = field(default_factory=list)
    staging_seconds: float = 0.0
    outcome: CommandOutcome | None = None
    stop_signal: str | None = None
    outputs: UploadResult | None = None
    errors: list[str] = field(default_factory=list)
    exit_code: int = 0


def usage_report(record: RunRecord, ended_at: datetime) -> dict[str, Any]:
    identity, outcome = record.identity, record.outcome
    cpu_user = outcome.cpu_user_seconds if outcome else 0.0
    cpu_system = outcome.cpu_system_seconds if outcome else 0.0
    return {
        "schema_version": SCHEMA_VERSION,
        "job_name": identity.name if identity else None,
        "job_id": identity.job_id if identity else None,
        "array_index": identity.array_index if identity else None,
        "attempt": identity.attempt if identity else None,
        "command": list(record.arguments),
        "exit_code": record.exit_code,
        "signal": outcome.signal_name if outcome else None,
        "stop_signal": record.stop_signal,
        "started_at": _iso(outcome.started_at if outcome else record.runner_started_at),
        "ended_at": _iso(outcome.ended_at if outcome else ended_at),
        "elapsed_seconds": round(outcome.elapsed_seconds, 3) if outcome else 0.0,
        "cpu_user_seconds": round(cpu_user, 3),
        "cpu_system_seconds": round(cpu_system, 3),
        "cpu_seconds": round(cpu_user + cpu_system, 3),
        "peak_rss_bytes": outcome.peak_rss_bytes if outcome else 0,
        "rss_samples": outcome.rss_samples if outcome else 0,
        "command_started": outcome is not None,
        "staging_seconds": round(record.staging_seconds, 3),
        "inputs": {
            item.spec.name: {"source": str(item.spec.source), "files": item.files, "bytes": item.size}
            for item in record.staged
        },
        "output_url": str(record.output_location) if record.output_location else None,
        "outputs": {"files": record.outputs.files, "bytes": record.outputs.size} if record.outputs else None,
        "runner_started_at": _iso(record.runner_started_at),
        "runner_ended_at": _iso(ended_at),
        "errors": list(record.errors),
    }


def summary_lines(report: dict[str, Any], usage_url: S3Url | None) -> list[str]:
    """The human-readable block printed at the end of the job's log."""
    job = f"{report['job_name']} (id {report['job_id']}"
    job += f", index {report['array_index']}" if report["array_index"] is not None else ""
    job += f", attempt {report['attempt']})" if report["attempt"] is not None else ")"
    exit_line = str(report["exit_code"])
    if report["signal"]:
        exit_line += f" (killed by {report['signal']})"
    if report["stop_signal"]:
        exit_line += f" after the job received {report['stop_signal']}"
    if not report["command_started"]:
        exit_line += " (the command did not run)"
    lines = [
        "---- job summary ----",
        f"job           {job}",
        f"exit code     {exit_line}",
        f"elapsed       {report['elapsed_seconds']:.3f} s ({report['started_at']} -> {report['ended_at']})",
        f"cpu time      {report['cpu_seconds']:.3f} s "
        f"(user {report['cpu_user_seconds']:.3f} s, system {report['cpu_system_seconds']:.3f} s)",
        f"peak memory   {_mib(report['peak_rss_bytes'])} (process tree)",
    ]
    for name, item in report["inputs"].items():
        lines.append(f"input         {name}: {item['files']} file(s), {_mib(item['bytes'])} from {item['source']}")
    if report["output_url"] is None:
        lines.append("outputs       not uploaded (no BATCHCTL_OUTPUTS_BUCKET or BATCHCTL_OUTPUT_PREFIX)")
    elif report["outputs"] is not None:
        outputs = report["outputs"]
        lines.append(f"outputs       {outputs['files']} file(s), {_mib(outputs['bytes'])} -> {report['output_url']}")
    else:
        lines.append(f"outputs       NOT uploaded to {report['output_url']}")
    if usage_url is not None:
        lines.append(f"usage report  {usage_url}")
    lines.extend(f"runner error  {error}" for error in report["errors"])
    lines.append("---------------------")
    return lines


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _mib(size: int) -> str:
    return f"{size / 2**20:.1f} MiB"
