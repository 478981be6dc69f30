"""The tags every cluster resource carries."""

from __future__ import annotations

from aws_cdk import Tags
from constructs import IConstruct

from batchctl.config.models import ClusterConfig

CLUSTER_TAG = "batchctl:cluster"
# Their top-level Tags are create-only: a changed tag would make CloudFormation replace these named resources,
# which it refuses. Compute is tagged through ComputeResources.Tags and the launch template instead.
# https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-batch-computeenvironment.html
# https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-batch-jobqueue.html
# https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-batch-schedulingpolicy.html
UNTAGGED_TYPES = ("AWS::Batch::ComputeEnvironment", "AWS::Batch::JobQueue", "AWS::Batch::SchedulingPolicy")


def cluster_tags(config: ClusterConfig) -> dict[str, str]:
    """The configuration's tags plus the one that says which cluster a resource belongs to."""
    return {**config.tags, CLUSTER_TAG: config.name}


def apply_cluster_tags(scope: IConstruct, config: ClusterConfig) -> None:
    for key, value in cluster_tags(config).items():
        Tags.of(scope).add(key, value, exclude_resource_types=list(UNTAGGED_TYPES))
