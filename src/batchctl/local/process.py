"""Lifecycle of the local emulator process, as the CLI sees it: start, stop, status.

The emulator runs detached (it survives the command that started it). Its state lives under
``$BATCHCTL_HOME/local/`` (default ``~/.batchctl/local/``): ``emulator.json`` describes the running process and
``emulator.log`` collects its output.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from batchctl.errors import BatchctlError
from batchctl.local.addresses import DEFAULT_PORT, IDENTITY_PATH, INTERRUPT_PATH, LOOPBACK, PORT_ENV, SERVICE_NAME
from batchctl.local.faults import FaultSettings
from batchctl.local.ports import port_free

HOME_ENV = "BATCHCTL_HOME"
STATE_FILE_NAME = "emulator.json"
LOG_FILE_NAME = "emulator.log"
SERVER_MODULE = "batchctl.local.server"
STOP_TIMEOUT = 20.0
LOG_TAIL_LINES = 20
LOG_ROTATE_BYTES = 10 * 1024 * 1024
_PROBE_TIMEOUT = 1.0
_REQUEST_TIMEOUT = 30.0
_POLL_INTERVAL = 0.1

# Loopback requests must never go through an HTTP proxy configured in the environment.
_DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))

# Processes started by this Python process, so they can be reaped (a dead child stays a zombie until waited for).
_children: dict[int, subprocess.Popen[bytes]] = {}


class EmulatorError(BatchctlError):
    """The emulator could not be started or reached. ``str()`` is one line; ``detail`` has the log lines behind it."""

    def __init__(self, message: str, detail: str = "") -> None:
        # The CLI's error boundary prints the last log lines under the message.
        super().__init__(message, details=detail.splitlines()[-10:] if detail else None)
        self.detail = detail


class EmulatorRefusedError(EmulatorError):
    """The emulator answered a request with an error; ``status`` is the HTTP status (404: no such job)."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class EmulatorInfo:
    pid: int
    port: int
    endpoint: str
    log_file: Path
    started_at: str
    registry: str | None = None  # host:port of the image registry beside it (None: not installed)
    faults: FaultSettings = field(default_factory=FaultSettings)  # injected latency, throttling, errors (local only)


def state_dir() -> Path:
    home = os.environ.get(HOME_ENV) or "~/.batchctl"
    return Path(home).expanduser() / "local"


def state_file() -> Path:
    return state_dir() / STATE_FILE_NAME


def log_file() -> Path:
    return state_dir() / LOG_FILE_NAME


def configured_port() -> int:
    text = os.environ.get(PORT_ENV, "").strip()
    if not text:
        return DEFAULT_PORT
    if not text.isdigit() or not 0 < int(text) < 65536:
        raise BatchctlError(
            f"{PORT_ENV}={text!r} is not a port number", hint=f"set {PORT_ENV} to a number from 1 to 65535, or unset it"
        )
    return int(text)


def endpoint_for(port: int) -> str:
    return f"http://{LOOPBACK}:{port}"


# --- state file ---------------------------------------------------------------------------------------------------


