"""Cluster configuration: the schema, loading with located errors, and semantic checks."""

from batchctl.config.checks import check_config
from batchctl.config.findings import Finding, Level
from batchctl.config.loader import DEFAULT_CONFIG_FILE, load_config
from batchctl.config.models import ClusterConfig

__all__ = ["DEFAULT_CONFIG_FILE", "ClusterConfig", "Finding", "Level", "check_config", "load_config"]
