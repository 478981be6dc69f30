"""checkov on synthesized templates: a third set of security rules, run as a separate program.

checkov pins libraries that conflict with batchctl's own (boto3 among them), so it lives in a virtualenv of its
own and runs as a subprocess. `find_checkov` looks, in order, at:
1. the BATCHCTL_CHECKOV environment variable (a path to the executable; the Makefile sets it);
2. the tools virtualenv `make setup` creates next to the one running batchctl (`.venv` -> `.venv-tools`);
3. `checkov` on PATH.
Accepted findings are skipped in the template itself (Metadata.checkov.skip, each with its reason: see
`batchctl.infra.acknowledgements.skip_checkov_check`), so a failed check here is one nobody has explained.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from batchctl.errors import BatchctlError, ConfigError

CHECKOV_ENV = "BATCHCTL_CHECKOV"
TOOLS_VENV_SUFFIX = "-tools"
TIMEOUT_SECONDS = 600
# Keep checkov offline: no guideline download from its vendor's API, no version check against PyPI.
OFFLINE_ENV = {"BC_SKIP_MAPPING": "TRUE", "CKV_SKIP_PACKAGE_UPDATE_CHECK": "true"}
_TEMPLATE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")


class CheckovError(BatchctlError):
    """checkov could not run, or said something that is not a report."""


@dataclass(frozen=True)
class CheckovFinding:
    check_id: str  # e.g. CKV_AWS_18
    resource: str  # <type>.<logical id>, e.g. AWS::S3::Bucket.StorageInputsAD56580B
    name: str  # what the check wants, e.g. "Ensure the S3 bucket has access logging enabled"

    def __str__(self) -> str:
        return f"{self.check_id} {self.resource}: {self.name}"


@dataclass(frozen=True)
class CheckovSkip:
    check_id: str
    resource: str
    reason: str


@dataclass
class CheckovReport:
    version: str = ""
    passed: int = 0
    failed: list[CheckovFinding] = field(default_factory=list)
    skipped: list[CheckovSkip] = field(default_factory=list)
    parse_failed: bool = False


def find_checkov(environ: Mapping[str, str] | None = None) -> str | None:
    """The checkov executable to run, or None when there is none."""
    environ = os.environ if environ is None else environ
    configured = environ.get(CHECKOV_ENV, "").strip()
    if configured:
        path = Path(configured).expanduser()
        if not (path.is_file() and os.access(path, os.X_OK)):
            raise ConfigError(
                f"{CHECKOV_ENV}={configured} is not an executable file",
                hint=f"point it at checkov (make setup installs one in .venv{TOOLS_VENV_SUFFIX}), or unset it",
            )
        return str(path)
    tools = tools_venv_checkov(Path(sys.prefix))
    if tools is not None:
        return str(tools)
    return shutil.which("checkov", path=environ.get("PATH"))


def tools_venv_checkov(prefix: Path) -> Path | None:
    """`<venv>-tools/bin/checkov` next to the virtualenv at `prefix`, if it exists."""
    candidate = prefix.with_name(prefix.name + TOOLS_VENV_SUFFIX) / "bin" / "checkov"
    return candidate if candidate.is_file() and os.access(candidate, os.X_OK) else None


def scan_template(executable: str, template: Mapping[str, Any]) -> CheckovReport:
    return scan_templates(executable, {"template": template})["template"]


def scan_templates(executable: str, templates: Mapping[str, Mapping[str, Any]]) -> dict[str, CheckovReport]:
    """Check several templates in one checkov run (starting checkov takes seconds): name -> report."""
    for name in templates:
        if not _TEMPLATE_NAME.fullmatch(name):
            raise ValueError(f"template name {name!r} is not a plain file name")
    with tempfile.TemporaryDirectory(prefix="batchctl-checkov-") as directory:
        for name, template in templates.items():
            (Path(directory) / f"{name}.json").write_text(json.dumps(template), encoding="utf-8")
        output = _run(executable, directory)
    reports = split_report(parse_output(output), list(templates))
    for name, report in reports.items():
        if not (report.parse_failed or report.passed or report.failed or report.skipped):
            raise CheckovError(f"checkov ran no check on {name}: it did not recognise a CloudFormation template")
    return reports


def _run(executable: str, directory: str) -> str:
    command = [
        executable,
        "--directory",
        directory,
        "--framework",
        "cloudformation",
        "--output",
        "json",
        "--compact",  # no code blocks in the report
        "--skip-download",
    ]
    try:
        result = subprocess.run(
            command,
            capture_output=True,
            text=True,
            timeout=TIMEOUT_SECONDS,
            env={**os.environ, **OFFLINE_ENV},
            cwd=directory,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise CheckovError(f"could not run {executable}: {exc}") from None
    # Exit 1 means "some check failed": the report says which.
    if result.returncode not in (0, 1) or not result.stdout.strip():
        tail = (result.stderr.strip().splitlines() or ["no output"])[-1]
        raise CheckovError(f"checkov exited with {result.returncode}: {tail}", hint=f"run it by hand: {executable}")
    return result.stdout


def parse_output(text: str) -> list[dict[str, Any]]:
    """checkov's JSON output as a list of per-framework reports."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise CheckovError(f"checkov's output is not JSON ({exc}): {text[:200]!r}") from None
    reports = data if isinstance(data, list) else [data]
    if not all(isinstance(report, dict) for report in reports):
        raise CheckovError(f"unexpected checkov output: {text[:200]!r}")
    return reports


def split_report(reports: list[dict[str, Any]], names: list[str]) -> dict[str, CheckovReport]:
    """One report per template, from checkov's results (each names the file it comes from)."""
    by_name = {name: CheckovReport() for name in names}
    for report in reports:
        # With nothing to scan, checkov prints only a summary, without "results".
        summary = report.get("summary", report)
        results = report.get("results", {})
        for item in by_name.values():
            item.version = str(summary.get("checkov_version", ""))
        for check in results.get("passed_checks", []):
            _report_of(by_name, check["file_path"]).passed += 1
        for check in results.get("failed_checks", []):
            _report_of(by_name, check["file_path"]).failed.append(
                CheckovFinding(check["check_id"], check["resource"], check["check_name"])
            )
        for check in results.get("skipped_checks", []):
            reason = str(check.get("check_result", {}).get("suppress_comment", ""))
            _report_of(by_name, check["file_path"]).skipped.append(
                CheckovSkip(check["check_id"], check["resource"], reason)
            )
        for path in results.get("parsing_errors", []):
            _report_of(by_name, path).parse_failed = True
    return by_name


def _report_of(by_name: dict[str, CheckovReport], file_path: str) -> CheckovReport:
    name = Path(file_path).stem
    if name not in by_name:
        raise CheckovError(f"checkov reported on {file_path}, which it was not given")
    return by_name[name]
