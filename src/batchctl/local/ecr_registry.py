"""The emulator's ECR answers for the registry beside it: login, images pushed, repositories deleted.

moto's ECR keeps repositories; the images are in the registry (:mod:`batchctl.local.registry_process`). This layer,
in front of moto, makes the ECR calls that concern images tell the truth about the registry:

- ``GetAuthorizationToken``: ``proxyEndpoint`` is the registry (``http://127.0.0.1:<port>``), as on AWS it is the
  registry to log in to and tag images for
  (https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_AuthorizationData.html). moto's token
  (``AWS:<account>-auth-token``, base64) is passed through unchanged; the local registry accepts any login. Without
  a registry the call fails, saying how to install one.
- ``ListImages``: the repository's pushed tags (with their digests) are listed beside moto's own images.
- ``DeleteRepository``: a repository that still holds pushed images is refused without ``force``
  (``RepositoryNotEmptyException``); with ``force`` its images leave the registry too
  (https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_DeleteRepository.html).
- ``BatchDeleteImage``: the images named by tag or digest leave the registry (a digest takes all its tags with it:
  the registry cannot untag).

The one registry serves every account and region: an image is known by its repository name.
"""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Callable, Iterable
from typing import Any

from batchctl.local import registry_api

TARGET_PREFIX = "AmazonEC2ContainerRegistry_V20150921."
GET_AUTHORIZATION_TOKEN = TARGET_PREFIX + "GetAuthorizationToken"
LIST_IMAGES = TARGET_PREFIX + "ListImages"
DELETE_REPOSITORY = TARGET_PREFIX + "DeleteRepository"
BATCH_DELETE_IMAGE = TARGET_PREFIX + "BatchDeleteImage"
DEFAULT_ACCOUNT = "123456789012"  # moto's account for any credentials that do not name another
_MAX_BODY = 1024 * 1024
_UNAVAILABLE = "500 Internal Server Error"

logger = logging.getLogger("batchctl.local.ecr_registry")

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def proxy_endpoint(address: str) -> str:
    return f"http://{address}"


