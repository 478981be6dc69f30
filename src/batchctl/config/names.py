"""What read-only commands need of batchctl.yaml: the cluster's name and region and the short names of its queues
and job definitions, read without building the validated models (pydantic and the models cost `queues`, `jobs` and
`show` about 0.1 s of start-up, more than their AWS calls).

The cheap read accepts only a plainly well-formed file in those keys; for anything else it defers to the full
validation (`config.loader.load_config`), so every error about batchctl.yaml is worded and located in one place.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from batchctl import outputs
from batchctl.config.regions import DEFAULT_REGION, region_problem
from batchctl.config.yaml_document import read_yaml

# The cluster name prefixes S3 bucket names (lower case, <= 63 chars with
# "-workspace-<12-digit account>-<region>" appended), the ECR repository name (lower case)
# and every Batch / CloudFormation name: the intersection of those rules is below.
CLUSTER_NAME_PATTERN = r"^[a-z][a-z0-9-]{0,22}[a-z0-9]$"
# Short names of compute environments, queues and job definitions (prefixed with the
# cluster name in AWS; Batch allows 128 letters, digits, hyphens and underscores).
SHORT_NAME_PATTERN = r"^[a-z][a-z0-9-]{0,38}[a-z0-9]$|^[a-z]$"


@dataclass(frozen=True)
class ClusterNames:
    name: str
    region: str
    queues: tuple[str, ...]
    job_definitions: tuple[str, ...]

    def resource_name(self, short: str) -> str:
        """The AWS name of a cluster-owned resource (queue, compute environment, job definition)."""
        return outputs.resource_name(self.name, short)


def read_names(path: Path | str) -> ClusterNames:
    """The cluster's names from batchctl.yaml; a file that is not plainly well-formed there is validated fully
    (and its errors raised as `batchctl validate` words them)."""
    data, _ = read_yaml(Path(path))
    names = _names_of(data)
    if names is None:
        from batchctl.config.loader import load_config

        return load_config(path).names
    return names


def _names_of(data: Any) -> ClusterNames | None:
    if not isinstance(data, dict):
        return None
    name, region = data.get("name"), data.get("region", DEFAULT_REGION)
    if not (isinstance(name, str) and re.fullmatch(CLUSTER_NAME_PATTERN, name)):
        return None
    if not isinstance(region, str) or region_problem(region) is not None:
        return None
    queues = _short_names(data.get("queues"), required=True)
    definitions = _short_names(data.get("job_definitions", []), required=False)
    if queues is None or definitions is None:
        return None
    return ClusterNames(name, region, queues, definitions)


def _short_names(items: Any, *, required: bool) -> tuple[str, ...] | None:
    if not isinstance(items, list) or (required and not items):
        return None
    names = tuple(item.get("name") if isinstance(item, dict) else None for item in items)
    if not all(isinstance(name, str) and re.fullmatch(SHORT_NAME_PATTERN, name) for name in names):
        return None
    if len(set(names)) != len(names):
        return None  # duplicates: the checks say which
    return names  # type: ignore[return-value]
