"""The cluster's buckets: its own inputs / workspace / outputs, or buckets that already exist.

The cluster's own buckets live in the data stack (:class:`DataBuckets`), which outlives the compute stack; the
compute stack sees them through the data stack's exports (:class:`Storage`).
"""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import Aws, Duration, Fn, RemovalPolicy
from aws_cdk import aws_s3 as s3
from constructs import Construct

from batchctl.config.models import ClusterConfig
from batchctl.infra.acknowledgements import acknowledge, skip_checkov_check
from batchctl.outputs import BUCKET, BUCKET_ROLES, export_name, output_key, pascal

READ_ROLES = ("inputs",)
READ_WRITE_ROLES = ("workspace", "outputs")
VERSIONED_ROLES = ("outputs",)

ACCESS_LOGS_REASON = (
    "Job data buckets: object access is audited with CloudTrail data events where required; "
    "server access logs would need one more bucket per cluster."
)
UNVERSIONED_REASON = (
    "Inputs are copies of data users keep elsewhere and the workspace holds scratch files between job steps: "
    "versioning would bill every overwritten object. The outputs bucket is versioned."
)


@dataclass(frozen=True)
class BucketAccess:
    """A bucket the jobs use: its name and ARN (tokens for the cluster's own buckets)."""

    name: str
    arn: str

    @property
    def objects_arn(self) -> str:
        return f"{self.arn}/*"


def existing_bucket(name: str) -> BucketAccess:
    return BucketAccess(name=name, arn=f"arn:{Aws.PARTITION}:s3:::{name}")


def imported_bucket(config: ClusterConfig, role: str) -> BucketAccess:
    """One of the cluster's own buckets, as the compute stack sees it: through the data stack's export."""
    name = Fn.import_value(export_name(config.name, output_key(BUCKET, role)))
    return BucketAccess(name=name, arn=Fn.join("", [f"arn:{Aws.PARTITION}:s3:::", name]))


class Storage(Construct):
    """The buckets jobs use, seen from the compute stack: the cluster's own (imported) and existing ones."""

    def __init__(self, scope: Construct, construct_id: str, *, config: ClusterConfig) -> None:
        super().__init__(scope, construct_id)
        storage = config.storage
        own = {role: imported_bucket(config, role) for role in BUCKET_ROLES} if storage.create_buckets else {}
        # A bucket listed both ways is read-write (the configuration checks warn about it).
        self.existing_read_only = [name for name in storage.read_only if name not in storage.read_write]
        self.existing_read_write = list(storage.read_write)

        self.by_role: dict[str, BucketAccess] = own
        self.read_buckets: list[BucketAccess] = [own[role] for role in READ_ROLES if role in own] + [
            existing_bucket(name) for name in self.existing_read_only
        ]
        self.read_write_buckets: list[BucketAccess] = [own[role] for role in READ_WRITE_ROLES if role in own] + [
            existing_bucket(name) for name in self.existing_read_write
        ]
        self.outputs_bucket: BucketAccess | None = own.get("outputs") or self._existing_outputs_bucket(config)

    @staticmethod
    def _existing_outputs_bucket(config: ClusterConfig) -> BucketAccess | None:
        storage = config.storage
        name = storage.outputs_bucket or next(iter(storage.read_write), None)
        return existing_bucket(name) if name else None


class DataBuckets(Construct):
    """The cluster's own buckets (data stack), when it creates them."""

    def __init__(self, scope: Construct, construct_id: str, *, config: ClusterConfig) -> None:
        super().__init__(scope, construct_id)
        self.by_role: dict[str, s3.Bucket] = {}
        if config.storage.create_buckets:
            for role in BUCKET_ROLES:
                self.by_role[role] = self._bucket(config, role)

    def _bucket(self, config: ClusterConfig, role: str) -> s3.Bucket:
        bucket = s3.Bucket(
            self,
            pascal(role),
            # Account and region make the name globally unique, as S3 requires.
            bucket_name=Fn.join("-", [config.name, role, Aws.ACCOUNT_ID, Aws.REGION]),
            encryption=s3.BucketEncryption.S3_MANAGED,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            enforce_ssl=True,
            versioned=role in VERSIONED_ROLES,
            lifecycle_rules=[
                # Parts of failed multipart uploads are invisible and billed until removed.
                s3.LifecycleRule(
                    id="AbortIncompleteMultipartUploads",
                    abort_incomplete_multipart_upload_after=Duration.days(7),
                )
            ],
            # Data outlives the stack (`destroy --delete-data` empties and deletes the buckets), except when the
            # stack's creation fails: then CloudFormation deletes them, and no orphan blocks the next deploy.
            # https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-attribute-deletionpolicy.html
            removal_policy=RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE,
        )
        acknowledge(bucket, "AwsSolutions-S1", ACCESS_LOGS_REASON)
        skip_checkov_check(bucket, "CKV_AWS_18", ACCESS_LOGS_REASON)
        if role not in VERSIONED_ROLES:
            skip_checkov_check(bucket, "CKV_AWS_21", UNVERSIONED_REASON)
        return bucket
