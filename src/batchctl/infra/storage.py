"""The cluster's buckets: its own inputs / workspace / outputs, or buckets that already exist."""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import Aws, Duration, Fn, RemovalPolicy
from aws_cdk import aws_s3 as s3
from constructs import Construct

from batchctl.config.models import ClusterConfig
from batchctl.infra.acknowledgements import acknowledge, skip_checkov_check
from batchctl.outputs import BUCKET_ROLES, pascal

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


class Storage(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, config: ClusterConfig) -> None:
        super().__init__(scope, construct_id)
        storage = config.storage
        self.buckets: dict[str, s3.Bucket] = {}
        if storage.create_buckets:
            for role in BUCKET_ROLES:
                self.buckets[role] = self._bucket(config, role)
        own = {role: BucketAccess(bucket.bucket_name, bucket.bucket_arn) for role, bucket in self.buckets.items()}
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
            # Data outlives the cluster: `batchctl destroy` deletes the buckets only when empty.
            removal_policy=RemovalPolicy.RETAIN,
        )
        acknowledge(bucket, "AwsSolutions-S1", ACCESS_LOGS_REASON)
        skip_checkov_check(bucket, "CKV_AWS_18", ACCESS_LOGS_REASON)
        if role not in VERSIONED_ROLES:
            skip_checkov_check(bucket, "CKV_AWS_21", UNVERSIONED_REASON)
        return bucket
