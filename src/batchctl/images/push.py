"""`batchctl image push [TAG...]`: log in to ECR with a token and push the cluster repository's images.

As the ECR documentation describes (https://docs.aws.amazon.com/AmazonECR/latest/userguide/docker-push-ecr-image.html),
the login comes from GetAuthorizationToken, whose ``proxyEndpoint`` names the registry, and each image is tagged for
that registry and pushed. On AWS the registry is the repository URI's own host, so the tag is the image's; the local
emulator names the registry that runs beside it (``http://127.0.0.1:<port>``), so the image is tagged for it first.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any
from urllib.parse import urlparse

from batchctl.aws.ecr import Ecr
from batchctl.images.engine import ImageError, stream_messages


def local_references(client: Any, repository_uri: str) -> list[str]:
    """Every `<repository URI>:<tag>` image on this Docker engine."""
    prefix = repository_uri + ":"
    return sorted(
        tag for image in client.images.list(name=repository_uri) for tag in image.tags if tag.startswith(prefix)
    )


def registry_host(proxy_endpoint: str) -> str:
    """``https://123456789012.dkr.ecr.us-east-1.amazonaws.com`` -> ``123456789012.dkr.ecr.us-east-1.amazonaws.com``."""
    return urlparse(proxy_endpoint).netloc or proxy_endpoint


def push_target(reference: str, registry: str) -> str:
    """The name under which ``reference`` (``<host>/<repository>:<tag>``) is pushed to ``registry``."""
    host, _, path = reference.partition("/")
    return reference if host == registry else f"{registry}/{path}"


def push_images(
    client: Any, ecr: Ecr, references: list[str], on_line: Callable[[str], None] = lambda line: None
) -> list[str]:
    if not references:
        raise ImageError("no image to push", hint="build one first: batchctl image build DIR")
    username, password, endpoint = ecr.login()
    registry = registry_host(endpoint)
    auth = {"username": username, "password": password, "serveraddress": endpoint}
    for reference in references:
        target = push_target(reference, registry)
        repository, _, tag = target.rpartition(":")
        if target != reference:
            _tag(client, reference, target)
        try:
            chunks = client.api.push(repository, tag=tag, stream=True, decode=True, auth_config=auth)
            for chunk in stream_messages(chunks, f"pushing {reference}"):
                status = str(chunk.get("status", ""))
                if (status and "id" not in chunk) or status in ("Pushed", "Layer already exists"):
                    on_line(f"{chunk.get('id', '')} {status}".strip())
        finally:
            if target != reference:
                with contextlib.suppress(Exception):  # only the registry alias goes; the image stays
                    client.api.remove_image(target, noprune=True)
    return references


def _tag(client: Any, reference: str, target: str) -> None:
    repository, _, tag = target.rpartition(":")
    try:
        client.api.tag(reference, repository, tag=tag)
    except Exception as exc:  # the SDK raises docker and requests errors alike
        text = str(getattr(exc, "explanation", "") or exc).strip()
        raise ImageError(
            f"cannot tag {reference} for the registry: {text.splitlines()[0] if text else type(exc).__name__}",
            hint="build it first: batchctl image build DIR --tag " + reference.rpartition(":")[2],
        ) from None
