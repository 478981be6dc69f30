"""`batchctl status`: a stack that a failed or interrupted deploy left behind never gets a green tick."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from tests.helpers import DEMO_CONFIG, run_cli, write_yaml

from batchctl.cluster.status import ClusterStatus


def _status(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: Any, state: ClusterStatus) -> str:
    import batchctl.cluster.status as status_module

    monkeypatch.setattr(status_module, "cluster_status", lambda config, aws: state)
    config = write_yaml(tmp_path / "batchctl.yaml", DEMO_CONFIG)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")
    code, _, err = run_cli(["-f", str(config), "status"], capsys)
    assert code == 0, err
    return err


@pytest.mark.parametrize("unhealthy", ["ROLLBACK_COMPLETE", "REVIEW_IN_PROGRESS", "UPDATE_ROLLBACK_COMPLETE"])
def test_unhealthy_stacks_are_marked_failed_with_the_way_out(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: Any, unhealthy: str
) -> None:
    state = ClusterStatus(
        "batchctl-demo",
        "AWS us-east-1",
        unhealthy,
        data_stack_name="batchctl-demo-data",
        data_stack_status="CREATE_COMPLETE",
    )
    err = _status(monkeypatch, tmp_path, capsys, state)
    assert f"⨯ batchctl-demo: {unhealthy}" in err
    assert "✓ batchctl-demo:" not in err
    assert "✓ batchctl-demo-data: CREATE_COMPLETE" in err
    # The way out keeps the options in use: the same -f FILE.
    assert re.search(r"`batchctl -f \S+/batchctl.yaml deploy` recovers", err), err


def test_a_kept_data_stack_without_its_cluster(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: Any) -> None:
    state = ClusterStatus(
        "batchctl-demo",
        "AWS us-east-1",
        None,
        data_stack_name="batchctl-demo-data",
        data_stack_status="REVIEW_IN_PROGRESS",
    )
    err = _status(monkeypatch, tmp_path, capsys, state)
    assert "⨯ batchctl-demo-data: REVIEW_IN_PROGRESS" in err
    assert "⨯ batchctl-demo is not deployed" in err
    assert "✓" not in err
