"""scripts/setup-registry.sh: idempotent when docker-registry is there, a clear failure when it cannot install it."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from tests.emulator_fixtures import _missing

pytestmark = [pytest.mark.integration]

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "setup-registry.sh"


def run(env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    bash = shutil.which("bash") or "/bin/bash"
    return subprocess.run([bash, str(SCRIPT)], capture_output=True, text=True, timeout=300, env=env)


def test_a_second_run_with_the_registry_installed_does_nothing() -> None:
    if shutil.which("docker-registry") is None:
        _missing("docker-registry is not installed (make setup installs it)")
    first, second = run(), run()
    assert first.returncode == 0 and second.returncode == 0, first.stderr + second.stderr
    assert "setup-registry: docker-registry already installed (" in second.stderr
    assert "installing" not in second.stderr


def test_without_the_registry_and_without_apt_it_fails_with_what_to_do(tmp_path: Path) -> None:
    tools = tmp_path / "bin"
    tools.mkdir()
    for tool in ("id",):  # what the script needs besides bash builtins; no docker-registry, no apt-get
        found = shutil.which(tool)
        assert found is not None
        os.symlink(found, tools / tool)
    result = run(env={"PATH": str(tools), "HOME": str(tmp_path)})
    assert result.returncode == 1
    assert result.stderr.startswith("setup-registry: error: docker-registry is not installed. Install it (")
    assert "apt-get install -y docker-registry" in result.stderr
