"""The dashboard's guard as an ASGI middleware, called directly: Host, token, cookie, Origin, security headers."""

from __future__ import annotations

import asyncio
from typing import Any

from batchctl.ui.security import Guard, Secrets, cookie_name
from batchctl.ui.serving import allowed_hosts, check_host

PORT = 4321
KEYS = Secrets()
COOKIE = cookie_name(PORT)


async def _inner(scope: Any, receive: Any, send: Any) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
    await send({"type": "http.response.body", "body": b"inner"})


def call(
    path: str = "/jobs", *, method: str = "GET", query: str = "", host: str = f"127.0.0.1:{PORT}", **headers: str
) -> tuple[int, dict[str, str], bytes]:
    guard = Guard(_inner, keys=KEYS, hosts=allowed_hosts(PORT), cookie=COOKIE)
    raw = [
        (b"host", host.encode()),
        *((name.replace("_", "-").encode(), value.encode()) for name, value in headers.items()),
    ]
    full = KEYS.base + path if not path.startswith(KEYS.base) and path != "/elsewhere" else path
    scope = {"type": "http", "method": method, "path": full, "query_string": query.encode(), "headers": raw}
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    asyncio.run(guard(scope, receive, send))
    start = sent[0]
    answer_headers = {name.decode(): value.decode() for name, value in start["headers"]}
    return start["status"], answer_headers, b"".join(message.get("body", b"") for message in sent[1:])


ADMITTED = {"cookie": f"{COOKIE}={KEYS.token}"}


def test_no_token_no_cookie_is_403() -> None:
    status, _, body = call()
    assert status == 403 and b"token" in body


def test_the_token_redirects_without_it_and_sets_the_cookie() -> None:
    status, headers, _ = call(query=f"status=FAILED&token={KEYS.token}")
    assert status == 303
    assert headers["location"] == f"{KEYS.base}/jobs?status=FAILED"
    assert headers["set-cookie"] == f"{COOKIE}={KEYS.token}; HttpOnly; SameSite=Strict; Path={KEYS.base}"


def test_pages_outside_the_random_base_path_are_403_even_with_the_cookie() -> None:
    """The cookie's Path is the base: other servers on 127.0.0.1 never receive it, and nothing is served outside it."""
    assert call("/elsewhere", **ADMITTED)[0] == 403
    assert call("/elsewhere", query=f"token={KEYS.token}")[0] == 403
    assert KEYS.base != Secrets().base and len(KEYS.base) > 12


def test_a_wrong_token_or_a_cookie_of_another_port_is_403() -> None:
    assert call(query="token=guess")[0] == 403
    assert call(cookie=f"{cookie_name(PORT + 1)}={KEYS.token}")[0] == 403
    assert call(cookie=f"{COOKIE}={KEYS.token[:-1]}")[0] == 403
    assert call(cookie="garbage;;;=")[0] == 403


def test_the_cookie_admits_and_the_answer_carries_the_security_headers() -> None:
    status, headers, body = call(**ADMITTED)
    assert (status, body) == (200, b"inner")
    assert "script-src 'self'" in headers["content-security-policy"]
    assert headers["x-frame-options"] == "DENY" and headers["x-content-type-options"] == "nosniff"
    assert not any(name.startswith("access-control-") for name in headers)


def test_dns_rebinding_hosts_are_403_even_with_the_cookie() -> None:
    for host in (f"attacker.example:{PORT}", f"127.0.0.1:{PORT + 1}", "127.0.0.1", ""):
        assert call(host=host, **ADMITTED)[0] == 403, host
    assert call(host=f"localhost:{PORT}", **ADMITTED)[0] == 200


def test_a_post_from_another_origin_is_403() -> None:
    assert call(method="POST", origin="http://attacker.example", **ADMITTED)[0] == 403
    assert call(method="POST", origin="null", **ADMITTED)[0] == 403
    assert call(method="POST", origin=f"http://127.0.0.1:{PORT}", **ADMITTED)[0] == 200
    assert call(method="POST", query=f"token={KEYS.token}")[0] == 403  # the token'd URL admits GETs only


def test_secrets_compare_and_differ_per_run() -> None:
    other = Secrets()
    assert len({KEYS.token, KEYS.csrf, other.token, other.csrf}) == 4
    assert KEYS.csrf_matches(KEYS.csrf) and not KEYS.csrf_matches(other.csrf) and not KEYS.csrf_matches(None)
    assert len(KEYS.token) >= 40


def test_only_loopback_hosts_are_served() -> None:
    assert check_host("127.0.0.1") == check_host("localhost") == "127.0.0.1"
    for host in ("0.0.0.0", "::", "192.168.1.5", "example.com"):
        try:
            check_host(host)
        except ValueError as exc:
            assert "127.0.0.1 only" in str(exc)
        else:
            raise AssertionError(host)


def test_another_sites_page_is_403_even_with_the_cookie() -> None:
    """A page on another port of 127.0.0.1 is same-site: the browser sends the cookie, Sec-Fetch-Site says who asks."""
    assert call(sec_fetch_site="same-site", **ADMITTED)[0] == 403
    assert call(sec_fetch_site="cross-site", **ADMITTED)[0] == 403
    assert call(sec_fetch_site="same-origin", **ADMITTED)[0] == 200
    assert call(sec_fetch_site="none", **ADMITTED)[0] == 200  # typed or opened from the terminal


def test_other_programs_cookies_do_not_hide_the_dashboards() -> None:
    for other in ('session={"a":"b"}', "ab[]=1", "x=a b", 'a="b'):
        assert call(cookie=f"{other}; {COOKIE}={KEYS.token}")[0] == 200, other


def test_the_admitting_redirect_keeps_the_path_as_sent_and_stays_on_the_dashboard() -> None:
    def location(path: str, raw: bytes) -> str:
        guard = Guard(_inner, keys=KEYS, hosts=allowed_hosts(PORT), cookie=COOKIE)
        scope = {
            "type": "http",
            "method": "GET",
            "path": path,
            "raw_path": raw,
            "query_string": f"token={KEYS.token}".encode(),
            "headers": [(b"host", f"127.0.0.1:{PORT}".encode())],
        }
        sent: list[dict[str, Any]] = []

        async def receive() -> dict[str, Any]:
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send(message: dict[str, Any]) -> None:
            sent.append(message)

        asyncio.run(guard(scope, receive, send))
        return dict(sent[0]["headers"])[b"location"].decode()

    base = KEYS.base
    assert location(f"{base}/jobs/a?b", f"{base}/jobs/a%3Fb".encode()) == f"{base}/jobs/a%3Fb"
    assert location(f"{base}//x", f"{base}//x".encode()) == f"{base}//x"  # below the base: never another host


def test_websockets_are_refused() -> None:
    guard = Guard(_inner, keys=KEYS, hosts=allowed_hosts(PORT), cookie=COOKIE)
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "websocket.connect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    asyncio.run(guard({"type": "websocket", "path": "/", "headers": []}, receive, send))
    assert sent == [{"type": "websocket.close", "code": 1008}]
