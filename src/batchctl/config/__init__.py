"""Cluster configuration: the schema, loading with located errors, and semantic checks.

The names below are imported on first use (PEP 562): importing a light submodule such as `config.names` or
`config.suggest` must not build the pydantic models, which cost read-only commands about 0.1 s of start-up.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from batchctl.config.checks import check_config
    from batchctl.config.findings import Finding, Level
    from batchctl.config.loader import DEFAULT_CONFIG_FILE, load_config
    from batchctl.config.models import ClusterConfig

__all__ = ["DEFAULT_CONFIG_FILE", "ClusterConfig", "Finding", "Level", "check_config", "load_config"]

_HOMES = {
    "check_config": "batchctl.config.checks",
    "Finding": "batchctl.config.findings",
    "Level": "batchctl.config.findings",
    "DEFAULT_CONFIG_FILE": "batchctl.config.loader",
    "load_config": "batchctl.config.loader",
    "ClusterConfig": "batchctl.config.models",
}


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(_HOMES[name]), name)
    globals()[name] = value
    return value
