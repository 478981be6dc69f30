"""Loading batchctl.yaml: every mistake gets file:line, the dotted path and a way out."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.helpers import DEMO_CONFIG, write_yaml

from batchctl.config import load_config
from batchctl.errors import ConfigError


def _error(path: Path) -> ConfigError:
    with pytest.raises(ConfigError) as raised:
        load_config(path)
    return raised.value


def test_demo_config_loads_with_defaults(tmp_path: Path) -> None:
    config = load_config(write_yaml(tmp_path / "batchctl.yaml", DEMO_CONFIG))
    assert config.name == "demo"
    assert config.network.egress == "nat-instance"
    assert config.network.availability_zones == 1
    assert config.storage.create_buckets is True
    assert config.compute_environments[0].effective_allocation_strategy == "SPOT_PRICE_CAPACITY_OPTIMIZED"


def test_unknown_key_names_line_path_and_suggestion(tmp_path: Path) -> None:
    path = tmp_path / "batchctl.yaml"
    path.write_text("name: demo\nnetwork:\n  egres: none\n" + _rest(), encoding="utf-8")
    error = _error(path)
    assert error.message == f'{path}:3: network.egres: unknown key (did you mean "egress"?)'


def test_unknown_key_in_a_list_item(tmp_path: Path) -> None:
    data = {**DEMO_CONFIG, "queues": [{"name": "cpu", "compute_enviroments": ["cpu-spot"]}]}
    error = _error(write_yaml(tmp_path / "c.yaml", data))
    assert "queues[0].compute_enviroments: unknown key" in error.message
    assert 'did you mean "compute_environments"' in error.message


def test_wrong_type_names_value(tmp_path: Path) -> None:
    data = {**DEMO_CONFIG, "compute_environments": [{"name": "cpu-spot", "max_vcpus": "lots"}]}
    error = _error(write_yaml(tmp_path / "c.yaml", data))
    assert "compute_environments[0].max_vcpus" in error.message
    assert "'lots'" in error.message


def test_union_type_error_explains_the_field(tmp_path: Path) -> None:
    data = {**DEMO_CONFIG, "network": {"availability_zones": "three"}}
    error = _error(write_yaml(tmp_path / "c.yaml", data))
    assert "network.availability_zones: invalid value 'three': expected how many zones" in error.message


@pytest.mark.parametrize("name", ["Demo", "demo_1", "1demo", "a", "d" * 25, "demo-"])
def test_invalid_cluster_name(tmp_path: Path, name: str) -> None:
    error = _error(write_yaml(tmp_path / "c.yaml", {**DEMO_CONFIG, "name": name}))
    assert f"name: invalid name {name!r}" in error.message
    assert "lower-case letters" in error.message


def test_missing_file_suggests_init(tmp_path: Path) -> None:
    error = _error(tmp_path / "nope.yaml")
    assert "not found" in error.message
    assert error.hint and "batchctl init" in error.hint


def test_invalid_yaml_names_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("name: demo\nqueues:\n  - name: cpu\n   priority: 1\n", encoding="utf-8")
    error = _error(path)
    assert error.message.startswith(f"{path}:4:")
    assert "invalid YAML" in error.message


def test_several_problems_are_reported_together(tmp_path: Path) -> None:
    data = {**DEMO_CONFIG, "name": "Bad", "regoin": "x", "queues": [{"name": "cpu", "priority": -1}]}
    error = _error(write_yaml(tmp_path / "c.yaml", data))
    assert error.message.endswith("3 problems")
    assert len(error.details) == 3
    assert any('did you mean "region"' in line for line in error.details)


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("", encoding="utf-8")
    assert "expected a mapping" in _error(path).message


def test_missing_required_key(tmp_path: Path) -> None:
    data = {key: value for key, value in DEMO_CONFIG.items() if key != "queues"}
    assert "queues: required key is missing" in _error(write_yaml(tmp_path / "c.yaml", data)).message


@pytest.mark.parametrize(
    ("bucket", "problem"),
    [("UPPER", "lower-case"), ("ab", "3-63"), ("a..b", "adjacent periods"), ("192.168.1.1", "IP address")],
)
def test_invalid_bucket_names(tmp_path: Path, bucket: str, problem: str) -> None:
    data = {**DEMO_CONFIG, "storage": {"read_only": [bucket]}}
    error = _error(write_yaml(tmp_path / "c.yaml", data))
    assert f"storage.read_only: bucket {bucket!r}" in error.message
    assert problem in error.message


def _rest() -> str:
    return "compute_environments:\n  - name: cpu-spot\nqueues:\n  - name: cpu\n    compute_environments: [cpu-spot]\n"
