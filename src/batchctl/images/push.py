"""`batchctl image push [TAG...]`: log in to ECR with a token and push the cluster repository's images.

The local emulator has no registry: there the push is skipped and jobs run the locally tagged image.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from batchctl.aws.ecr import Ecr
from batchctl.images.engine import ImageError, stream_messages


def local_references(client: Any, repository_uri: str) -> list[str]:
    """Every `<repository URI>:<tag>` image on this Docker engine."""
    prefix = repository_uri + ":"
    return sorted(
        tag for image in client.images.list(name=repository_uri) for tag in image.tags if tag.startswith(prefix)
    )


def push_images(
    client: Any, ecr: Ecr, references: list[str], on_line: Callable[[str], None] = lambda line: None
) -> list[str]:
    if not references:
        raise ImageError("no image to push", hint="build one first: batchctl image build DIR")
    username, password, registry = ecr.login()
    auth = {"username": username, "password": password, "serveraddress": registry}
    for reference in references:
        repository, _, tag = reference.rpartition(":")
        chunks = client.api.push(repository, tag=tag, stream=True, decode=True, auth_config=auth)
        for chunk in stream_messages(chunks, f"pushing {reference}"):
            status = str(chunk.get("status", ""))
            if (status and "id" not in chunk) or status in ("Pushed", "Layer already exists"):
                on_line(f"{chunk.get('id', '')} {status}".strip())
    return references
