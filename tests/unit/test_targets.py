"""One resolution of where calls go, for the CLI and the API alike: precedence, one probe, one message."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from tests.helpers import DEMO_CONFIG, run_cli, write_yaml

from batchctl.cli.context import AppContext
from batchctl.errors import ConfigError, EmulatorNotRunningError
from batchctl.local import process
from batchctl.local.process import EmulatorInfo
from batchctl.targets import Target, TargetRequest, resolve_target

RUNNING = EmulatorInfo(pid=4242, port=4586, endpoint="http://127.0.0.1:4586", log_file=Path("/x.log"), started_at="")


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("BATCHCTL_LOCAL", "AWS_ENDPOINT_URL", "AWS_REGION", "AWS_DEFAULT_REGION"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def probes(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    calls: list[int] = []

    def status() -> EmulatorInfo:
        calls.append(1)
        return RUNNING

    monkeypatch.setattr(process, "status", status)
    return calls


def test_aws_by_default_with_the_configs_region() -> None:
    assert resolve_target(TargetRequest(profile="dev"), "eu-west-1") == Target(region="eu-west-1", profile="dev")
    assert resolve_target(TargetRequest(region="us-west-2"), "eu-west-1").region == "us-west-2"


def test_local_flag_and_variable_reach_the_running_emulator(monkeypatch: pytest.MonkeyPatch, probes: list[int]) -> None:
    target = resolve_target(TargetRequest(local=True), "us-east-1")
    assert (target.endpoint_url, target.emulator_pid, target.is_local) == (RUNNING.endpoint, 4242, True)
    monkeypatch.setenv("BATCHCTL_LOCAL", "1")
    assert resolve_target(TargetRequest(), "us-east-1").endpoint_url == RUNNING.endpoint
    assert resolve_target(TargetRequest(local=False), "us-east-1").is_local is False  # an explicit no wins
    assert len(probes) == 2


def test_a_loopback_aws_endpoint_url_is_an_emulator_unless_local_is_asked(
    monkeypatch: pytest.MonkeyPatch, probes: list[int]
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9999")
    target = resolve_target(TargetRequest(profile="dev"), "us-east-1")
    assert (target.endpoint_url, target.profile, target.describe()) == (
        "http://127.0.0.1:9999",
        None,
        "local emulator at http://127.0.0.1:9999",
    )
    assert resolve_target(TargetRequest(local=True), "us-east-1").endpoint_url == RUNNING.endpoint
    explicit = TargetRequest(local=True, endpoint_url="http://127.0.0.1:1")
    assert resolve_target(explicit, "us-east-1").endpoint_url == "http://127.0.0.1:1"


def test_aws_endpoint_url_elsewhere_is_aws_with_its_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    # A proxy or VPC endpoint in front of AWS: boto3 honours the variable itself, with the profile's credentials.
    monkeypatch.setenv("AWS_ENDPOINT_URL", "https://batch-proxy.example.com")
    target = resolve_target(TargetRequest(profile="dev"), "us-east-1")
    assert target == Target(region="us-east-1", profile="dev")
    assert not target.is_local


@pytest.mark.parametrize(
    ("request_", "env", "message"),
    [
        (TargetRequest(local=True), {}, "--local was given but the local emulator is not running"),
        (TargetRequest(), {"BATCHCTL_LOCAL": "1"}, "BATCHCTL_LOCAL=1 is set but the local emulator is not running"),
    ],
)
def test_no_emulator_one_message(
    monkeypatch: pytest.MonkeyPatch, request_: TargetRequest, env: dict[str, str], message: str
) -> None:
    monkeypatch.setattr(process, "status", lambda: None)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(EmulatorNotRunningError) as caught:
        resolve_target(request_, "us-east-1")
    assert (caught.value.message, caught.value.hint) == (message, "start it with `batchctl local up`")


def test_a_bad_region_variable_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_REGION", "mars-1")
    with pytest.raises(ConfigError, match="AWS_REGION=mars-1"):
        resolve_target(TargetRequest(), "us-east-1")


def test_the_cli_probes_the_emulator_once_per_command(tmp_path: Path, probes: list[int]) -> None:
    app = AppContext(config_path=write_yaml(tmp_path / "batchctl.yaml", DEMO_CONFIG), local_flag=True)
    assert app.target() is app.target()
    assert app.api().aws.target is app.target()
    assert len(probes) == 1


def test_the_api_and_the_cli_say_the_same(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: Any) -> None:
    from batchctl.api import Batchctl

    monkeypatch.setattr(process, "status", lambda: None)
    config = write_yaml(tmp_path / "batchctl.yaml", DEMO_CONFIG)
    with pytest.raises(EmulatorNotRunningError) as caught:
        Batchctl.from_config(config, local=True).status()
    code, _, err = run_cli(["--local", "-f", str(config), "status"], capsys)
    assert code == 1
    assert f"Error: {caught.value.message}" in err
