"""Regions are checked against the ones botocore knows, with the closest suggested and examples named."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from tests.helpers import DEMO_CONFIG, run_cli, write_yaml

from batchctl.config.regions import known_regions, region_problem


def test_botocore_knows_the_usual_regions() -> None:
    assert {"us-east-1", "eu-west-1", "ap-southeast-2", "cn-north-1", "us-gov-west-1"} <= known_regions()
    assert region_problem("eu-central-1") is None


def test_a_typo_gets_the_closest_region_and_examples() -> None:
    assert region_problem("us-east1") == (
        'not an AWS region (did you mean "us-east-1"? regions look like us-east-1, eu-west-1, ap-southeast-2)'
    )


def test_config_region_is_an_error_at_its_line(tmp_path: Path, capsys: Any) -> None:
    path = write_yaml(tmp_path / "c.yaml", {**DEMO_CONFIG, "region": "mars-1"})
    code, _, err = run_cli(["-f", str(path), "validate"], capsys)
    assert code == 1
    assert err.splitlines()[0].startswith(f"Error: {path}:2: region: not an AWS region")
    assert "[a-z]" not in err  # examples, not a regular expression


def test_region_option_is_a_usage_error(capsys: Any) -> None:
    code, _, err = run_cli(["--local", "--region", "mars-1", "status"], capsys)
    assert code == 2
    assert "'mars-1' is not an AWS region" in err


def test_aws_region_variable(tmp_path: Path, capsys: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_REGION", "mars-1")
    path = write_yaml(tmp_path / "c.yaml", DEMO_CONFIG)
    code, _, err = run_cli(["-f", str(path), "--local", "status"], capsys)
    assert code == 1
    assert "Error: AWS_REGION=mars-1: not an AWS region" in err
