"""The S3 client: retries transient errors, honours the standard AWS environment.

boto3 reads the region and the credentials from the environment. The endpoint (AWS_ENDPOINT_URL_S3 or
AWS_ENDPOINT_URL; the local emulator sets the latter) is passed explicitly: Debian bookworm's boto3 (1.26)
predates botocore's own support for these variables, and newer versions read the same values.
Retries use botocore's own modes; AWS_RETRY_MODE and AWS_MAX_ATTEMPTS override the defaults below.
boto3 is imported here only, so a job without inputs or outputs bucket starts without it.
"""

from __future__ import annotations

import os
from typing import Any

DEFAULT_RETRY_MODE = "adaptive"
DEFAULT_MAX_ATTEMPTS = 8


def max_attempts() -> int:
    raw = os.environ.get("AWS_MAX_ATTEMPTS", "")
    return int(raw) if raw.isdigit() and int(raw) > 0 else DEFAULT_MAX_ATTEMPTS


def client_config(max_attempts: int, read_timeout: float) -> Any:
    from botocore.config import Config

    return Config(
        retries={"mode": os.environ.get("AWS_RETRY_MODE") or DEFAULT_RETRY_MODE, "max_attempts": max_attempts},
        connect_timeout=min(10, read_timeout),
        read_timeout=read_timeout,
    )


def create_s3_client() -> Any:
    import boto3

    config = client_config(max_attempts(), read_timeout=60)
    endpoint = os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL") or None
    return boto3.client("s3", config=config, endpoint_url=endpoint)


def describe_error(error: Exception) -> str:
    """One line for an S3 failure. botocore's own text names the operation, the error code and, once retries are
    exhausted, how many were made."""
    text = " ".join(str(error).split())
    return text if type(error).__module__.startswith(("botocore", "boto3")) else f"{type(error).__name__}: {text}"