def _read_state() -> EmulatorInfo | None:
    try:
        data = json.loads(state_file().read_text())
        return EmulatorInfo(
            pid=int(data["pid"]),
            port=int(data["port"]),
            endpoint=str(data["endpoint"]),
            log_file=Path(data["log_file"]),
            started_at=str(data["started_at"]),
            registry=data.get("registry"),
            faults=FaultSettings.from_dict(data.get("faults")),
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _write_state(info: EmulatorInfo) -> None:
    path = state_file()
    temporary = path.with_suffix(".tmp")
    record = {**asdict(info), "log_file": str(info.log_file), "faults": info.faults.to_dict()}
    temporary.write_text(json.dumps(record, indent=2) + "\n")
    temporary.replace(path)


def _remove_state() -> None:
    with contextlib.suppress(FileNotFoundError):
        state_file().unlink()


# --- processes ----------------------------------------------------------------------------------------------------


def _reap(pid: int) -> None:
    child = _children.get(pid)
    if child is not None and child.poll() is not None:
        del _children[pid]


def _pid_alive(pid: int) -> bool:
    _reap(pid)
    if pid in _children:
        return _children[pid].poll() is None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return not _is_zombie(pid)


def _is_zombie(pid: int) -> bool:
    """An exited process whose parent has not reaped it yet still accepts signals; on Linux its state says so."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[-1].split()[:1] == ["Z"]


def _identity_answer(port: int) -> dict[str, object] | None:
    """What the emulator answering on ``port`` says of itself, or None if nothing (or something else) answers."""
    url = f"{endpoint_for(port)}{IDENTITY_PATH}"
    try:
        with _DIRECT.open(url, timeout=_PROBE_TIMEOUT) as response:
            data = json.loads(response.read())
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("service") != SERVICE_NAME:
        return None
    return data


def _identity(port: int) -> int | None:
    """The pid of the emulator answering on ``port``, or None if nothing (or something else) answers."""
    pid = (_identity_answer(port) or {}).get("pid")
    return pid if isinstance(pid, int) else None


def _rotate_if_large(path: Path) -> None:
    """Keep one previous log: the log is appended to by every start."""
    with contextlib.suppress(FileNotFoundError):
        if path.stat().st_size > LOG_ROTATE_BYTES:
            path.replace(path.with_name(path.name + ".1"))


def _log_tail(path: Path, offset: int, lines: int = LOG_TAIL_LINES) -> str:
    try:
        with path.open("rb") as log:
            log.seek(offset)
            text = log.read().decode(errors="replace")
    except OSError:
        return ""
    return "\n".join(text.splitlines()[-lines:])


# --- public interface ---------------------------------------------------------------------------------------------


def status() -> EmulatorInfo | None:
    """The running emulator, or None. A state file left by a process that is gone is removed."""
    info = _read_state()
    if info is None:
        return None
    if not _pid_alive(info.pid):
        _remove_state()
        return None
    if _identity(info.port) != info.pid:
        return None
    return info


def endpoint_if_running() -> str | None:
    info = status()
    return info.endpoint if info else None


def start(port: int | None = None, timeout: float = 30, faults: FaultSettings | None = None) -> EmulatorInfo:
    """Start the emulator in the background and wait until it answers; return the running one if already up.

    ``faults`` (None: none) are the emulator's injected latency, throttling and errors (:mod:`batchctl.local.faults`).
    """
    running = status()
    if running is not None:
        if port is not None and port != running.port:
            raise EmulatorError(
                f"the local emulator is already running on port {running.port}; stop it before using port {port}"
            )
        if faults is not None and faults != running.faults:
            raise EmulatorError(
                "the local emulator is already running with other fault settings "
                f"({'; '.join(running.faults.describe()) or 'none'}); stop it first (batchctl local down)"
            )
        return running
    recorded = _read_state()
    if recorded is not None and _pid_alive(recorded.pid):
        raise EmulatorError(
            f"a local emulator process (pid {recorded.pid}) exists but does not answer on port {recorded.port}; "
            "stop it first"
        )

    port = port if port is not None else configured_port()
    if not port_free(port):
        raise EmulatorError(f"port {port} on {LOOPBACK} is already in use by another process")

    directory = state_dir()
    directory.mkdir(parents=True, exist_ok=True)
    log_path = log_file()
    _rotate_if_large(log_path)
    with log_path.open("ab") as log:
        offset = log.tell()
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                SERVER_MODULE,
                "--host",
                LOOPBACK,
                "--port",
                str(port),
                "--state-dir",
                str(directory),
                *(faults or FaultSettings()).to_args(),
            ],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # detached: not killed with the terminal or the command that started it
            close_fds=True,
            cwd=directory,  # a daemon should not pin the caller's working directory
        )
    _children[process.pid] = process

    deadline = time.monotonic() + timeout
    while True:
        answer = _identity_answer(port)
        if answer is not None and answer.get("pid") == process.pid:
            break
        exit_code = process.poll()
        if exit_code is not None:
            _children.pop(process.pid, None)
            raise EmulatorError(
                f"the local emulator exited during start (exit code {exit_code}); see {log_path}",
                detail=_log_tail(log_path, offset),
            )
        if time.monotonic() > deadline:
            _terminate(process.pid)
            raise EmulatorError(
                f"the local emulator did not answer on port {port} within {timeout:g} s; see {log_path}",
                detail=_log_tail(log_path, offset),
            )
        time.sleep(_POLL_INTERVAL)

    info = EmulatorInfo(
        pid=process.pid,
        port=port,
        endpoint=endpoint_for(port),
        log_file=log_path,
        started_at=datetime.now(UTC).isoformat(timespec="seconds"),
        registry=str(answer["registry"]) if answer.get("registry") else None,
        faults=faults or FaultSettings(),
    )
    _write_state(info)
    return info


def _is_emulator_process(info: EmulatorInfo) -> bool:
    """Guard against signalling an unrelated process that reused a stale pid."""
    if _identity(info.port) == info.pid:
        return True
    try:
        command_line = Path(f"/proc/{info.pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return False
    return SERVER_MODULE in command_line


def _terminate(pid: int, timeout: float = STOP_TIMEOUT) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while _pid_alive(pid) and time.monotonic() < deadline:
        time.sleep(_POLL_INTERVAL)
    if _pid_alive(pid):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + timeout
        while _pid_alive(pid) and time.monotonic() < deadline:
            time.sleep(_POLL_INTERVAL)


def stop() -> bool:
    """Stop the emulator; True if one was running. Running jobs are ended and their containers removed."""
    info = _read_state()
    if info is None:
        return False
    was_running = _pid_alive(info.pid) and _is_emulator_process(info)
    if was_running:
        _terminate(info.pid)
    _remove_state()
    return was_running


def interrupt_job(job_id: str) -> dict[str, str]:
    """Ask the running emulator to reclaim the host of running job ``job_id`` (a simulated Spot interruption).

    Returns ``{"jobId", "statusReason"}``; raises EmulatorError when no emulator runs and EmulatorRefusedError when it
    refuses (unknown job, job not running).
    """
    info = status()
    if info is None:
        raise EmulatorError("the local emulator is not running")
    request = urllib.request.Request(
        f"{info.endpoint}{INTERRUPT_PATH}",
        data=json.dumps({"jobId": job_id}).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    try:
        with _DIRECT.open(request, timeout=_REQUEST_TIMEOUT) as response:
            return dict(json.loads(response.read()))
    except urllib.error.HTTPError as err:
        raise EmulatorRefusedError(_error_message(err), err.code) from None
    except (OSError, ValueError) as err:
        raise EmulatorError(f"the local emulator did not answer: {err}") from None


def _error_message(err: urllib.error.HTTPError) -> str:
    try:
        message = json.loads(err.read()).get("error")
    except (OSError, ValueError, AttributeError):
        message = None
    return str(message or f"the local emulator answered HTTP {err.code}")
