"""The insight commands' module stays a thin layer over batchctl.api, loads nothing heavy, and under `-o json`
answers errors in JSON too."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

from tests.helpers import DEMO_CONFIG, write_yaml

from batchctl.cli import insight_commands

ALLOWED = ("batchctl.api", "batchctl.cli", "batchctl.errors", "batchctl.paths")
HEAVY_MODULES = ("aws_cdk", "jsii", "cdk_nag", "moto", "docker", "boto3")


def test_the_module_imports_only_the_api_and_cli_helpers() -> None:
    tree = ast.parse(Path(insight_commands.__file__).read_text(encoding="utf-8"))
    imported = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}
    imported |= {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    ours = {name for name in imported if name.split(".")[0] == "batchctl"}
    assert ours and all(name.startswith(ALLOWED) for name in ours), ours
    assert not imported & {"boto3", "botocore"}


def test_help_loads_nothing_heavy() -> None:
    commands = ["why", "run", "usage"]
    code = (
        "import sys\n"
        "from batchctl.cli.boundary import run\n"
        "from batchctl.cli.main import cli\n"
        f"statuses = [run(cli, [command, '--help']) for command in {commands!r}]\n"
        f"heavy = sorted({{m.split('.')[0] for m in sys.modules}} & set({HEAVY_MODULES!r}))\n"
        "print('HEAVY', heavy, statuses)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert f"HEAVY [] {[0] * len(commands)}" in result.stdout, result.stdout + result.stderr


def test_an_error_under_json_is_json(tmp_path: Path) -> None:
    config = write_yaml(tmp_path / "batchctl.yaml", DEMO_CONFIG)
    env = {**os.environ, "BATCHCTL_HOME": str(tmp_path / "home")}
    for args in (["why", "some-job"], ["usage"], ["run", "--", "true"]):
        result = subprocess.run(
            [sys.executable, "-m", "batchctl", "--local", "-f", str(config), "-o", "json", *args],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
        )
        assert result.returncode == 1, result.stderr
        answer = json.loads(result.stdout)
        error = answer["error"]
        assert "emulator is not running" in error["message"] and "batchctl local up" in error["hint"]
