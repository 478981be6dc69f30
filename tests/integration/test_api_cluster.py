"""The SDK does what the cluster commands do: validate, synth, diff, deploy, status, destroy, and the emulator's
status, against the session's emulator (the same calls `batchctl --local ...` makes)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from tests.helpers import DEMO_CONFIG, capture_cli, write_yaml

from batchctl.api import Batchctl, local
from batchctl.api.cluster import PlanSummary
from batchctl.local import process

pytestmark = pytest.mark.integration


def test_a_cluster_lifecycle_through_the_sdk(emulator: Any, tmp_path: Path) -> None:
    config = write_yaml(tmp_path / "batchctl.yaml", {**DEMO_CONFIG, "name": "apitest"})
    cluster = Batchctl.from_config(config, local=True)
    assert local.status().running
    assert cluster.validate(security=False).ok
    assert cluster.synth().stack == "batchctl-apitest"
    assert "AWS::Batch::JobQueue" in cluster.synth().body
    assert cluster.status().stack_status is None

    seen: list[PlanSummary] = []

    def decline(plan: PlanSummary) -> bool:
        seen.append(plan)
        return False

    declined = cluster.deploy(confirm=decline)
    assert (declined.cancelled, declined.changed, seen[0].create, seen[0].has_changes) == (True, False, True, True)
    assert cluster.status().stack_status is None  # declined: nothing was created

    deployed = cluster.deploy()
    assert (deployed.status, deployed.changed, deployed.target) == ("CREATE_COMPLETE", True, cluster.target)
    assert deployed.outputs["QueueCpu"].endswith(":job-queue/apitest-cpu")
    state = cluster.status()
    assert state.healthy
    assert {(r.kind, r.name) for r in state.resources} >= {("queue", "apitest-cpu")}
    assert not cluster.diff().has_changes
    again = cluster.deploy()
    assert (again.changed, again.status) == (False, "CREATE_COMPLETE")

    destroyed = cluster.destroy(delete_data=True)
    assert "stack batchctl-apitest" in destroyed.deleted
    assert cluster.status().stack_status is None


def test_one_probe_and_hints_that_keep_the_options(
    emulator: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = write_yaml(tmp_path / "x.yaml", {**DEMO_CONFIG, "name": "hinted"})
    probes: list[int] = []
    real_status = process.status

    def counted() -> Any:
        probes.append(1)
        return real_status()

    monkeypatch.setattr(process, "status", counted)
    code, _, err = capture_cli(["--local", "-f", str(config), "jobs"])
    assert code == 1
    assert f"deploy it: batchctl --local -f {config} deploy" in err  # the error's hint too
    probes.clear()
    code, _, err = capture_cli(["--local", "-f", str(config), "deploy", "--yes"])
    assert code == 0, err
    assert len(probes) == 1  # the emulator is looked up once per command
    assert f"→ next: batchctl --local -f {config} status" in err
    code, _, err = capture_cli(["--local", "-f", str(config), "destroy", "--yes", "--delete-data"])
    assert code == 0, err
