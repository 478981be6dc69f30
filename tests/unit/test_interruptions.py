"""Ctrl-C during deploy: the stack's state and the command that recovers, exit 130."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from tests.helpers import DEMO_CONFIG, run_cli, write_yaml
from tests.stub_aws import StubAws

from batchctl.cli import interruptions
from batchctl.cli.context import AppContext
from batchctl.cluster.deploy import Deployer


@pytest.mark.parametrize(
    ("state", "first_line", "recovery"),
    [
        ("UPDATE_IN_PROGRESS", "stack batchctl-demo is UPDATE_IN_PROGRESS; CloudFormation goes on", "status`"),
        ("CREATE_IN_PROGRESS", "stack batchctl-demo is CREATE_IN_PROGRESS", "cancel-update-stack"),
        (None, "stack batchctl-demo was not created", "nothing was deployed"),
        ("REVIEW_IN_PROGRESS", "stack batchctl-demo was not created", "deploy` again"),
        ("UPDATE_COMPLETE", "stack batchctl-demo is UPDATE_COMPLETE; batchctl executed no change set", "replaced"),
    ],
)
def test_ctrl_c_during_deploy_says_where_the_stack_is(
    state: str | None, first_line: str, recovery: str, tmp_path: Path, capsys: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    def interrupted(self: Deployer) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(Deployer, "plan", interrupted)
    monkeypatch.setattr(AppContext, "aws", lambda self: StubAws())
    monkeypatch.setattr(interruptions, "stack_status", lambda app: state)
    config = write_yaml(tmp_path / "batchctl.yaml", DEMO_CONFIG)
    code, _, err = run_cli(["-f", str(config), "deploy", "--yes"], capsys)
    assert code == 130
    error = next(line for line in err.splitlines() if line.startswith("Error:"))
    assert error.startswith(f"Error: deploy interrupted: {first_line}")
    assert recovery in err
    assert "Traceback" not in err
