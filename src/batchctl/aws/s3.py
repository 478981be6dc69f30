"""S3: bucket existence and emptiness, emptying and deleting, template uploads."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

from batchctl.aws.errors import aws_call, error_code


class S3:
    def __init__(self, client: Any, region: str = "") -> None:
        self._client = client
        self._region = region

    @aws_call
    def bucket_exists(self, bucket: str) -> bool:
        try:
            self._client.head_bucket(Bucket=bucket)
        except ClientError as exc:
            if error_code(exc) in ("404", "NoSuchBucket", "NotFound"):
                return False
            raise
        return True

    @aws_call
    def holds_objects(self, bucket: str) -> bool:
        """True when the bucket holds any object or object version (a versioned bucket can look empty)."""
        versions = self._client.list_object_versions(Bucket=bucket, MaxKeys=1)
        return bool(versions.get("Versions") or versions.get("DeleteMarkers"))

    @aws_call
    def empty_and_delete(self, bucket: str) -> None:
        paginator = self._client.get_paginator("list_object_versions")
        for page in paginator.paginate(Bucket=bucket):
            entries = [
                {"Key": item["Key"], "VersionId": item["VersionId"]}
                for item in page.get("Versions", []) + page.get("DeleteMarkers", [])
            ]
            # DeleteObjects takes at most 1000 keys, which is also the page size.
            if entries:
                self._client.delete_objects(Bucket=bucket, Delete={"Objects": entries, "Quiet": True})
        self._client.delete_bucket(Bucket=bucket)

    @aws_call
    def delete_bucket(self, bucket: str) -> None:
        self._client.delete_bucket(Bucket=bucket)

    @aws_call
    def ensure_private_bucket(self, bucket: str) -> None:
        """Create an encrypted bucket with public access blocked, unless it exists."""
        if self.bucket_exists(bucket):
            return
        kwargs: dict[str, Any] = {"Bucket": bucket}
        if self._region != "us-east-1":
            kwargs["CreateBucketConfiguration"] = {"LocationConstraint": self._region}
        self._client.create_bucket(**kwargs)
        self._client.put_public_access_block(
            Bucket=bucket,
            PublicAccessBlockConfiguration={
                "BlockPublicAcls": True,
                "IgnorePublicAcls": True,
                "BlockPublicPolicy": True,
                "RestrictPublicBuckets": True,
            },
        )
        self._client.put_bucket_encryption(
            Bucket=bucket,
            ServerSideEncryptionConfiguration={
                "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]
            },
        )

    @aws_call
    def list_objects(self, bucket: str, prefix: str) -> list[tuple[str, int, datetime | None]]:
        """(key, size, last modified) of every object under `prefix`; folder markers left out."""
        paginator = self._client.get_paginator("list_objects_v2")
        return [
            (item["Key"], int(item.get("Size", 0)), item.get("LastModified"))
            for page in paginator.paginate(Bucket=bucket, Prefix=prefix)
            for item in page.get("Contents", [])
            if not item["Key"].endswith("/")
        ]

    @aws_call
    def download(self, bucket: str, key: str, target: Path) -> None:
        self._client.download_file(bucket, key, str(target))

    @aws_call
    def put_text(self, bucket: str, key: str, body: str) -> str:
        """Upload text; returns the object's https URL (the form CloudFormation's TemplateURL takes)."""
        self._client.put_object(Bucket=bucket, Key=key, Body=body.encode("utf-8"))
        return f"https://{bucket}.s3.{self._region}.amazonaws.com/{key}"