class _Answer:
    """moto's answer to one request, held so it can be changed before it is sent."""

    def __init__(self, app: WsgiApp, environ: dict[str, Any]) -> None:
        captured: list[tuple[str, list[tuple[str, str]]]] = []

        def capture(status: str, headers: list[tuple[str, str]], *args: Any) -> Callable[[bytes], Any]:
            captured.append((status, headers))
            return lambda data: None

        self.body = b"".join(app(environ, capture))
        self.status, self.headers = captured[0]

    @property
    def ok(self) -> bool:
        return self.status.startswith("200")

    def json(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(self.body)
        return data

    def send(self, start_response: Callable[..., Any], data: dict[str, Any] | None = None) -> list[bytes]:
        body = self.body if data is None else json.dumps(data).encode()
        headers = [(name, value) for name, value in self.headers if name.lower() != "content-length"]
        start_response(self.status, [*headers, ("Content-Length", str(len(body)))])
        return [body]


def _error(start_response: Callable[..., Any], code: str, message: str, status: str = "400 Bad Request") -> list[bytes]:
    """An error as AWS's JSON protocol sends it (botocore reads ``__type``)."""
    body = json.dumps({"__type": code, "message": message}).encode()
    headers = [("Content-Type", "application/x-amz-json-1.1"), ("x-amzn-ErrorType", code)]
    start_response(status, [*headers, ("Content-Length", str(len(body)))])
    return [body]


def _request_json(environ: dict[str, Any]) -> dict[str, Any]:
    """The request's JSON body, leaving it readable for moto."""
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if not 0 < length <= _MAX_BODY:
        return {}
    body = environ["wsgi.input"].read(length)
    environ["wsgi.input"] = io.BytesIO(body)
    try:
        data = json.loads(body)
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def with_registry(app: WsgiApp, address: Callable[[], str | None]) -> WsgiApp:
    """ECR image calls answered with the registry at ``address()``; without a registry, moto's answers as they are."""

    def ecr_app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        target = environ.get("HTTP_X_AMZ_TARGET")
        registry = address() if target in _HANDLERS else None
        if registry is None and target == GET_AUTHORIZATION_TOKEN:
            # Nothing to log in to: say so, rather than send a client to the real ECR endpoint.
            message = "the local emulator has no image registry: install docker-registry (scripts/setup-registry.sh)"
            # A 400, not ECR's 500 for ServerException: SDKs would retry a 500 for a minute, to no avail.
            return _error(start_response, "ServerException", message + ", then restart the emulator")
        if registry is None:
            return app(environ, start_response)
        request = _request_json(environ)
        try:
            return _HANDLERS[str(target)](app, environ, start_response, registry, request)
        except registry_api.RegistryApiError as err:
            logger.warning("image registry: %s", err)
            message = f"the local image registry failed: {err}"
            return _error(start_response, "ServerException", message, _UNAVAILABLE)

    return ecr_app


Handler = Callable[[WsgiApp, dict[str, Any], Callable[..., Any], str, dict[str, Any]], list[bytes]]


def _get_authorization_token(
    app: WsgiApp, environ: dict[str, Any], start_response: Callable[..., Any], registry: str, request: dict[str, Any]
) -> list[bytes]:
    answer = _Answer(app, environ)
    if not answer.ok:
        return answer.send(start_response)
    data = answer.json()
    for item in data.get("authorizationData", []):
        item["proxyEndpoint"] = proxy_endpoint(registry)
    return answer.send(start_response, data)


def _list_images(
    app: WsgiApp, environ: dict[str, Any], start_response: Callable[..., Any], registry: str, request: dict[str, Any]
) -> list[bytes]:
    answer = _Answer(app, environ)
    tag_status = str((request.get("filter") or {}).get("tagStatus", "ANY"))
    if not answer.ok or tag_status == "UNTAGGED":
        return answer.send(start_response)
    data = answer.json()
    listed = data.setdefault("imageIds", [])
    known = {item.get("imageTag") for item in listed}
    for image in registry_api.images(registry, str(request.get("repositoryName", ""))):
        if image.tag not in known:
            listed.append({"imageDigest": image.digest, "imageTag": image.tag})
    return answer.send(start_response, data)


def _delete_repository(
    app: WsgiApp, environ: dict[str, Any], start_response: Callable[..., Any], registry: str, request: dict[str, Any]
) -> list[bytes]:
    repository = str(request.get("repositoryName", ""))
    pushed = registry_api.images(registry, repository)
    if pushed and not request.get("force"):
        account = str(request.get("registryId") or DEFAULT_ACCOUNT)
        return _error(
            start_response,
            "RepositoryNotEmptyException",
            f"The repository with name '{repository}' in registry with id '{account}' cannot be deleted because it "
            "still contains images",
        )
    answer = _Answer(app, environ)
    if answer.ok:
        for digest in {image.digest for image in pushed}:
            registry_api.delete(registry, repository, digest)
        if pushed:
            logger.info("deleted %d image(s) of repository %s from the registry", len(pushed), repository)
    return answer.send(start_response)


def _batch_delete_image(
    app: WsgiApp, environ: dict[str, Any], start_response: Callable[..., Any], registry: str, request: dict[str, Any]
) -> list[bytes]:
    repository = str(request.get("repositoryName", ""))
    pushed = registry_api.images(registry, repository)
    wanted = request.get("imageIds") or []
    tags = {item.get("imageTag") for item in wanted if item.get("imageTag")}
    digests = {item.get("imageDigest") for item in wanted if item.get("imageDigest")}
    doomed = [image for image in pushed if image.tag in tags or image.digest in digests]
    answer = _Answer(app, environ)
    if not answer.ok:
        return answer.send(start_response)
    data = answer.json()
    for digest in {image.digest for image in doomed}:
        registry_api.delete(registry, repository, digest)
    deleted = data.setdefault("imageIds", [])
    deleted.extend({"imageDigest": image.digest, "imageTag": image.tag} for image in doomed)
    found = {image.tag for image in doomed} | {image.digest for image in doomed}
    data["failures"] = [
        failure
        for failure in data.get("failures", [])
        if (failure.get("imageId") or {}).get("imageTag") not in found
        and (failure.get("imageId") or {}).get("imageDigest") not in found
    ]
    return answer.send(start_response, data)


_HANDLERS: dict[str, Handler] = {
    GET_AUTHORIZATION_TOKEN: _get_authorization_token,
    LIST_IMAGES: _list_images,
    DELETE_REPOSITORY: _delete_repository,
    BATCH_DELETE_IMAGE: _batch_delete_image,
}
