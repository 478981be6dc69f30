"""The tags every cluster resource carries."""

from __future__ import annotations

from aws_cdk import Tags
from constructs import IConstruct

from batchctl.config.models import ClusterConfig

CLUSTER_TAG = "batchctl:cluster"


def cluster_tags(config: ClusterConfig) -> dict[str, str]:
    """The configuration's tags plus the one that says which cluster a resource belongs to."""
    return {**config.tags, CLUSTER_TAG: config.name}


def apply_cluster_tags(scope: IConstruct, config: ClusterConfig) -> None:
    for key, value in cluster_tags(config).items():
        Tags.of(scope).add(key, value)
