"""`batchctl run ... -- COMMAND`: one job without a job file, and the job definition an `--image` run uses.

The job is written as a one-job job file (JSON, which is YAML) and goes through the same validation, plan and
preflight as `submit`, so every limit and message is the same. No template rendering: the command is taken as given.

`--image REF` with a full image reference runs on a job definition derived from the cluster's first job definition
(its roles, log configuration, environment and resources; the image replaced, no command): `<cluster>-run-<hash of
REF>`, registered once and reused while an ACTIVE revision with the same image exists.
https://docs.aws.amazon.com/batch/latest/APIReference/API_RegisterJobDefinition.html
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from batchctl.aws.batch import Batch
from batchctl.errors import BatchctlError, ConfigError
from batchctl.jobs.jobfile import JobFile, parse_job_file
from batchctl.jobs.resolve import Resolver

if TYPE_CHECKING:
    from batchctl.config import ClusterConfig

SOURCE = "batchctl run"
DEFAULT_NAME = "run"
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_NAME_CHARS = re.compile(r"[^A-Za-z0-9_-]+")
IMAGE_DEFINITION_MARK = "-run-"


def parse_pairs(items: Iterable[str], what: str, example: str) -> dict[str, str]:
    """`K=V` options -> {K: V}; a malformed one is one line naming it."""
    pairs: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not _ENV_NAME.fullmatch(key):
            raise ConfigError(f"{what}: expected NAME=VALUE, got {item!r}", hint=f"e.g. {example}")
        pairs[key] = value
    return pairs


def job_name(command: list[str], name: str | None) -> str:
    """The given name, else `run-<program>` (what `jobs` lists), within AWS's name characters."""
    if name:
        return name
    program = _NAME_CHARS.sub("-", command[0].rsplit("/", 1)[-1]).strip("-_") if command else ""
    return f"{DEFAULT_NAME}-{program}"[:100] if program else DEFAULT_NAME


def one_job_file(
    config: ClusterConfig,
    command: list[str],
    *,
    queue: str | None,
    definition: str | None,
    name: str | None,
    array_size: int | None,
    vcpus: float | None,
    memory: int | None,
    environment: dict[str, str],
    inputs: dict[str, str],
    timeout: int | None,
    retries: int | None,
) -> JobFile:
    if not command:
        raise BatchctlError("no command to run", hint="give it after --, e.g. batchctl run -- python3 -c 'print(1)'")
    job: dict[str, Any] = {
        "name": job_name(command, name),
        "queue": queue or config.queues[0].name,
        "definition": definition or _default_definition(config),
        "command": list(command),
    }
    optional = {
        "array_size": array_size,
        "vcpus": vcpus,
        "memory": memory,
        "timeout": timeout,
        "retries": retries,
        "environment": environment or None,
        "inputs": inputs or None,
    }
    job.update({key: value for key, value in optional.items() if value is not None})
    return parse_job_file(json.dumps({"jobs": [job]}, indent=1), SOURCE)


def _default_definition(config: ClusterConfig) -> str:
    if not config.job_definitions:
        raise ConfigError(
            "the cluster has no job definition to run the command with",
            hint="pass --image REFERENCE, or add one under job_definitions: in batchctl.yaml",
        )
    return config.job_definitions[0].name


def check_image_reference(image: str) -> None:
    if "/" not in image:
        raise ConfigError(
            f"--image {image}: give a full image reference (registry/repository:tag)",
            hint="for a tag of the cluster's repository use --definition, or give <repository URI>:<tag>",
        )


def image_definition_name(config: ClusterConfig, image: str) -> str:
    return f"{config.name}{IMAGE_DEFINITION_MARK}{hashlib.sha256(image.encode()).hexdigest()[:12]}"


def planned_image_definition(config: ClusterConfig, image: str) -> str:
    """What a dry run shows for the job definition an --image run would register (nothing is registered)."""
    check_image_reference(image)
    return f"arn:aws:batch:{config.region}:<account>:job-definition/{image_definition_name(config, image)}"


def image_definition(batch: Batch, resolver: Resolver, config: ClusterConfig, image: str) -> str:
    """The ARN of an ACTIVE job definition that runs `image` with the cluster's defaults (registered if needed)."""
    check_image_reference(image)
    name = image_definition_name(config, image)
    for existing in sorted(batch.active_job_definitions(name), key=lambda item: -int(item.get("revision", 0))):
        if (existing.get("containerProperties") or {}).get("image") == image:
            return str(existing["jobDefinitionArn"])
    base_name = _default_definition(config)
    found = batch.describe_job_definitions([resolver.job_definition(base_name)])
    if not found:
        raise BatchctlError(f"job definition {base_name} of the cluster was not found", hint="batchctl deploy")
    base = found[0]
    container = {key: value for key, value in (base.get("containerProperties") or {}).items() if key != "command"}
    container["image"] = image
    request: dict[str, Any] = {
        "jobDefinitionName": name,
        "type": "container",
        "containerProperties": container,
        "tags": {
            **{key: value for key, value in (base.get("tags") or {}).items() if not key.startswith("aws:")},
            "batchctl:image": image[:256],
        },
        "propagateTags": bool(base.get("propagateTags", True)),
    }
    for key in ("retryStrategy", "timeout", "platformCapabilities", "parameters"):
        if base.get(key):
            request[key] = base[key]
    return batch.register_job_definition(request)
