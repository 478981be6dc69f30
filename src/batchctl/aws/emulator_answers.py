"""botocore hooks for clients of the local emulator: a crash or an error page becomes one clear line.

Without them a stopped emulator makes every call retry for a while and end in "cannot reach ...", and a request
the emulator fails on (moto answers some with werkzeug's HTML 500 page) surfaces as raw HTML after ten retries.
"""

from __future__ import annotations

import os
from typing import Any

from botocore.exceptions import ConnectionClosedError, EndpointConnectionError

from batchctl.errors import EmulatorAnswerError, EmulatorStoppedError

_HOOK_ID = "batchctl-emulator-answers"
_HTML_STARTS = (b"<!doctype html", b"<html")


def register(client: Any, pid: int | None, log_file: str | None) -> None:
    """Install the hooks on one client of the emulator started as `pid`, which logs to `log_file`."""

    def check(response: Any = None, caught_exception: Exception | None = None, operation: Any = None, **_: Any) -> None:
        name = getattr(operation, "name", "a request")
        lost = isinstance(caught_exception, EndpointConnectionError | ConnectionClosedError)
        if lost and pid is not None and not _alive(pid):
            raise EmulatorStoppedError(
                f"the local emulator stopped (pid {pid}) during {name}",
                hint="start it with `batchctl local up`" + (f"; its log: {log_file}" if log_file else ""),
            )
        if response is None:
            return
        http_response = response[0]
        if http_response.status_code >= 400 and not _aws_shaped(http_response.content or b""):
            raise EmulatorAnswerError(
                f"the local emulator failed on {name} (HTTP {http_response.status_code}, not an AWS answer); "
                f"see its log: {log_file or 'batchctl local status'}",
                hint="`batchctl local down && batchctl local up` restarts it (its state is lost)",
            )

    client.meta.events.register("needs-retry.*.*", check, unique_id=_HOOK_ID)


def _aws_shaped(body: bytes) -> bool:
    """AWS answers errors in JSON or XML; an HTML page or plain text is the emulator failing."""
    start = body.lstrip()[:20].lower()
    if not start:
        return True
    return start[:1] in (b"{", b"[") or (start[:1] == b"<" and not start.startswith(_HTML_STARTS))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return _not_zombie(pid)


def _not_zombie(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return True
