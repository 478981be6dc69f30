"""The emulator's ECR login names its registry: GetAuthorizationToken answers with the registry's address.

On AWS, ``GetAuthorizationToken`` returns a token and the ``proxyEndpoint`` to log in to
(``https://<account>.dkr.ecr.<region>.amazonaws.com``); a client tags images for that registry and pushes them there
(https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_AuthorizationData.html). The emulator answers with the
address of the registry that runs beside it (``http://127.0.0.1:<port>``), so the same client code pushes to it.
moto's token (``AWS:<account>-auth-token``, base64) is passed through unchanged; the local registry accepts any login.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

GET_AUTHORIZATION_TOKEN = "AmazonEC2ContainerRegistry_V20150921.GetAuthorizationToken"

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def proxy_endpoint(address: str) -> str:
    return f"http://{address}"


def with_registry_endpoint(app: WsgiApp, address: Callable[[], str | None]) -> WsgiApp:
    """Rewrite ``proxyEndpoint`` of GetAuthorizationToken answers to the registry at ``address()`` (when one runs)."""

    def endpoint_app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        registry = address()
        if registry is None or environ.get("HTTP_X_AMZ_TARGET") != GET_AUTHORIZATION_TOKEN:
            return app(environ, start_response)
        captured: list[tuple[str, list[tuple[str, str]]]] = []

        def capture(status: str, headers: list[tuple[str, str]], *args: Any) -> Callable[[bytes], Any]:
            captured.append((status, headers))
            return lambda data: None

        body = b"".join(app(environ, capture))
        status, headers = captured[0]
        if status.startswith("200"):
            data = json.loads(body)
            for item in data.get("authorizationData", []):
                item["proxyEndpoint"] = proxy_endpoint(registry)
            body = json.dumps(data).encode()
        headers = [(name, value) for name, value in headers if name.lower() != "content-length"]
        start_response(status, [*headers, ("Content-Length", str(len(body)))])
        return [body]

    return endpoint_app
