"""The cluster's ECR repository: one repository, named after the cluster, one tag per job image."""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_ecr as ecr
from constructs import Construct

from batchctl.config.models import ClusterConfig
from batchctl.infra.acknowledgements import skip_checkov_check

UNTAGGED_IMAGE_DAYS = 14


class Registry(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, config: ClusterConfig) -> None:
        super().__init__(scope, construct_id)
        self.repository = ecr.Repository(
            self,
            "Repository",
            repository_name=config.name,
            image_scan_on_push=True,
            lifecycle_rules=[
                ecr.LifecycleRule(
                    description="Expire images no tag points to any more",
                    tag_status=ecr.TagStatus.UNTAGGED,
                    max_image_age=Duration.days(UNTAGGED_IMAGE_DAYS),
                )
            ],
            # Retained like the buckets, so deleting the stack never fails on (or silently loses) images:
            # `batchctl destroy` then deletes the repository when it is empty or --delete-data is given.
            removal_policy=RemovalPolicy.RETAIN,
        )
        skip_checkov_check(
            self.repository,
            "CKV_AWS_51",
            "Job definitions name their image by tag (helloworld) and `batchctl image push` moves the tag to the "
            "new build: immutable tags would freeze every job definition. Scan on push is on; untagged images expire.",
        )
        skip_checkov_check(
            self.repository,
            "CKV_AWS_136",
            "ECR encrypts every image at rest (AES-256). A KMS key adds KMS request charges and, as a repository's "
            "encryption is fixed at creation, switching would replace the repository and its images.",
        )
