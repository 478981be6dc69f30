"""s3://bucket/key URLs."""

from __future__ import annotations

from dataclasses import dataclass

from .errors import UsageError

SCHEME = "s3://"


@dataclass(frozen=True)
class S3Url:
    bucket: str
    key: str = ""

    @classmethod
    def parse(cls, url: str, *, what: str) -> S3Url:
        """Parse `url`; `what` names its source (e.g. the variable) in the error message."""
        if not url.startswith(SCHEME):
            raise UsageError(f"{what}: {url!r} is not an s3:// URL")
        bucket, _, key = url[len(SCHEME) :].partition("/")
        if not bucket:
            raise UsageError(f"{what}: {url!r} names no bucket")
        return cls(bucket, key)

    @property
    def is_prefix(self) -> bool:
        """A URL ending with "/" (or naming only a bucket) stands for everything under it."""
        return self.key == "" or self.key.endswith("/")

    def as_prefix(self) -> S3Url:
        return self if self.is_prefix else S3Url(self.bucket, self.key + "/")

    def join(self, relative: str) -> S3Url:
        return S3Url(self.bucket, self.as_prefix().key + relative)

    def __str__(self) -> str:
        return f"{SCHEME}{self.bucket}/{self.key}"
