"""The security and correctness gates of `batchctl validate` on every example config and both starters
(checkov also on the option matrix of test_infra_stack; cfn-lint and cdk-nag run on it there).

cfn-lint: no errors or warnings. cdk-nag AwsSolutions: no unsuppressed finding. checkov: no failed check; every
check skipped in a template carries its reason, and is needed (without the skips, exactly those checks fail).
checkov lives in its own virtualenv (`make setup`); without it these tests skip, except in CI where they fail.
"""

from __future__ import annotations

import copy
import functools
import json
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
import yaml
from tests.emulator_fixtures import in_ci
from tests.helpers import DEMO_CONFIG, run_cli, write_yaml
from tests.unit.infra_fixtures import data_template_of, template_of
from tests.unit.test_infra_stack import CASES as OPTION_MATRIX

from batchctl.cluster import checkov
from batchctl.cluster.lint import lint_template
from batchctl.cluster.zones import offline_zones
from batchctl.config import ClusterConfig, load_config
from batchctl.errors import ConfigError
from batchctl.infra.synth import Synthesis, synthesize_and_check

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE_CONFIGS = sorted(ROOT.glob("examples/*.yaml"))
STARTERS = ("demo", "production")
MIN_REASON_LENGTH = 40


def _starter_text(profile: str) -> str:
    return resources.files("batchctl.data").joinpath(f"starter-{profile}.yaml").read_text(encoding="utf-8")


def _gate_configs() -> dict[str, ClusterConfig]:
    configs = {f"example-{path.stem}": load_config(path) for path in EXAMPLE_CONFIGS}
    for profile in STARTERS:
        configs[f"starter-{profile}"] = ClusterConfig.model_validate(yaml.safe_load(_starter_text(profile)))
    return configs


GATE_CONFIGS = _gate_configs()


@functools.cache
def _synthesis(config_json: str) -> Synthesis:
    config = ClusterConfig.model_validate_json(config_json)
    return synthesize_and_check(config, offline_zones(config))


def synthesis_of(config: ClusterConfig) -> Synthesis:
    """One synthesis per distinct configuration for the whole session (the production example is the starter)."""
    return _synthesis(config.model_dump_json())


def checkov_or_skip() -> str:
    """The checkov executable; without one the test skips, or fails in CI (make setup installs it)."""
    try:
        executable = checkov.find_checkov()
        reason = "checkov not found (make setup installs it in .venv-tools; or set BATCHCTL_CHECKOV)"
    except ConfigError as exc:
        executable, reason = None, exc.message
    if executable is None:
        if in_ci():
            pytest.fail(f"{reason} (CI=true: the checkov gate must run)", pytrace=False)
        pytest.skip(reason)
    return executable


def test_there_are_example_configs() -> None:
    assert "example-production" in GATE_CONFIGS


def test_production_example_is_the_production_starter() -> None:
    """One source of truth: `batchctl init --production` writes exactly examples/production.yaml."""
    example = (ROOT / "examples" / "production.yaml").read_text(encoding="utf-8")
    assert example == _starter_text("production"), (
        "examples/production.yaml and src/batchctl/data/starter-production.yaml differ: edit one, copy it to the other"
    )


def test_production_example_has_what_production_needs() -> None:
    config = GATE_CONFIGS["example-production"]
    network = config.network
    assert (network.availability_zones, network.egress, network.endpoints) == (3, "none", True)
    assert not config.storage.create_buckets and config.storage.read_write and config.storage.read_only
    by_name = {ce.name: ce for ce in config.compute_environments}
    for queue in config.queues:
        first, *fallback = (by_name[name] for name in queue.compute_environments)
        assert first.type == "SPOT" and [ce.type for ce in fallback] == ["EC2"], queue.name
        assert queue.fair_share, queue.name
    assert {ce.gpu for ce in config.compute_environments} == {True, False}


@pytest.mark.parametrize("name", sorted(GATE_CONFIGS))
def test_cfn_lint_finds_nothing(name: str) -> None:
    config = GATE_CONFIGS[name]
    synthesis = synthesis_of(config)
    findings = lint_template(synthesis.data_template, config.region) + lint_template(synthesis.template, config.region)
    assert [f"{item.rule_id} {item.path}: {item.message}" for item in findings] == []


