"""`batchctl init --from-tfvars`: every seed variable's mapping, and every kind of bad variables file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from tests.helpers import run_cli

from batchctl.config import ClusterConfig, load_config
from batchctl.config.tfvars import SEED_VARIABLES, migrate, render_config, starter_settings
from batchctl.errors import ConfigError

ALL_FIVE = """\
# the seed's production variables
enable_endpoints = true
num_zones        = 2
zones            = ["us-east-1a", "us-east-1b", "us-east-1c"]
ro_buckets       = ["genomics-reference-data"]
rw_buckets       = ["genomics-results", "genomics-scratch"]
"""


def tfvars(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "terraform.tfvars"
    path.write_text(text, encoding="utf-8")
    return path


def written(tmp_path: Path, text: str, name: str | None = None) -> ClusterConfig:
    """Migrate, write the file, and load it back as batchctl would."""
    out = tmp_path / "batchctl.yaml"
    out.write_text(render_config(migrate(tfvars(tmp_path, text), name)), encoding="utf-8")
    return load_config(out)


def report(tmp_path: Path, text: str) -> dict[str, Any]:
    return {line.variable: line for line in migrate(tfvars(tmp_path, text)).report}


def refusal(tmp_path: Path, text: str) -> str:
    with pytest.raises(ConfigError) as caught:
        migrate(tfvars(tmp_path, text))
    return caught.value.message


# --- every variable ------------------------------------------------------------------------------------------


def test_an_empty_file_gives_the_demo_profile(tmp_path: Path) -> None:
    config = written(tmp_path, "# nothing set\n")
    demo = ClusterConfig.model_validate(
        yaml.safe_load(Path(__file__).parents[2].joinpath("src/batchctl/data/starter-demo.yaml").read_text())
    )
    assert config == demo
    lines = report(tmp_path, "")
    assert list(lines) == list(SEED_VARIABLES)
    assert not any(line.mapped for line in lines.values())


def test_all_five_seed_variables(tmp_path: Path) -> None:
    config = written(tmp_path, ALL_FIVE)
    assert config.network.endpoints is True
    assert config.network.egress == "none"
    assert config.network.availability_zones == ["us-east-1a", "us-east-1b"]
    assert config.storage.create_buckets is False
    assert config.storage.read_only == ["genomics-reference-data"]
    assert config.storage.read_write == ["genomics-results", "genomics-scratch"]
    assert config.storage.outputs_bucket == "genomics-results"
    # compute, queues and job definitions are the demo starter's
    assert config.model_dump(include={"compute_environments", "queues", "job_definitions"}) == ClusterConfig(
        name="xy", **starter_settings()
    ).model_dump(include={"compute_environments", "queues", "job_definitions"})
    lines = report(tmp_path, ALL_FIVE)
    assert all(lines[name].mapped for name in ("enable_endpoints", "num_zones", "zones", "ro_buckets", "rw_buckets"))
    assert "us-east-1c not used" in lines["num_zones"].outcome
    assert not lines["project"].mapped and not lines["region"].mapped


def test_the_written_file_says_where_each_setting_came_from(tmp_path: Path) -> None:
    text = render_config(migrate(tfvars(tmp_path, ALL_FIVE)))
    assert 'read_only: [genomics-reference-data]  # from ro_buckets = ["genomics-reference-data"]' in text
    assert "endpoints: true  # from enable_endpoints = true" in text
    assert "compute_environments:\n  - name: cpu-spot" in text


def test_project_and_region(tmp_path: Path) -> None:
    config = written(tmp_path, 'project = "genomics"\nregion = "eu-west-1"\nzones = ["a", "b"]\n')
    assert config.name == "genomics"
    assert config.region == "eu-west-1"
    assert config.network.availability_zones == ["eu-west-1a", "eu-west-1b"]  # zone letters take the region


def test_name_option_wins_over_project(tmp_path: Path) -> None:
    config = written(tmp_path, 'project = "genomics"\n', name="other")
    assert config.name == "other"
    assert not migrate(tfvars(tmp_path, 'project = "genomics"\n'), "other").report[0].mapped


def test_enable_endpoints_false_keeps_the_gateway(tmp_path: Path) -> None:
    config = written(tmp_path, "enable_endpoints = false\n")
    assert (config.network.endpoints, config.network.egress) == (False, "nat-instance")


def test_num_zones_alone_is_a_count(tmp_path: Path) -> None:
    assert written(tmp_path, "num_zones = 3\n").network.availability_zones == 3


def test_zones_alone_are_all_used(tmp_path: Path) -> None:
    config = written(tmp_path, 'zones = ["us-east-1b", "us-east-1d"]\n')
    assert config.network.availability_zones == ["us-east-1b", "us-east-1d"]


def test_read_only_buckets_alone_keep_the_clusters_buckets(tmp_path: Path) -> None:
    config = written(tmp_path, 'ro_buckets = ["reference-data"]\n')
    assert config.storage.create_buckets is True
    assert config.storage.read_only == ["reference-data"]
    assert config.storage.outputs_bucket is None


def test_empty_read_write_list_keeps_the_clusters_buckets(tmp_path: Path) -> None:
    assert written(tmp_path, "rw_buckets = []\n").storage.create_buckets is True


def test_terraform_conversions_from_strings(tmp_path: Path) -> None:
    config = written(tmp_path, 'enable_endpoints = "true"\nnum_zones = "2"\n')
    assert config.network.endpoints is True
    assert config.network.availability_zones == 2


def test_null_leaves_a_variable_unset(tmp_path: Path) -> None:
    lines = report(tmp_path, "num_zones = null\n")
    assert not lines["num_zones"].mapped
    assert lines["num_zones"].given == "null"


def test_string_escapes_and_heredoc(tmp_path: Path) -> None:
    config = written(tmp_path, 'project = "gen\\u006fmics"\nregion = <<EOT\nus-east-2\nEOT\n')
    assert config.name == "genomics"
    assert config.region == "us-east-2"


def test_cli_prints_one_line_per_variable_and_writes_the_file(tmp_path: Path, capsys: Any) -> None:
    out = tmp_path / "out.yaml"
    code, _, err = run_cli(["init", "--from-tfvars", str(tfvars(tmp_path, ALL_FIVE)), "-f", str(out)], capsys)
    assert code == 0, err
    for name in SEED_VARIABLES:
        assert sum(1 for line in err.splitlines() if line.split()[1].rstrip(":") == name) == 1, (name, err)
    assert "✓ enable_endpoints = true -> network.endpoints: true, network.egress: none" in err
    assert "• project: not set: name: demo" in err
    assert load_config(out).storage.read_write == ["genomics-results", "genomics-scratch"]


def test_cli_json_report(tmp_path: Path, capsys: Any) -> None:
    import json

    out = tmp_path / "out.yaml"
    code, stdout, _ = run_cli(
        ["-o", "json", "init", "--from-tfvars", str(tfvars(tmp_path, ALL_FIVE)), "-f", str(out)], capsys
    )
    assert code == 0
    document = json.loads(stdout)
    assert [item["variable"] for item in document["variables"]] == list(SEED_VARIABLES)
    assert document["written"] == str(out)


# --- every bad case: one line with the place, exit 1, no file --------------------------------------------------

BAD = [
    ("zones = [\n", "terraform.tfvars:2:1: invalid HCL: unexpected end of file"),
    ('zones = ["a" "b"]\n', "terraform.tfvars:1:14: invalid HCL: unexpected"),
    ('project = "a"\nproject = "b"\n', "terraform.tfvars:2: project is set twice (first on line 1)"),
    ("num_zones = 1 zones = []\n", "terraform.tfvars:1: two arguments on one line"),
    ('resource "x" "y" {\n}\n', "terraform.tfvars:1: a block (resource { ... }) is not allowed"),
    ("zones = var.zones\n", "terraform.tfvars:1: zones: var.zones is an expression"),
    ("num_zones = 1 + 1\n", "terraform.tfvars:1: num_zones: 1 + 1 is an expression"),
    ('zones = ["${var.region}a"]\n', "terraform.tfvars:1: zones: a template"),
    ('\n\nprojct = "x"\n', "terraform.tfvars:3: unknown variable 'projct' (did you mean \"project\"?)"),
    ('enable_endpoints = "yes"\n', 'terraform.tfvars:1: enable_endpoints: expected true or false, found "yes"'),
    ("enable_endpoints = 1\n", "terraform.tfvars:1: enable_endpoints: expected true or false, found 1"),
    ('num_zones = "two"\n', 'terraform.tfvars:1: num_zones: expected a whole number, found "two"'),
    ("num_zones = 1.5\n", "terraform.tfvars:1: num_zones: expected a whole number, found 1.5"),
    ("num_zones = 0\n", "terraform.tfvars:1: num_zones: 0 zones: at least 1 is needed"),
    ("num_zones = 7\n", "terraform.tfvars:1: num_zones: must be a zone count from 1 to 6"),
    ('num_zones = 3\nzones = ["a", "b"]\n', "terraform.tfvars:1: num_zones = 3 but zones lists only 2"),
    ('zones = "us-east-1a"\n', "terraform.tfvars:1: zones: expected a list of strings"),
    ("zones = []\n", "terraform.tfvars:1: zones: the list is empty"),
    ('zones = ["us-west-2a"]\n', "terraform.tfvars:1: zones: zone 'us-west-2a' is not in region us-east-1"),
    ('zones = ["us-east-1a", "us-east-1a"]\n', "terraform.tfvars:1: zones: lists a zone twice"),
    ('zones = ["nowhere"]\n', "terraform.tfvars:1: zones: 'nowhere' is not a zone name"),
    ('ro_buckets = "data"\n', "terraform.tfvars:1: ro_buckets: expected a list of strings"),
    ("ro_buckets = [{ a = 1 }]\n", "terraform.tfvars:1: ro_buckets: expected a string, found {a = 1}"),
    ('rw_buckets = ["Bad_Bucket"]\n', "terraform.tfvars:1: rw_buckets: bucket 'Bad_Bucket': must be 3-63"),
    ('ro_buckets = ["ok-bucket", "xn--bad"]\n', "terraform.tfvars:1: ro_buckets: bucket 'xn--bad'"),
    ('project = "My_Project"\n', "terraform.tfvars:1: project: not a cluster name"),
    ('project = ["a"]\n', "terraform.tfvars:1: project: expected a string"),
    ('region = "west"\n', "terraform.tfvars:1: region: not an AWS region"),
]


@pytest.mark.parametrize(("text", "expected"), BAD, ids=[expected.split(": ", 1)[1][:40] for _, expected in BAD])
def test_bad_variables_file_is_refused_with_the_place(tmp_path: Path, text: str, expected: str) -> None:
    message = refusal(tmp_path, text)
    assert "\n" not in message
    assert message.startswith(str(tmp_path / expected.split(":", 1)[0]))
    assert expected.split(":", 1)[1] in message.removeprefix(str(tmp_path / "terraform.tfvars"))


@pytest.mark.parametrize(("text", "expected"), BAD[:3] + BAD[8:10])
def test_cli_refuses_bad_files_in_one_line_and_writes_nothing(
    tmp_path: Path, capsys: Any, text: str, expected: str
) -> None:
    out = tmp_path / "out.yaml"
    code, _, err = run_cli(["init", "--from-tfvars", str(tfvars(tmp_path, text)), "-f", str(out)], capsys)
    assert code == 1
    assert err.startswith(f"Error: {tmp_path / 'terraform.tfvars'}:")
    assert "Traceback" not in err
    assert not out.exists()


def test_bad_name_option(tmp_path: Path, capsys: Any) -> None:
    code, _, err = run_cli(
        ["init", "--from-tfvars", str(tfvars(tmp_path, "")), "--name", "Bad", "-f", str(tmp_path / "o.yaml")], capsys
    )
    assert code == 2 and "--name" in err
    assert not (tmp_path / "o.yaml").exists()


def test_missing_and_oversized_files(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such file"):
        migrate(tmp_path / "absent.tfvars")
    with pytest.raises(ConfigError, match="too large for a variables file"):
        migrate(tfvars(tmp_path, "# " + "x" * 300_000 + "\n"))


def test_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "terraform.tfvars"
    path.write_bytes(b'project = "\xff"\n')
    with pytest.raises(ConfigError, match="not UTF-8"):
        migrate(path)


def test_production_flag_does_not_combine(tmp_path: Path, capsys: Any) -> None:
    code, _, err = run_cli(
        ["init", "--production", "--from-tfvars", str(tfvars(tmp_path, "")), "-f", str(tmp_path / "o.yaml")], capsys
    )
    assert code == 2 and "do not combine" in err
