"""The dashboard served for real (uvicorn on 127.0.0.1, in a thread), a plain HTTP client for it, and a headless
Chromium driven by Selenium.

In CI (CI=true) a missing chromium or chromedriver fails the browser tests; elsewhere they are skipped.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from batchctl.ui.app import create_app
from batchctl.ui.security import Secrets, cookie_name
from batchctl.ui.serving import allowed_hosts, bind
from tests.emulator_fixtures import _missing

CHROMIUM = os.environ.get("BATCHCTL_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("BATCHCTL_CHROMEDRIVER", "/usr/bin/chromedriver")
SCREENSHOTS_ENV = "BATCHCTL_UI_SCREENSHOTS"  # a directory: the browser test saves each main page there


@dataclass
class Served:
    """A dashboard listening on 127.0.0.1:port until stopped."""

    port: int
    keys: Secrets
    server: Any
    thread: threading.Thread

    @property
    def origin(self) -> str:
        """Where the dashboard's pages are: its origin and its random base path."""
        return f"http://127.0.0.1:{self.port}{self.keys.base}"

    @property
    def url(self) -> str:
        return f"{self.origin}/?token={self.keys.token}"

    def client(self, *, admitted: bool = True) -> Http:
        return Http(self.origin, {cookie_name(self.port): self.keys.token} if admitted else {})


@contextmanager
def serve_dashboard(sdk: Any, *, command: str = "batchctl --local", poll_seconds: float = 0.5) -> Iterator[Served]:
    import uvicorn

    listener = bind(0)
    port = int(listener.getsockname()[1])
    keys = Secrets()
    app = create_app(sdk, hosts=allowed_hosts(port), port=port, keys=keys, command=command, poll_seconds=poll_seconds)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "the dashboard did not start"
        time.sleep(0.02)
    try:
        yield Served(port, keys, server, thread)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        listener.close()


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


@dataclass
class Http:
    """HTTP to the dashboard with the standard library: no proxy, no redirects followed, cookies by hand."""

    origin: str
    cookies: dict[str, str] = field(default_factory=dict)

    def _open(self, request: urllib.request.Request, timeout: float) -> Any:
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirects())
        if self.cookies:
            request.add_header("Cookie", "; ".join(f"{key}={value}" for key, value in self.cookies.items()))
        try:
            return opener.open(request, timeout=timeout)
        except urllib.error.HTTPError as exc:
            return exc

    def request(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, str] | None = None,
        data: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
        timeout: float = 60,
    ) -> Answer:
        url = self.origin + path + (f"?{urllib.parse.urlencode(params)}" if params else "")
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        request = urllib.request.Request(url, data=body, method=method, headers=headers or {})
        if body is not None:
            request.add_header("Content-Type", "application/x-www-form-urlencoded")
        response = self._open(request, timeout)
        with response:
            return Answer(
                response.status if hasattr(response, "status") else response.code,
                dict(response.headers),
                response.read(),
            )

    def get(self, path: str, **kwargs: Any) -> Answer:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, data: dict[str, str], **kwargs: Any) -> Answer:
        return self.request("POST", path, data=data, **kwargs)

    def event(self, path: str, wanted: str, timeout: float = 30) -> str:
        """The data of the first server-sent event named `wanted` on the stream at `path`."""
        for event, data in self.events(path, until=wanted, timeout=timeout):
            if event == wanted:
                return data
        raise AssertionError(f"the stream {path} ended without a {wanted} event")

    def events(self, path: str, *, until: str = "end", timeout: float = 30) -> list[tuple[str, str]]:
        """The server-sent events of the stream at `path` (name, data), up to the first named `until`."""
        seen: list[tuple[str, str]] = []
        request = urllib.request.Request(self.origin + path, headers={"Accept": "text/event-stream"})
        response = self._open(request, timeout)
        with response:
            assert response.status == 200, response.read()
            assert response.headers["content-type"].startswith("text/event-stream")
            event, data = "", []
            for raw in response:
                line = raw.decode("utf-8").rstrip("\r\n")
                if line.startswith("event:"):
                    event = line.split(":", 1)[1].strip()
                elif line.startswith("data:"):
                    data.append(line[5:].removeprefix(" "))
                elif not line and event:
                    seen.append((event, "\n".join(data)))
                    if event == until:
                        break
                    event, data = "", []
        return seen


def console_errors(driver: Any) -> list[str]:
    """What the page's console reported as errors since the last call (a blocked script or style shows here)."""
    return [entry["message"] for entry in driver.get_log("browser") if entry.get("level") == "SEVERE"]


def require_browser() -> None:
    """Fail (CI) or skip (elsewhere) unless Chromium and ChromeDriver are installed (scripts/setup-browser.sh)."""
    for path in (CHROMIUM, CHROMEDRIVER):
        if not shutil.which(path):
            _missing(f"{path} is required for the browser tests: run scripts/setup-browser.sh (make setup)")


@contextmanager
def chromium(width: int = 1400, height: int = 1000) -> Iterator[Any]:
    """One headless Chromium (a fresh profile, no network but loopback use) driven through ChromeDriver."""
    require_browser()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="batchctl-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        "--no-proxy-server",
        f"--window-size={width},{height}",
        f"--user-data-dir={profile}",
    ):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})  # the console: CSP violations, script errors
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)
