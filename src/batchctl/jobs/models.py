"""The job file schema: pydantic models, strict (an unknown field is an error with a suggestion).

    tags: {project: demo}             # optional, applied to every job
    jobs:
      - name: prepare                 # letters, digits, '-' and '_'; unique in the file
        queue: cpu                    # a queue of batchctl.yaml (or a queue ARN)
        definition: helloworld        # a job definition of batchctl.yaml (or a job definition ARN)
        command: python3 /app/hello.py --greeting hi      # a string (split like a shell) or a list
        array_size: 10                # 2..10000 children; each gets BATCHCTL_ARRAY_INDEX
        environment: {GREETING_NAME: world}
        vcpus: 2                      # overrides of the job definition's resources
        memory: 4096                  # MiB
        gpus: 1
        inputs:                       # staged by the runner into /workspace/inputs/<name>/
          greeting: greeting.txt      #   a bare key: s3://<cluster inputs bucket>/greeting.txt
          data: s3://bucket/prefix/   #   or a full s3:// URL (an object or a prefix ending in '/')
        timeout: 3600                 # seconds per attempt (at least 60)
        retries: 3                    # attempts in all, as in batchctl.yaml (1 = no retry)
        retry_on: [spot-loss, out-of-memory]   # what is retried (default: the job definition's rules)
        share: teamA                  # fair-share queues only: the share the job counts against, up to 255
                                      #   letters and digits (default: your user name without other characters)
        scheduling_priority: 10       # fair-share queues only: 0-9999, higher runs first within the share
        tags: {owner: me}
        parameters: {input: s3://b/k}   # SubmitJob parameters: replace Ref::input in the definition's command
        depends_on:
          - other-job                 # runs after other-job succeeded (all its children, for an array)
          - {name: other-array, type: N_TO_N}   # child i after child i (arrays of the same size)
          - {type: SEQUENTIAL}        # this array's children one after the other, from index 0

`inputs` may also be a list of keys or URLs; each input is then named after its file name without extension.
The file may also be a plain list of jobs, and the Terraform project's keys (envvars, resources, jobId) are read
as well: see seed.py.
"""

from __future__ import annotations

import re
import shlex
from enum import StrEnum
from pathlib import PurePosixPath
from typing import Any

from pydantic import Field, field_validator, model_validator

from batchctl.config.models import MAX_AWS_INTEGER, Strict
from batchctl.retry_rules import RetryReason, check_retry_on
from batchctl.runner import contract

# AWS allows 128 characters in a job name; the submission appends "-" and an 8-character batch id.
SUBMISSION_SUFFIX_LENGTH = 9
MAX_JOB_NAME_LENGTH = 128 - SUBMISSION_SUFFIX_LENGTH
JOB_NAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*")
ENV_NAME_PATTERN = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
INPUT_NAME_PATTERN = re.compile(r"[A-Za-z0-9_]+")
MAX_DEPENDENCIES = 20  # AWS Batch limit per job
MAX_ARRAY_SIZE = 10_000
# A fair-share identifier: AWS Batch allows up to 255 letters and digits.
MAX_SHARE_LENGTH = 255
SHARE_PATTERN = re.compile(rf"[A-Za-z0-9]{{1,{MAX_SHARE_LENGTH}}}")
MAX_SCHEDULING_PRIORITY = 9999
# A SubmitJob request is at most 30 KiB (https://docs.aws.amazon.com/batch/latest/userguide/service_limits.html).
MAX_COMMAND_CHARACTERS = 30 * 1024


class DependencyType(StrEnum):
    N_TO_N = "N_TO_N"
    SEQUENTIAL = "SEQUENTIAL"


class Dependency(Strict):
    name: str | None = Field(default=None, description="Name of another job in this file.")
    type: DependencyType | None = Field(
        default=None, description="N_TO_N (child i after child i of `name`) or SEQUENTIAL (no name)."
    )


