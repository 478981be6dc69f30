"""Where a job definition's repository image lives in the cluster's single ECR repository.

The repository is named after the cluster, so an image `helloworld:latest` of the configuration
becomes the tag `helloworld-latest` of that repository (a tag cannot hold a colon). Building,
pushing and the job definitions must agree on this mapping: it lives here, free of aws_cdk.
"""

from __future__ import annotations

DEFAULT_TAG = "latest"


def repository_tag(image: str) -> str:
    """`helloworld:latest` -> `helloworld-latest`; `helloworld` -> `helloworld-latest`."""
    name, _, tag = image.partition(":")
    return f"{name}-{tag or DEFAULT_TAG}"
