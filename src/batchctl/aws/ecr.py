"""ECR: repository contents (for destroy) and registry login (for image push)."""

from __future__ import annotations

import base64
from typing import Any

from botocore.exceptions import ClientError

from batchctl.aws.errors import aws_call, error_code


class Ecr:
    def __init__(self, client: Any) -> None:
        self._client = client

    @aws_call
    def image_count(self, repository: str) -> int | None:
        """How many images the repository holds; None when it does not exist."""
        try:
            paginator = self._client.get_paginator("list_images")
            return sum(len(page["imageIds"]) for page in paginator.paginate(repositoryName=repository))
        except ClientError as exc:
            if error_code(exc) == "RepositoryNotFoundException":
                return None
            raise

    @aws_call
    def delete_repository(self, repository: str, force: bool) -> None:
        self._client.delete_repository(repositoryName=repository, force=force)

    @aws_call
    def login(self) -> tuple[str, str, str]:
        """(username, password, registry) from an ECR authorization token."""
        data = self._client.get_authorization_token()["authorizationData"][0]
        username, password = base64.b64decode(data["authorizationToken"]).decode().split(":", 1)
        return username, password, data["proxyEndpoint"]
