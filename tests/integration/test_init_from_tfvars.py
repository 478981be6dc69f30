"""`batchctl init --from-tfvars` of a seed-style variables file, then `batchctl validate` of what it wrote.

Both run as a user runs them (the console entry point in a subprocess, no AWS credentials): the written config
must pass every gate of validate (schema, checks, synthesis, cfn-lint, cdk-nag, checkov).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.helpers import no_credentials_env, run_batchctl

pytestmark = pytest.mark.integration

SEED_TFVARS = """\
# The seed project's production variables: endpoints instead of the gateway server, two zones, own buckets.
project          = "genomics"
region           = "us-west-2"
enable_endpoints = true
num_zones        = 2
zones            = ["us-west-2a", "us-west-2b", "us-west-2c"]
ro_buckets       = ["genomics-reference-data"]
rw_buckets       = ["genomics-results", "genomics-scratch"]
"""


def test_config_written_from_seed_tfvars_validates(tmp_path: Path) -> None:
    (tmp_path / "terraform.tfvars").write_text(SEED_TFVARS, encoding="utf-8")
    env = no_credentials_env(tmp_path)

    init = run_batchctl(["init", "--from-tfvars", "terraform.tfvars"], env=env, cwd=tmp_path)
    assert init.returncode == 0, init.stderr
    for variable in ("project", "region", "enable_endpoints", "num_zones", "zones", "ro_buckets", "rw_buckets"):
        assert f"✓ {variable} = " in init.stderr, init.stderr
    assert (tmp_path / "batchctl.yaml").exists()

    validate = run_batchctl(["validate"], env=env, cwd=tmp_path)
    assert validate.returncode == 0, validate.stderr
    assert "interface endpoints (6 x 2 zones)" in validate.stdout + validate.stderr
    assert "✓ batchctl.yaml is valid" in validate.stderr


def test_bad_tfvars_writes_nothing(tmp_path: Path) -> None:
    (tmp_path / "terraform.tfvars").write_text(SEED_TFVARS + "num_zones = 3\n", encoding="utf-8")
    init = run_batchctl(["init", "--from-tfvars", "terraform.tfvars"], env=no_credentials_env(tmp_path), cwd=tmp_path)
    assert init.returncode == 1
    assert init.stderr.splitlines()[0] == "Error: terraform.tfvars:9: num_zones is set twice (first on line 5)"
    assert not (tmp_path / "batchctl.yaml").exists()
