"""`batchctl synth`: the compute stack's template, or with --data the data stack's, as compact JSON."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.helpers import DEMO_CONFIG, run_cli, write_yaml


def test_synth_prints_either_stack(tmp_path: Path, capsys: Any) -> None:
    config = write_yaml(tmp_path / "batchctl.yaml", DEMO_CONFIG)
    code, out, err = run_cli(["-f", str(config), "synth"], capsys)
    assert code == 0, err
    compute = json.loads(out)
    assert out.strip() == json.dumps(compute, separators=(",", ":"))
    assert "AWS::Batch::ComputeEnvironment" in {r["Type"] for r in compute["Resources"].values()}
    code, out, err = run_cli(["-f", str(config), "synth", "--data"], capsys)
    assert code == 0, err
    data = json.loads(out)
    assert {r["Type"] for r in data["Resources"].values()} == {
        "AWS::S3::Bucket",
        "AWS::S3::BucketPolicy",
        "AWS::ECR::Repository",
    }
