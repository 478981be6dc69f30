"""`batchctl local up`: the registry line, re-created clusters, and the failures it reports in one line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from tests.helpers import run_cli

from batchctl.local import docker_engine, process, restore

INFO = process.EmulatorInfo(
    pid=42,
    port=4586,
    endpoint="http://127.0.0.1:4586",
    log_file=Path("/tmp/emulator.log"),
    started_at="2026-12-01T00:00:00+00:00",
    registry="127.0.0.1:5000",
)


@pytest.fixture
def emulator(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> dict[str, Any]:
    """A fake emulator lifecycle: `running` says whether one is up before the command; restores are recorded."""
    state: dict[str, Any] = {"running": False, "info": INFO, "restored": [], "calls": 0}
    monkeypatch.setenv(process.HOME_ENV, str(tmp_path))
    monkeypatch.setattr(process, "status", lambda: state["info"] if state["running"] else None)

    def start(port: int | None = None, faults: Any = None) -> Any:
        state["faults"] = faults
        return state["info"]

    monkeypatch.setattr(process, "start", start)
    monkeypatch.setattr(docker_engine, "check", lambda: docker_engine.DockerStatus(True, "Docker 20.10 at unix://x"))

    def restore_stacks(records: Any, client_for: Any, on_start: Any) -> list[restore.RestoredStack]:
        state["calls"] += 1
        for item in records.load():
            on_start(item)
        return list(state["restored"])

    monkeypatch.setattr(restore, "restore_stacks", restore_stacks)
    return state


def record(tmp_path: Path) -> None:
    restore.StackRecords(tmp_path / "local").put(restore.StackRecord("batchctl-demo", "us-east-1", "{}"))


def test_a_fresh_start_re_creates_the_recorded_stacks_and_says_what_was_lost(
    emulator: dict[str, Any], tmp_path: Path, capsys: Any
) -> None:
    record(tmp_path)
    emulator["restored"] = [restore.RestoredStack("batchctl-demo", "us-east-1", "CREATE_COMPLETE", seconds=0.5)]
    code, _, err = run_cli(["local", "up"], capsys)
    assert code == 0, err
    assert "re-created stack batchctl-demo (0.5 s)" in err
    assert f"not restored: {restore.LOST_ON_RESTART}" in err
    assert "image registry at 127.0.0.1:5000" in err


def test_nothing_recorded_or_already_running_restores_nothing(emulator: dict[str, Any], capsys: Any) -> None:
    code, out, err = run_cli(["-o", "json", "local", "up"], capsys)
    assert code == 0, err
    assert json.loads(out)["restored"] == []
    emulator["running"] = True
    assert run_cli(["local", "up"], capsys)[0] == 0
    assert emulator["calls"] == 0


def test_a_stack_that_cannot_be_re_created_fails_in_one_line(
    emulator: dict[str, Any], tmp_path: Path, capsys: Any
) -> None:
    record(tmp_path)
    emulator["restored"] = [restore.RestoredStack("batchctl-demo", "us-east-1", "FAILED", "No export named x")]
    code, _, err = run_cli(["local", "up"], capsys)
    assert code == 1
    assert [line for line in err.splitlines() if line.startswith("Error:")] == [
        "Error: 1 of 1 recorded stack(s) could not be re-created: batchctl-demo: FAILED No export named x"
    ]


def test_require_docker_fails_without_the_registry(emulator: dict[str, Any], capsys: Any) -> None:
    emulator["info"] = process.EmulatorInfo(**{**INFO.__dict__, "registry": None})
    code, _, err = run_cli(["local", "up"], capsys)
    assert code == 0 and "no image registry: jobs cannot pull ECR images" in err
    code, _, err = run_cli(["local", "up", "--require-docker"], capsys)
    assert code == 1
    assert "Error: no image registry beside the emulator" in err
    assert "scripts/setup-registry.sh" in err


def test_fault_options_reach_the_emulator_and_bad_ones_are_usage_errors(emulator: dict[str, Any], capsys: Any) -> None:
    from batchctl.local.faults import FaultSettings

    args = ["local", "up", "--latency-ms", "50", "--throttle", "SubmitJob=50", "--error-rate", "SubmitJob=0.05"]
    code, _, err = run_cli(args, capsys)
    assert code == 0, err
    assert emulator["faults"] == FaultSettings(
        latency_ms=50, throttle={"SubmitJob": 50}, error_rate={"SubmitJob": 0.05}
    )
    code, _, err = run_cli(["local", "up", "--error-rate", "SubmitJob=2"], capsys)
    assert code == 2
    assert "'SubmitJob=2': a fraction is from 0 to 1" in err
    run_cli(["local", "up"], capsys)
    assert emulator["faults"] is None  # no option: the running emulator keeps its settings


def test_status_shows_the_injected_faults(emulator: dict[str, Any], capsys: Any) -> None:
    import dataclasses

    from batchctl.local.faults import FaultSettings

    injected = FaultSettings(latency_ms=50, throttle={"SubmitJob": 50}, no_containers=True)
    emulator["running"] = True
    emulator["info"] = dataclasses.replace(INFO, faults=injected)
    code, _, err = run_cli(["local", "status"], capsys)
    assert code == 0, err
    assert "injected: latency 50 ms; SubmitJob throttled above 50/s; jobs succeed without containers" in err
    code, out, _ = run_cli(["-o", "json", "local", "status"], capsys)
    assert json.loads(out)["emulator"]["faults"] == injected.to_dict()
