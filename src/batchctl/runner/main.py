"""`batchctl-run COMMAND [ARGUMENT ...]`: stage inputs, run the command, upload outputs and usage, exit as it did.

Order of work, each step recorded for the usage report:
1. read the job's identity and settings, expand the arguments (a mistake here: exit 2, nothing runs);
2. download the inputs (failure: exit 125, the command does not run);
3. run the command with stop signals forwarded (not found: 127, not executable: 126);
4. upload outputs and the usage report whatever happened before (failure after a successful command: exit 125);
5. print the summary and exit with the command's exit code (128 + N when signal N killed it).
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from . import contract, log, settings
from .args import expand_arguments
from .errors import EXIT_RUNNER_FAILURE, EXIT_USAGE, SIGNAL_EXIT_BASE, RunnerError
from .job import command_environment, identify_job, output_location
from .jobname import lookup_for
from .process import StopForwarder, run_command
from .report import RunRecord, summary_lines, usage_report
from .s3client import create_s3_client, describe_error
from .s3url import S3Url
from .staging import InputSpec, input_specs, stage_inputs
from .uploads import upload_outputs, upload_usage_report

USAGE = """usage: batchctl-run [--] COMMAND [ARGUMENT ...]

Runs COMMAND as a batch job: stages BATCHCTL_INPUT_<NAME>=s3://... into <workspace>/inputs/<name>/, expands
`env:NAME` arguments and `${NAME}` inside arguments, forwards SIGTERM/SIGINT/SIGHUP, uploads
<workspace>/outputs/ and a usage report to S3 and exits with COMMAND's exit code.
Environment variables: see the batchctl.runner.contract module."""


class _LazyS3Client:
    """Creates the S3 client on first use: jobs without inputs or outputs bucket never import boto3."""

    def __init__(self) -> None:
        self._client: Any = None

    def get(self) -> Any:
        if self._client is None:
            try:
                self._client = create_s3_client()
            except Exception as error:  # missing boto3, bad region or endpoint: all end S3 work the same way
                raise RunnerError(f"cannot create the S3 client: {describe_error(error)}") from error
        return self._client


def main(argv: Sequence[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    if arguments[:1] in (["-h"], ["--help"]):
        print(USAGE)
        return 0
    if arguments[:1] == ["--"]:
        arguments = arguments[1:]
    if not arguments:
        log.error("no command given")
        print(USAGE, file=sys.stderr)
        return EXIT_USAGE
    try:
        return run_job(arguments, os.environ)
    except Exception as error:  # a bug in the runner must still end with a clear line and a failing exit code
        log.error(f"internal error: {type(error).__name__}: {error}")
        return EXIT_RUNNER_FAILURE


def run_job(arguments: Sequence[str], environ: Mapping[str, str]) -> int:
    record = RunRecord(arguments=list(arguments), runner_started_at=datetime.now(UTC))
    stop = StopForwarder(settings.DEFAULT_STOP_GRACE_SECONDS)
    stop.install()
    s3 = _LazyS3Client()
    workspace = settings.Workspace.from_environ(environ)
    try:
        _prepare_and_run(record, environ, workspace, stop, s3)
        _upload(record, workspace, s3)
    finally:
        stop.restore()
    return record.exit_code


@dataclass(frozen=True)
class _Prepared:
    command: list[str]
    env: dict[str, str]
    inputs: list[InputSpec]
    sample_interval: float


def _prepare_and_run(
    record: RunRecord,
    environ: Mapping[str, str],
    workspace: settings.Workspace,
    stop: StopForwarder,
    s3: _LazyS3Client,
) -> None:
    try:
        prepared = _prepare(record, environ, workspace, stop)
        _stage(record, prepared.inputs, s3)
        if stop.received is not None:
            record.exit_code = SIGNAL_EXIT_BASE + stop.received
            log.say(f"not starting the command: the job received {stop.received.name}")
            return
        record.outcome = run_command(prepared.command, prepared.env, stop, prepared.sample_interval)
        record.exit_code = record.outcome.exit_code
    except RunnerError as error:
        _fail(record, error)
    finally:
        record.stop_signal = stop.received.name if stop.received is not None else None


def _prepare(
    record: RunRecord, environ: Mapping[str, str], workspace: settings.Workspace, stop: StopForwarder
) -> _Prepared:
    """Settings, identity, output prefix, arguments, workspace: no network but the job-name lookup."""
    stop.grace_seconds = settings.positive_float(
        environ, contract.STOP_GRACE_SECONDS, settings.DEFAULT_STOP_GRACE_SECONDS
    )
    interval = settings.positive_float(
        environ, contract.USAGE_INTERVAL_SECONDS, settings.DEFAULT_USAGE_INTERVAL_SECONDS
    )
    record.identity = identify_job(environ, lookup_for(environ))
    record.output_location = output_location(record.identity, environ)
    env = command_environment(environ, record.identity, workspace, record.output_location)
    command = expand_arguments(record.arguments, env)
    inputs = input_specs(environ, workspace.inputs)
    workspace.prepare()
    _announce(record)
    return _Prepared(command, env, inputs, interval)


def _stage(record: RunRecord, inputs: list[InputSpec], s3: _LazyS3Client) -> None:
    started = time.monotonic()
    if inputs:
        record.staged = stage_inputs(s3.get(), inputs)
    record.staging_seconds = time.monotonic() - started
    for item in record.staged:
        log.say(f"staged input {item.spec.name}: {item.files} file(s) from {item.spec.source}")


def _upload(record: RunRecord, workspace: settings.Workspace, s3: _LazyS3Client) -> None:
    usage_url: S3Url | None = None
    if record.output_location is not None:
        try:
            record.outputs = upload_outputs(s3.get(), workspace.outputs, record.output_location)
        except RunnerError as error:
            _fail(record, error, keep_command_failure=True)
    report = usage_report(record, datetime.now(UTC))
    if record.output_location is not None:
        try:
            usage_url = upload_usage_report(s3.get(), record.output_location, report)
        except RunnerError as error:
            _fail(record, error, keep_command_failure=True)
            report = usage_report(record, datetime.now(UTC))
    for line in summary_lines(report, usage_url):
        log.say(line)


def _fail(record: RunRecord, error: RunnerError, keep_command_failure: bool = False) -> None:
    """Record a runner failure; after the command ran, its own failure code is the more useful one to keep."""
    log.error(str(error))
    record.errors.append(str(error))
    if not (keep_command_failure and record.exit_code != 0):
        record.exit_code = error.exit_code


def _announce(record: RunRecord) -> None:
    identity = record.identity
    assert identity is not None
    index = f", index {identity.array_index}" if identity.array_index is not None else ""
    outputs = f"; outputs -> {record.output_location}" if record.output_location else ""
    log.say(f"job {identity.name} (id {identity.job_id}{index}){outputs}")
