"""The few calls of the registry's HTTP API (distribution API v2) the emulator needs: tags, digests, deletion.

https://distribution.github.io/distribution/spec/api/ (``/v2/<name>/tags/list``, ``/v2/<name>/manifests/<reference>``)
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass

_DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))
_TIMEOUT = 5.0
# What a pushed image's manifest can be: Docker's schema 2 (and its list), or OCI's manifest (and index).
MANIFEST_TYPES = ", ".join(
    [
        "application/vnd.docker.distribution.manifest.v2+json",
        "application/vnd.docker.distribution.manifest.list.v2+json",
        "application/vnd.oci.image.manifest.v1+json",
        "application/vnd.oci.image.index.v1+json",
    ]
)


class RegistryApiError(RuntimeError):
    """The registry did not answer as expected."""


@dataclass(frozen=True)
class TaggedImage:
    tag: str
    digest: str


def _url(address: str, repository: str, *parts: str) -> str:
    quoted = "/".join(urllib.parse.quote(part, safe="") for part in parts)
    return f"http://{address}/v2/{repository}/{quoted}"


def tags(address: str, repository: str) -> list[str]:
    """The repository's tags; none when the registry has never seen it."""
    try:
        with _DIRECT.open(_url(address, repository, "tags", "list"), timeout=_TIMEOUT) as response:
            data = json.loads(response.read())
    except urllib.error.HTTPError as err:
        if err.code == 404:
            return []
        raise RegistryApiError(f"listing tags of {repository}: HTTP {err.code}") from None
    except (OSError, ValueError) as err:
        raise RegistryApiError(f"listing tags of {repository}: {err}") from None
    return sorted(str(tag) for tag in data.get("tags") or [])


def digest(address: str, repository: str, tag: str) -> str:
    request = urllib.request.Request(
        _url(address, repository, "manifests", tag), method="HEAD", headers={"Accept": MANIFEST_TYPES}
    )
    try:
        with _DIRECT.open(request, timeout=_TIMEOUT) as response:
            found = response.headers.get("Docker-Content-Digest")
    except (OSError, ValueError) as err:
        raise RegistryApiError(f"reading {repository}:{tag}: {err}") from None
    if not found:
        raise RegistryApiError(f"the registry gave no digest for {repository}:{tag}")
    return str(found)


def images(address: str, repository: str) -> list[TaggedImage]:
    return [TaggedImage(tag, digest(address, repository, tag)) for tag in tags(address, repository)]


def delete(address: str, repository: str, image_digest: str) -> None:
    """Delete a manifest (every tag that names it); its layers stay until the registry's garbage collection."""
    request = urllib.request.Request(_url(address, repository, "manifests", image_digest), method="DELETE")
    try:
        with _DIRECT.open(request, timeout=_TIMEOUT):
            pass
    except urllib.error.HTTPError as err:
        if err.code != 404:
            raise RegistryApiError(f"deleting {repository}@{image_digest}: HTTP {err.code}") from None
    except OSError as err:
        raise RegistryApiError(f"deleting {repository}@{image_digest}: {err}") from None
