"""Small helpers shared by test modules."""

from __future__ import annotations

import contextlib
import io
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from batchctl.cli.boundary import run
from batchctl.cli.main import cli

DEMO_CONFIG: dict[str, Any] = {
    "name": "demo",
    "region": "us-east-1",
    "compute_environments": [{"name": "cpu-spot", "type": "SPOT", "max_vcpus": 16}],
    "queues": [{"name": "cpu", "compute_environments": ["cpu-spot"]}],
    "job_definitions": [
        {"name": "helloworld", "image": "helloworld", "command": ["python3", "/app/hello.py"], "memory": 512}
    ],
}


@contextlib.contextmanager
def moto_server() -> Iterator[str]:
    """A plain moto server (no compatibility layer) on a free 127.0.0.1 port; yields its endpoint URL."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


def no_credentials_env(tmp_path: Path) -> dict[str, str]:
    """The environment of a machine with no AWS credentials (and no emulator state) for subprocess runs."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(("AWS_", "BATCHCTL_"))}
    env.update(
        AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "none"),
        AWS_CONFIG_FILE=str(tmp_path / "none"),
        # Keep botocore from asking the instance metadata service (an off-machine address).
        AWS_EC2_METADATA_DISABLED="true",
        BATCHCTL_HOME=str(tmp_path / "home"),
    )
    return env


def write_yaml(path: Path, data: Any) -> Path:
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def run_cli(args: list[str], capsys: Any) -> tuple[int, str, str]:
    """Run batchctl in-process through its error boundary; returns (exit code, stdout, stderr)."""
    code = run(cli, args)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def capture_cli(args: list[str]) -> tuple[int, str, str]:
    """run_cli for fixtures wider than a function (capsys is function-scoped).

    rich's consoles write to whatever sys.stdout / sys.stderr are at print time, so redirecting them is enough.
    """
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = run(cli, args)
    return code, out.getvalue(), err.getvalue()


def run_batchctl(
    args: list[str], env: dict[str, str] | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """Run the installed console script in a subprocess (what a user runs)."""
    return subprocess.run(
        [sys.executable, "-m", "batchctl", *args], capture_output=True, text=True, env=env, cwd=cwd, timeout=600
    )
