"""Bad input at the command line: one clear line, exit 1 (2 for usage), no traceback."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import pytest
from tests.helpers import DEMO_CONFIG, no_credentials_env, run_batchctl, run_cli, write_yaml


def test_missing_config_file(tmp_path: Path, capsys: Any) -> None:
    code, _, err = run_cli(["-f", str(tmp_path / "missing.yaml"), "validate"], capsys)
    assert code == 1
    assert "Error: config file" in err and "not found" in err
    assert "batchctl init" in err
    assert "Traceback" not in err


def test_unknown_key_one_line_with_suggestion(tmp_path: Path, capsys: Any) -> None:
    path = write_yaml(tmp_path / "c.yaml", DEMO_CONFIG)
    path.write_text("name: demo\nregoin: us-east-1\n" + path.read_text().split("\n", 2)[2], encoding="utf-8")
    code, _, err = run_cli(["-f", str(path), "validate"], capsys)
    assert code == 1
    error_lines = [line for line in err.splitlines() if line.startswith("Error:")]
    assert error_lines == [f'Error: {path}:2: regoin: unknown key (did you mean "region"?)']


def test_queue_with_unknown_compute_environment(tmp_path: Path, capsys: Any) -> None:
    path = write_yaml(
        tmp_path / "c.yaml", {**DEMO_CONFIG, "queues": [{"name": "cpu", "compute_environments": ["gpu"]}]}
    )
    code, _, err = run_cli(["-f", str(path), "validate"], capsys)
    assert code == 1
    assert "queues[0].compute_environments: queue 'cpu' names unknown compute environment 'gpu'" in err
    assert "1 problem(s) found" in err


def test_usage_error_exits_2(capsys: Any) -> None:
    code, _, err = run_cli(["deploy", "--no-such-flag"], capsys)
    assert code == 2
    assert "No such option '--no-such-flag'" in err


def test_unknown_command_exits_2(capsys: Any) -> None:
    code, _, _ = run_cli(["deplyo"], capsys)
    assert code == 2


def test_init_refuses_to_overwrite(tmp_path: Path, capsys: Any) -> None:
    path = tmp_path / "batchctl.yaml"
    path.write_text("name: keep\n", encoding="utf-8")
    code, _, err = run_cli(["init", "-f", str(path)], capsys)
    assert code == 1
    assert "already exists" in err
    assert path.read_text() == "name: keep\n"


def test_init_writes_a_valid_config_with_name(tmp_path: Path, capsys: Any) -> None:
    from batchctl.config import check_config, load_config

    path = tmp_path / "batchctl.yaml"
    code, _, _ = run_cli(["init", "-f", str(path), "--name", "team-a"], capsys)
    assert code == 0
    config = load_config(path)
    assert config.name == "team-a"
    assert [f for f in check_config(config) if f.level.name == "ERROR"] == []


def test_init_rejects_bad_name_as_usage(tmp_path: Path, capsys: Any) -> None:
    code, _, err = run_cli(["init", "-f", str(tmp_path / "x.yaml"), "--name", "Bad_Name"], capsys)
    assert code == 2
    assert "--name" in err


def test_config_schema_is_json_schema(capsys: Any) -> None:
    import json

    code, out, _ = run_cli(["config", "schema"], capsys)
    assert code == 0
    schema = json.loads(out)
    assert schema["additionalProperties"] is False
    assert {"name", "network", "storage", "compute_environments", "queues"} <= set(schema["properties"])


def test_no_aws_credentials(tmp_path: Path) -> None:
    config = write_yaml(tmp_path / "batchctl.yaml", DEMO_CONFIG)
    result = run_batchctl(["-f", str(config), "status"], env=no_credentials_env(tmp_path))
    assert result.returncode == 1, result.stderr
    assert "Error: no AWS credentials found" in result.stderr
    assert "Traceback" not in result.stderr


def test_local_without_emulator(tmp_path: Path) -> None:
    config = write_yaml(tmp_path / "batchctl.yaml", DEMO_CONFIG)
    result = run_batchctl(["-f", str(config), "--local", "status"], env=no_credentials_env(tmp_path))
    assert result.returncode == 1, result.stderr
    assert "Error: --local was given but the local emulator is not running" in result.stderr
    assert "batchctl local up" in result.stderr


def test_debug_shows_traceback(tmp_path: Path) -> None:
    result = run_batchctl(["--debug", "-f", str(tmp_path / "missing.yaml"), "validate"])
    assert result.returncode == 1
    assert "Traceback" in result.stderr


@pytest.mark.parametrize("command", [["--help"], ["jobs", "--help"], ["submit", "--help"], ["local", "status"]])
def test_job_facing_commands_do_not_import_cdk(command: list[str], tmp_path: Path) -> None:
    """CDK takes seconds to import: only template-building commands may load it."""
    code = (
        "import sys\n"
        "from batchctl.cli.boundary import run\n"
        "from batchctl.cli.main import cli\n"
        f"run(cli, {command!r})\n"
        "loaded = sorted(m for m in sys.modules if m.split('.')[0] in ('aws_cdk', 'jsii', 'cdk_nag', 'moto'))\n"
        "print('LOADED', loaded)\n"
    )
    env = {**os.environ, "BATCHCTL_HOME": str(tmp_path)}
    import subprocess

    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert "LOADED []" in result.stdout, result.stdout + result.stderr


def test_error_hints_keep_the_options_in_use(tmp_path: Path) -> None:
    from batchctl.cli.boundary import with_options_in_use
    from batchctl.cli.context import AppContext, forget_app, remember_app

    remember_app(AppContext(config_path=tmp_path / "x.yaml", local_flag=True))
    try:
        assert (
            with_options_in_use("deploy it: batchctl deploy")
            == f"deploy it: batchctl --local -f {tmp_path}/x.yaml deploy"
        )
        assert with_options_in_use("list jobs with `batchctl --local jobs --status RUNNING`") == (
            f"list jobs with `batchctl --local -f {tmp_path}/x.yaml jobs --status RUNNING`"
        )
        # Not a command on the cluster, or not a command at all: as it was.
        assert with_options_in_use("start it with `batchctl local up`") == "start it with `batchctl local up`"
        assert with_options_in_use("batchctl adds 3 tags") == "batchctl adds 3 tags"
    finally:
        forget_app()