class Job(Strict):
    name: str = Field(description="Job name: letters, digits, '-' and '_', starting with a letter or digit.")
    queue: str = Field(description="Queue short name from batchctl.yaml, or a queue ARN.")
    definition: str = Field(description="Job definition short name from batchctl.yaml, or a job definition ARN.")
    command: list[str] | None = Field(default=None, description="Command: a string split like a shell, or a list.")
    array_size: int | None = Field(default=None, ge=2, le=MAX_ARRAY_SIZE, description="Children of an array job.")
    environment: dict[str, str] = Field(default_factory=dict)
    vcpus: float | None = Field(default=None, gt=0, le=MAX_AWS_INTEGER, allow_inf_nan=False)
    memory: int | None = Field(default=None, ge=4, le=MAX_AWS_INTEGER, description="MiB.")
    gpus: int | None = Field(default=None, ge=0, le=MAX_AWS_INTEGER)
    inputs: dict[str, str] = Field(default_factory=dict, description="Input name -> bare key or s3:// URL.")
    timeout: int | None = Field(default=None, ge=60, le=MAX_AWS_INTEGER, description="Seconds per attempt.")
    retries: int | None = Field(default=None, ge=1, le=10, description="Attempts in all (1 = no retry).")
    retry_on: list[RetryReason] = Field(
        default_factory=list, description="Failures worth another attempt: spot-loss, host-error, out-of-memory, ..."
    )
    tags: dict[str, str] = Field(default_factory=dict)
    # SubmitJob's parameters replace `Ref::<name>` placeholders in the command and override the definition's defaults
    # (https://docs.aws.amazon.com/batch/latest/userguide/example-use-parameters.html).
    parameters: dict[str, str] = Field(
        default_factory=dict, description="SubmitJob parameters: each replaces Ref::<name> in the command."
    )
    depends_on: list[Dependency] = Field(default_factory=list, max_length=MAX_DEPENDENCIES)
    share: str | None = Field(
        default=None,
        description="Fair-share queues only: the share identifier the job counts against (default: the user name).",
    )
    scheduling_priority: int | None = Field(
        default=None,
        ge=0,
        le=MAX_SCHEDULING_PRIORITY,
        description="Fair-share queues only: higher runs first among the jobs of the same share.",
    )

    @model_validator(mode="after")
    def _retry_on(self) -> Job:
        check_retry_on(self.retry_on, self.retries)
        return self

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not JOB_NAME_PATTERN.fullmatch(value):
            raise ValueError("use letters, digits, '-' and '_', starting with a letter or digit")
        if len(value) > MAX_JOB_NAME_LENGTH:
            raise ValueError(f"at most {MAX_JOB_NAME_LENGTH} characters (AWS allows 128 with the submission id)")
        return value

    @field_validator("share", mode="before")
    @classmethod
    def _share(cls, value: Any) -> Any:
        value = _scalar_text(value)
        if isinstance(value, str) and not SHARE_PATTERN.fullmatch(value):
            raise ValueError(f"{value!r}: a share identifier is 1-255 letters and digits (AWS Batch rule)")
        return value

    @field_validator("command", mode="before")
    @classmethod
    def _command(cls, value: Any) -> Any:
        if isinstance(value, str):
            if len(value) > MAX_COMMAND_CHARACTERS:  # and shlex would take minutes over a long word
                raise ValueError(
                    f"the command is {len(value):,} characters; a SubmitJob request holds at most 30 KiB "
                    "(put large data in a file under `inputs:`)"
                )
            try:
                return shlex.split(value)
            except ValueError as exc:
                raise ValueError(f"cannot split the command like a shell: {exc}") from None
        if isinstance(value, list):
            return [_scalar_text(item) for item in value]
        return value

    @field_validator("environment", "tags", "parameters", mode="before")
    @classmethod
    def _scalar_values(cls, value: Any) -> Any:
        return {key: _scalar_text(item) for key, item in value.items()} if isinstance(value, dict) else value

    @field_validator("environment")
    @classmethod
    def _environment(cls, value: dict[str, str]) -> dict[str, str]:
        for key in value:
            if not ENV_NAME_PATTERN.fullmatch(key):
                raise ValueError(f"{key!r} is not a valid environment variable name")
            if key.startswith(contract.AWS_RESERVED_PREFIX):
                reserved = contract.AWS_RESERVED_PREFIX
                raise ValueError(f"{key!r}: names starting with {reserved} are reserved by AWS Batch")
            if key == contract.JOB_NAME or key.startswith(contract.INPUT_PREFIX):
                raise ValueError(f"{key!r} is set by batchctl: use the job's name and `inputs:` instead")
        return value

    @field_validator("inputs", mode="before")
    @classmethod
    def _inputs(cls, value: Any) -> Any:
        if isinstance(value, list):
            named: dict[str, Any] = {}
            for item in value:
                name = input_name(str(item))
                if name in named:
                    raise ValueError(f"two inputs are named {name!r}: use a mapping of names to inputs instead")
                named[name] = item
            return named
        return value

    @field_validator("inputs")
    @classmethod
    def _input_names(cls, value: dict[str, str]) -> dict[str, str]:
        upper = [name.upper() for name in value]
        if len(set(upper)) != len(upper):
            raise ValueError(f"two input names differ only in case: each becomes {contract.INPUT_PREFIX}<NAME>")
        for name, location in value.items():
            if not INPUT_NAME_PATTERN.fullmatch(name):
                raise ValueError(f"input name {name!r}: use letters, digits and '_' (it becomes an env variable)")
            if not location.strip():
                raise ValueError(f"input {name!r} is empty: give a key of the inputs bucket or an s3:// URL")
            if "://" in location and not location.startswith("s3://"):
                raise ValueError(f"input {name!r}: {location!r} is not an s3:// URL")
        return value

    @property
    def is_array(self) -> bool:
        return self.array_size is not None

    @property
    def sequential(self) -> bool:
        return any(dependency.type == DependencyType.SEQUENTIAL for dependency in self.depends_on)

    @field_validator("depends_on", mode="before")
    @classmethod
    def _dependency_shorthand(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = [value]
        if isinstance(value, list):
            return [{"name": item} if isinstance(item, str) else item for item in value]
        return value


class JobFileModel(Strict):
    jobs: list[Job] = Field(min_length=1, description="The jobs to submit.")
    tags: dict[str, str] = Field(default_factory=dict, description="Tags for every job of the file.")

    @field_validator("tags", mode="before")
    @classmethod
    def _scalar_values(cls, value: Any) -> Any:
        return {key: _scalar_text(item) for key, item in value.items()} if isinstance(value, dict) else value


def input_name(location: str) -> str:
    """`s3://b/data/sample-1.csv` -> `sample_1`: the name an unnamed input gets."""
    stem = PurePosixPath(location.rstrip("/")).name.split(".", 1)[0]
    return re.sub(r"[^A-Za-z0-9_]", "_", stem) or "input"


def _scalar_text(value: Any) -> Any:
    """YAML reads `3`, `1.5` and `true` as numbers and booleans: environment, tags and commands want text."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return value