@pytest.mark.parametrize("name", sorted(GATE_CONFIGS))
def test_cdk_nag_finds_nothing_unsuppressed(name: str) -> None:
    assert [str(finding) for finding in synthesis_of(GATE_CONFIGS[name]).nag] == []


def _both_stacks(compute: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
    """The resources of both stacks in one template, as `validate` scans them (their logical ids differ)."""
    return {**compute, "Resources": {**data["Resources"], **compute["Resources"]}}


def _templates() -> dict[str, dict[str, Any]]:
    """Every gate config and every case of the option matrix, both stacks each."""
    templates = {
        name: _both_stacks(synthesis_of(config).template, synthesis_of(config).data_template)
        for name, config in GATE_CONFIGS.items()
    }
    for name, (config, zones) in OPTION_MATRIX.items():
        templates[f"matrix-{name}"] = _both_stacks(template_of(config, zones), data_template_of(config))
    return templates


def _without_checkov_skips(template: dict[str, Any]) -> dict[str, Any]:
    stripped = copy.deepcopy(template)
    for resource in stripped["Resources"].values():
        resource.get("Metadata", {}).pop("checkov", None)
    return stripped


@pytest.fixture(scope="module")
def checkov_reports() -> dict[str, checkov.CheckovReport]:
    """One checkov run (it takes seconds to start) over every template, with and without its skips."""
    executable = checkov_or_skip()
    templates = _templates()
    scanned = {**templates, **{f"{name}.bare": _without_checkov_skips(t) for name, t in templates.items()}}
    return checkov.scan_templates(executable, scanned)


@pytest.mark.parametrize("name", [*sorted(GATE_CONFIGS), *(f"matrix-{case}" for case in sorted(OPTION_MATRIX))])
def test_checkov_fails_no_check(name: str, checkov_reports: dict[str, checkov.CheckovReport]) -> None:
    report = checkov_reports[name]
    assert not report.parse_failed
    assert report.passed > 0
    assert [str(finding) for finding in report.failed] == []


@pytest.mark.parametrize("name", sorted(GATE_CONFIGS))
def test_every_checkov_skip_is_needed_and_explained(
    name: str, checkov_reports: dict[str, checkov.CheckovReport]
) -> None:
    skipped = checkov_reports[name].skipped
    assert all(len(skip.reason) >= MIN_REASON_LENGTH for skip in skipped), skipped
    # Without the template's skips exactly the skipped checks fail: each skip is honoured, and none is idle.
    failing_without = {(item.check_id, item.resource) for item in checkov_reports[f"{name}.bare"].failed}
    assert failing_without == {(skip.check_id, skip.resource) for skip in skipped}


def test_validate_runs_every_gate_on_the_production_example(capsys: Any, monkeypatch: Any) -> None:
    monkeypatch.setenv(checkov.CHECKOV_ENV, checkov_or_skip())
    code, _, err = run_cli(["-f", str(ROOT / "examples" / "production.yaml"), "validate"], capsys)
    assert code == 0, err
    assert "✓ cfn-lint: no errors or warnings" in err
    assert "✓ cdk-nag AwsSolutions: no unsuppressed findings" in err
    assert "✓ checkov 3.3.30: no failed checks (" in err
    assert "examples/production.yaml is valid" in err


def test_checkov_report_is_split_per_template() -> None:
    output = json.dumps(
        {
            "check_type": "cloudformation",
            "results": {
                "passed_checks": [{"check_id": "CKV_AWS_1", "file_path": "/a.json", "resource": "r", "check_name": ""}],
                "failed_checks": [
                    {
                        "check_id": "CKV_AWS_18",
                        "file_path": "/b.json",
                        "resource": "AWS::S3::Bucket.B",
                        "check_name": "n",
                    }
                ],
                "skipped_checks": [
                    {
                        "check_id": "CKV_AWS_21",
                        "file_path": "/a.json",
                        "resource": "AWS::S3::Bucket.A",
                        "check_name": "v",
                        "check_result": {"result": "SKIPPED", "suppress_comment": "why"},
                    }
                ],
                "parsing_errors": ["/c.json"],
            },
            "summary": {"checkov_version": "3.3.30"},
        }
    )
    reports = checkov.split_report(checkov.parse_output(output), ["a", "b", "c"])
    assert reports["a"].passed == 1
    assert reports["a"].skipped == [checkov.CheckovSkip("CKV_AWS_21", "AWS::S3::Bucket.A", "why")]
    assert [str(item) for item in reports["b"].failed] == ["CKV_AWS_18 AWS::S3::Bucket.B: n"]
    assert reports["c"].parse_failed
    assert {report.version for report in reports.values()} == {"3.3.30"}


def test_checkov_is_found_by_variable_then_tools_venv_then_path(tmp_path: Path, monkeypatch: Any) -> None:
    def executable(path: Path) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("#!/bin/sh\n", encoding="utf-8")
        path.chmod(0o755)
        return path

    on_path = executable(tmp_path / "bin" / "checkov")
    configured = executable(tmp_path / "elsewhere" / "checkov")
    tools = executable(tmp_path / ".venv-tools" / "bin" / "checkov")
    monkeypatch.setattr(checkov.sys, "prefix", str(tmp_path / ".venv"))
    environ = {"PATH": str(on_path.parent)}
    assert checkov.find_checkov({**environ, checkov.CHECKOV_ENV: str(configured)}) == str(configured)
    assert checkov.find_checkov(environ) == str(tools)
    tools.unlink()
    assert checkov.find_checkov(environ) == str(on_path)
    assert checkov.find_checkov({"PATH": str(tmp_path / "none")}) is None
    with pytest.raises(ConfigError, match="is not an executable file"):
        checkov.find_checkov({checkov.CHECKOV_ENV: str(tmp_path / "missing")})


def _fake_checkov(tmp_path: Path, report: dict[str, Any], exit_code: int) -> Path:
    """A stand-in for checkov that reports `report` on the template it is given."""
    script = tmp_path / "checkov"
    lines = [
        "#!/bin/sh",
        'template=$(ls "$2")',  # checkov is called with --directory DIR: the one template in it
        "cat <<'EOF' | sed \"s|FILE|/$template|\"",
        json.dumps(report),
        "EOF",
        f"exit {exit_code}",
    ]
    script.write_text("\n".join(lines) + "\n", encoding="utf-8")
    script.chmod(0o755)
    return script


@pytest.fixture
def demo_synthesis(monkeypatch: Any) -> None:
    """validate reuses the session's synthesis of the demo config (synthesis takes seconds)."""
    from batchctl.infra import synth

    synthesis_of(ClusterConfig.model_validate(DEMO_CONFIG))  # now, while Node is on PATH
    monkeypatch.setattr(synth, "synthesize_and_check", lambda config, zones: synthesis_of(config))


def test_validate_fails_on_a_failed_checkov_check(
    tmp_path: Path, monkeypatch: Any, capsys: Any, demo_synthesis: None
) -> None:
    failed = {"check_id": "CKV_AWS_999", "file_path": "FILE", "resource": "AWS::S3::Bucket.X", "check_name": "Do it"}
    report = {"results": {"failed_checks": [failed]}, "summary": {"checkov_version": "3.3.30"}}
    monkeypatch.setenv(checkov.CHECKOV_ENV, str(_fake_checkov(tmp_path, report, 1)))
    config = write_yaml(tmp_path / "batchctl.yaml", DEMO_CONFIG)
    code, _, err = run_cli(["-f", str(config), "validate"], capsys)
    assert code == 1
    assert "⨯ checkov CKV_AWS_999 AWS::S3::Bucket.X: Do it" in err
    assert f"Error: {config}: 1 problem(s) found" in err


def test_validate_without_checkov_says_it_skipped_it(
    tmp_path: Path, monkeypatch: Any, capsys: Any, demo_synthesis: None
) -> None:
    monkeypatch.delenv(checkov.CHECKOV_ENV, raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr(checkov, "tools_venv_checkov", lambda prefix: None)
    config = write_yaml(tmp_path / "batchctl.yaml", DEMO_CONFIG)
    code, _, err = run_cli(["-f", str(config), "validate"], capsys)
    assert code == 0, err
    assert "checkov skipped: not installed" in err
    assert "✓ cdk-nag AwsSolutions: no unsuppressed findings" in err
