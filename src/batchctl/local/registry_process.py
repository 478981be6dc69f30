"""The image registry beside the emulator: the distribution registry (Debian's ``docker-registry``) on 127.0.0.1.

The emulator process starts it as its child at boot and stops it on shutdown; the kernel also stops it if the
emulator dies (``PR_SET_PDEATHSIG``), so a crashed emulator leaves no registry behind holding the port. Images are
stored under ``<state dir>/registry/`` and so outlive emulator restarts, as an ECR repository's images outlive any
client. Install the program with ``scripts/setup-registry.sh``.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import logging
import os
import secrets
import shutil
import signal
import socket
import subprocess
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from batchctl.local.ports import port_free

LOOPBACK = "127.0.0.1"
PROGRAM = "docker-registry"
PROGRAM_ENV = "BATCHCTL_REGISTRY_PROGRAM"  # another distribution registry binary (default: docker-registry on PATH)
PORT_ENV = "BATCHCTL_REGISTRY_PORT"  # a fixed port (default: a free one, chosen at each start)
STORAGE_DIR_NAME = "registry"
CONFIG_FILE_NAME = "registry.yml"
START_TIMEOUT = 15.0
STOP_TIMEOUT = 10.0
_POLL_INTERVAL = 0.1
_PR_SET_PDEATHSIG = 1

logger = logging.getLogger("batchctl.local.registry")

_DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class RegistryStartError(RuntimeError):
    """The registry could not be started; ``str()`` says why and what to do."""


@dataclass(frozen=True)
class RunningRegistry:
    address: str  # host:port, what image references name
    process: subprocess.Popen[bytes]

    def stop(self, timeout: float = STOP_TIMEOUT) -> None:
        if self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout)


def program() -> str | None:
    """The registry executable, or None when it is not installed."""
    configured = os.environ.get(PROGRAM_ENV)
    return shutil.which(configured or PROGRAM)


def configuration(port: int, storage: Path) -> dict[str, object]:
    """A registry on loopback only, storing on the filesystem; JSON is valid YAML, which the registry reads."""
    return {
        "version": 0.1,
        "log": {"level": "warn", "accesslog": {"disabled": True}},
        "storage": {"filesystem": {"rootdirectory": str(storage)}, "delete": {"enabled": True}},
        # a secret of its own: the registry would otherwise warn on every start
        "http": {"addr": f"{LOOPBACK}:{port}", "secret": secrets.token_hex(16)},
    }


def _previous_port(config_path: Path) -> int | None:
    try:
        address = json.loads(config_path.read_text())["http"]["addr"]
        return int(str(address).rsplit(":", 1)[1])
    except (OSError, ValueError, KeyError, TypeError, IndexError):
        return None


def choose_port(config_path: Path) -> int:
    """``$BATCHCTL_REGISTRY_PORT``, else the previous start's port if it is free (image names pulled by jobs then
    stay the same across restarts), else a free one."""
    if os.environ.get(PORT_ENV):
        return int(os.environ[PORT_ENV])
    previous = _previous_port(config_path)
    if previous is not None and port_free(previous):
        return previous
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((LOOPBACK, 0))
        return int(probe.getsockname()[1])


def _die_with_parent() -> None:
    """Run in the child before exec: the kernel sends it SIGTERM when the emulator exits, even by SIGKILL."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def answers(address: str) -> bool:
    """Does a registry answer the distribution API's base endpoint (``GET /v2/``) at ``address``?"""
    try:
        with _DIRECT.open(f"http://{address}/v2/", timeout=1.0) as response:
            return int(response.status) == 200
    except OSError:
        return False


def start(state_dir: Path, timeout: float = START_TIMEOUT) -> RunningRegistry:
    """Start the registry with its storage under ``state_dir`` and wait until it answers."""
    executable = program()
    if executable is None:
        raise RegistryStartError(
            f"{os.environ.get(PROGRAM_ENV) or PROGRAM} is not installed: jobs cannot pull ECR images "
            "(install it: scripts/setup-registry.sh)"
        )
    config_path = state_dir / CONFIG_FILE_NAME
    port = choose_port(config_path)
    storage = state_dir / STORAGE_DIR_NAME
    storage.mkdir(parents=True, exist_ok=True)
    config_path.write_text(json.dumps(configuration(port, storage), indent=2) + "\n")
    registry = subprocess.Popen(
        [executable, "serve", str(config_path)],
        stdin=subprocess.DEVNULL,
        preexec_fn=_die_with_parent,  # noqa: PLW1509 - no threads run yet when the emulator starts it
        close_fds=True,
    )
    address = f"{LOOPBACK}:{port}"
    deadline = time.monotonic() + timeout
    while not answers(address):
        if registry.poll() is not None:
            raise RegistryStartError(
                f"{executable} exited during start (exit code {registry.returncode}); is port {port} in use?"
            )
        if time.monotonic() > deadline:
            RunningRegistry(address, registry).stop()
            raise RegistryStartError(f"{executable} did not answer on {address} within {timeout:g} s")
        time.sleep(_POLL_INTERVAL)
    logger.info("image registry at %s (pid %d, storage %s)", address, registry.pid, storage)
    return RunningRegistry(address, registry)
