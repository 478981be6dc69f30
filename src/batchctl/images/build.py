"""`batchctl image build DIR [--tag T]`: build DIR's Dockerfile as <repository URI>:<tag>.

Builds use host networking (`network_mode="host"`): a build's RUN steps then need no Docker bridge network.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from batchctl.config.models import ECR_TAG_PATTERN
from batchctl.images.engine import ImageError, stream_messages


@dataclass(frozen=True)
class BuiltImage:
    reference: str  # <repository URI>:<tag>
    image_id: str


def default_tag(directory: Path) -> str:
    """The directory's name, made a valid image tag."""
    name = re.sub(r"[^A-Za-z0-9._-]", "-", directory.resolve().name).lstrip(".-") or "latest"
    return name[:128]


def image_reference(repository_uri: str, tag: str) -> str:
    if not re.fullmatch(ECR_TAG_PATTERN, tag):
        raise ImageError(
            f"{tag!r} is not a valid image tag", hint="use letters, digits, '.', '_' and '-' (at most 128)"
        )
    return f"{repository_uri}:{tag}"


def build_image(
    client: Any, directory: Path, reference: str, on_line: Callable[[str], None] = lambda line: None
) -> BuiltImage:
    if not directory.is_dir():
        raise ImageError(f"{directory} is not a directory", hint="pass the directory that holds the Dockerfile")
    if not (directory / "Dockerfile").is_file():
        raise ImageError(f"no Dockerfile in {directory}")
    image_id = ""
    chunks = client.api.build(path=str(directory), tag=reference, network_mode="host", rm=True, decode=True)
    for chunk in stream_messages(chunks, f"building {reference}"):
        text = str(chunk.get("stream", "")).rstrip()
        if text:
            on_line(text)
        image_id = (chunk.get("aux") or {}).get("ID", image_id)
    if not image_id:
        image_id = str(client.images.get(reference).id)
    return BuiltImage(reference, image_id)
