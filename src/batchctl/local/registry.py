"""Where local job images come from (ECR repository URIs resolve to a registry on 127.0.0.1)."""

from __future__ import annotations


class ImagePullError(RuntimeError):
    """The image cannot be pulled; str() is the reason AWS Batch reports (CannotPullContainerError: ...)."""


def image_for_job(image: str) -> str:
    """The reference the local Docker engine should run for a job's image; raises ImagePullError."""
    return image
