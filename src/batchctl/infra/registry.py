"""The cluster's ECR repository: one repository, named after the cluster, one tag per job image.

It lives in the data stack (:class:`Registry`); the compute stack sees it through the data stack's exports
(:class:`ImportedRegistry`).
"""

from __future__ import annotations

from aws_cdk import Duration, Fn, RemovalPolicy
from aws_cdk import aws_ecr as ecr
from constructs import Construct

from batchctl.config.models import ClusterConfig
from batchctl.infra.acknowledgements import skip_checkov_check
from batchctl.outputs import REPOSITORY_NAME, REPOSITORY_URI, export_name

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
            # `batchctl destroy --delete-data` deletes it. A failed creation deletes it (no orphan).
            removal_policy=RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE,
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


class ImportedRegistry:
    """The data stack's repository, seen from the compute stack."""

    def __init__(self, config: ClusterConfig) -> None:
        self.repository_uri = Fn.import_value(export_name(config.name, REPOSITORY_URI))
        self.repository_name = Fn.import_value(export_name(config.name, REPOSITORY_NAME))

    def uri_for_tag(self, tag: str) -> str:
        return Fn.join("", [self.repository_uri, f":{tag}"])
