"""The runner's environment contract: variable names, defaults and the workspace layout.

Read by the runner:
  BATCHCTL_WORKSPACE_DIR           workspace root (default /workspace): inputs/ and outputs/ live under it
  BATCHCTL_INPUT_<NAME>            s3://bucket/key (one object) or s3://bucket/prefix/ (everything under it),
                                   staged into <workspace>/inputs/<name lower-cased>/
  BATCHCTL_OUTPUTS_BUCKET          bucket for <workspace>/outputs/** and the usage report (unset: no upload)
  BATCHCTL_OUTPUT_PREFIX           s3://bucket/prefix/ replacing s3://<outputs bucket>/<job name>/<job id>/
  BATCHCTL_JOB_NAME                job name for the output prefix (unset: the name DescribeJobs gives the job's
                                   id, when outputs go to BATCHCTL_OUTPUTS_BUCKET; else "job")
  BATCHCTL_INDEX_MAP               "1,3": array child i stands for original index map[i] (re-runs of some children)
  BATCHCTL_STOP_GRACE_SECONDS      after forwarding SIGTERM/SIGINT, wait this long before SIGKILL (default 20)
  BATCHCTL_USAGE_INTERVAL_SECONDS  how often the process tree's memory is sampled (default 0.25)
  AWS_BATCH_JOB_ID, AWS_BATCH_JOB_ARRAY_INDEX, AWS_BATCH_JOB_ATTEMPT   set by AWS Batch
  AWS_ENDPOINT_URL, AWS_RETRY_MODE, AWS_MAX_ATTEMPTS, credentials     honoured by boto3 as usual
  AWS_REGION, AWS_DEFAULT_REGION, ECS_CONTAINER_METADATA_URI_V4      the region of the job-name lookup

Given to the command (besides everything the runner received):
  BATCHCTL_ARRAY_INDEX   the job's (original) array index, for array jobs only
  BATCHCTL_INPUTS_DIR, BATCHCTL_OUTPUTS_DIR, BATCHCTL_OUTPUT_URL (the S3 prefix outputs go to, when uploading)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from .errors import RunnerError, UsageError

WORKSPACE_DIR = "BATCHCTL_WORKSPACE_DIR"
INPUT_PREFIX = "BATCHCTL_INPUT_"
OUTPUTS_BUCKET = "BATCHCTL_OUTPUTS_BUCKET"
OUTPUT_PREFIX = "BATCHCTL_OUTPUT_PREFIX"
JOB_NAME = "BATCHCTL_JOB_NAME"
INDEX_MAP = "BATCHCTL_INDEX_MAP"
STOP_GRACE_SECONDS = "BATCHCTL_STOP_GRACE_SECONDS"
USAGE_INTERVAL_SECONDS = "BATCHCTL_USAGE_INTERVAL_SECONDS"

AWS_JOB_ID = "AWS_BATCH_JOB_ID"
AWS_ARRAY_INDEX = "AWS_BATCH_JOB_ARRAY_INDEX"
AWS_ATTEMPT = "AWS_BATCH_JOB_ATTEMPT"

ARRAY_INDEX = "BATCHCTL_ARRAY_INDEX"
INPUTS_DIR = "BATCHCTL_INPUTS_DIR"
OUTPUTS_DIR = "BATCHCTL_OUTPUTS_DIR"
OUTPUT_URL = "BATCHCTL_OUTPUT_URL"

DEFAULT_WORKSPACE = "/workspace"
DEFAULT_JOB_NAME = "job"
# ECS stops a task with SIGTERM and sends SIGKILL after its stop timeout (30 s by default, at most 120 s on a spot
# interruption): 20 s for the command leaves time to upload outputs and the usage report.
DEFAULT_STOP_GRACE_SECONDS = 20.0
DEFAULT_USAGE_INTERVAL_SECONDS = 0.25


@dataclass(frozen=True)
class Workspace:
    """The directories shared between the runner and the command."""

    root: Path

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> Workspace:
        return cls(Path(environ.get(WORKSPACE_DIR) or DEFAULT_WORKSPACE))

    @property
    def inputs(self) -> Path:
        return self.root / "inputs"

    @property
    def outputs(self) -> Path:
        return self.root / "outputs"

    def prepare(self) -> None:
        try:
            self.inputs.mkdir(parents=True, exist_ok=True)
            self.outputs.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise RunnerError(f"cannot create the workspace under {self.root}: {error.strerror or error}") from error


def positive_float(environ: Mapping[str, str], name: str, default: float) -> float:
    raw = environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise UsageError(f"{name}={raw!r} is not a number") from None
    if value <= 0:
        raise UsageError(f"{name}={raw!r} must be greater than 0")
    return value
