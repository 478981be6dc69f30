"""Who may talk to the dashboard: the loopback origin it printed, with its token.

- Path: every page is under a random base path, the cookie's Path (other servers on 127.0.0.1 never receive it).
- Host: only `127.0.0.1:PORT` / `localhost:PORT` (a page on another name that resolves to 127.0.0.1, DNS
  rebinding, sends its own name and gets 403).
- Token: `?token=` once (compared in constant time), then an HttpOnly, SameSite=Strict cookie; anything else 403.
  The token'd URL is answered with a redirect to the same URL without it, so it leaves the address bar.
- Actions: POST with the per-run CSRF token of their form (`check_csrf`), and an Origin, when sent, equal to ours.
- No CORS headers at all (same origin only); a strict Content-Security-Policy (scripts from the package only).
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode

from starlette.requests import cookie_parser

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
App = Callable[[Scope, Receive, Send], Awaitable[None]]

TOKEN_PARAMETER = "token"
CSRF_FIELD = "csrf"
SAFE_METHODS = frozenset({"GET", "HEAD"})
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
SECURITY_HEADERS = [
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),  # "no-referrer" would make form posts send `Origin: null`
    (b"x-frame-options", b"DENY"),
    (b"cache-control", b"no-store"),
]
FORBIDDEN = "403 Forbidden: open the URL `batchctl ui` printed (it carries the dashboard's token).\n"


@dataclass(frozen=True)
class Secrets:
    """One server run's secrets: the URL token and the CSRF token of its forms."""

    token: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    csrf: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    # Every page lives under this random path, and the cookie is scoped to it: browsers send cookies to every port
    # of 127.0.0.1, but only to paths under the cookie's Path, which other servers on the machine do not know.
    base: str = field(default_factory=lambda: "/" + secrets.token_urlsafe(12))

    def token_matches(self, presented: str | None) -> bool:
        return presented is not None and hmac.compare_digest(presented.encode(), self.token.encode())

    def csrf_matches(self, presented: str | None) -> bool:
        return presented is not None and hmac.compare_digest(presented.encode(), self.csrf.encode())


def cookie_name(port: int) -> str:
    # Cookies are not kept apart by port: two dashboards on one machine need two names.
    return f"batchctl_ui_{port}"


class Guard:
    """ASGI middleware in front of every route (pages, events, downloads, static files)."""

    def __init__(self, app: App, *, keys: Secrets, hosts: frozenset[str], cookie: str) -> None:
        self.app = app
        self.keys = keys
        self.hosts = hosts
        self.cookie = cookie

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":  # no WebSocket routes: refused before any check could be skipped
            await send({"type": "websocket.close", "code": 1008})
            return
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {name.decode("latin-1").lower(): value.decode("latin-1") for name, value in scope["headers"]}
        if headers.get("host") not in self.hosts:
            await _plain(send, 403, "403 Forbidden: unexpected Host header (the dashboard answers 127.0.0.1 only).\n")
            return
        # Pages on another port of 127.0.0.1 are "same-site" (SameSite cookies do not keep them out): a browser
        # that says where a request comes from must say it comes from the dashboard itself, or from no page.
        if headers.get("sec-fetch-site", "none") not in ("same-origin", "none"):
            await _plain(send, 403, "403 Forbidden: a request made by another site's page.\n")
            return
        path = scope.get("path", "/")
        if not (path == self.keys.base or path.startswith(self.keys.base + "/")):
            await _plain(send, 403, FORBIDDEN)
            return
        # The routes match below the base (Starlette strips root_path from the path it routes).
        scope = {**scope, "root_path": scope.get("root_path", "") + self.keys.base}
        query = parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
        presented = next((value for name, value in query if name == TOKEN_PARAMETER), None)
        if presented is not None and self.keys.token_matches(presented) and scope["method"] in SAFE_METHODS:
            rest = urlencode([(name, value) for name, value in query if name != TOKEN_PARAMETER])
            # The path as sent (still percent-encoded), and never `//host/...`, which a browser reads as another site.
            path = scope.get("raw_path", scope.get("path", "/").encode()).decode("latin-1")
            path = "/" + path.lstrip("/")
            await self._admit(send, path + (f"?{rest}" if rest else ""))
            return
        if not self.keys.token_matches(_cookie(headers.get("cookie", ""), self.cookie)):
            await _plain(send, 403, FORBIDDEN)
            return
        origin = headers.get("origin")
        if (
            scope["method"] not in SAFE_METHODS
            and origin is not None
            and origin.removeprefix("http://") not in self.hosts
        ):
            await _plain(send, 403, "403 Forbidden: a request from another origin.\n")
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *SECURITY_HEADERS]
            await send(message)

        await self.app(scope, receive, with_headers)

    async def _admit(self, send: Send, location: str) -> None:
        cookie = f"{self.cookie}={self.keys.token}; HttpOnly; SameSite=Strict; Path={self.keys.base}"
        await send(
            {
                "type": "http.response.start",
                "status": 303,
                "headers": [(b"location", location.encode()), (b"set-cookie", cookie.encode()), *SECURITY_HEADERS],
            }
        )
        await send({"type": "http.response.body", "body": b""})


def _cookie(header: str, name: str) -> str | None:
    # Starlette's lenient parser: http.cookies.SimpleCookie stops at the first cookie it finds malformed (other
    # programs on 127.0.0.1 set such cookies, e.g. JSON values) and would lose the dashboard's after it.
    return cookie_parser(header).get(name)


async def _plain(send: Send, status: int, text: str) -> None:
    body = text.encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"text/plain; charset=utf-8"),
                (b"content-length", str(len(body)).encode()),
                *SECURITY_HEADERS,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
