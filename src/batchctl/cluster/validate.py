"""`batchctl validate`: config findings, then synth, cfn-lint, cdk-nag and checkov on the result."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from batchctl.cluster import template as templates
from batchctl.cluster.checkov import CheckovError, CheckovFinding, CheckovSkip, find_checkov, scan_template
from batchctl.cluster.lint import LintFinding, lint_template
from batchctl.cluster.progress import Progress, Silent
from batchctl.cluster.zones import offline_zones
from batchctl.config import ClusterConfig, Finding, check_config
from batchctl.config.costs import CostLine, network_fixed_costs
from batchctl.config.findings import errors


@dataclass
class NagResult:
    rule_id: str
    resource: str
    level: str
    message: str


@dataclass
class ValidationReport:
    findings: list[Finding]
    costs: list[CostLine] = field(default_factory=list)
    resource_count: int = 0
    template_bytes: int = 0
    lint: list[LintFinding] = field(default_factory=list)
    nag: list[NagResult] = field(default_factory=list)
    checkov: list[CheckovFinding] = field(default_factory=list)
    checkov_skips: list[CheckovSkip] = field(default_factory=list)  # accepted in the template, with a reason
    checkov_version: str = ""
    checkov_not_run: str = ""  # why checkov did not run (not installed, --no-security)
    skipped: str = ""

    @property
    def problem_count(self) -> int:
        return len(errors(self.findings)) + len(self.lint) + len(self.nag) + len(self.checkov)

    @property
    def ok(self) -> bool:
        return self.problem_count == 0


def validate(
    config: ClusterConfig,
    progress: Progress | None = None,
    security: bool = True,
    locate_checkov: Callable[[], str | None] = find_checkov,
) -> ValidationReport:
    progress = progress or Silent()
    findings = check_config(config)
    report = ValidationReport(findings, costs=network_fixed_costs(config))
    if errors(findings):
        report.skipped = "synth, cfn-lint, cdk-nag and checkov skipped until the configuration errors are fixed"
        return report
    zones = offline_zones(config)
    progress.step("synthesizing the template" + (" and running cdk-nag (AwsSolutions)" if security else ""))
    template: dict[str, Any]
    data_template: dict[str, Any]
    if security:
        from batchctl.infra.synth import synthesize_and_check

        synthesis = synthesize_and_check(config, zones)
        template, data_template = synthesis.template, synthesis.data_template
        report.nag = [NagResult(item.rule_id, item.resource, item.level, item.message) for item in synthesis.nag]
    else:
        data_template, template = templates.synthesize_both(config, zones)
    # The compute stack's template is the large one (the inline limit applies to each stack's own).
    report.resource_count = len(template.get("Resources", {})) + len(data_template.get("Resources", {}))
    report.template_bytes = len(templates.to_json(template).encode())
    progress.step("running cfn-lint")
    report.lint = lint_template(data_template, config.region) + lint_template(template, config.region)
    if not security:
        report.checkov_not_run = "checkov skipped (--no-security)"
        return report
    executable = locate_checkov()
    if executable is None:
        report.checkov_not_run = (
            "checkov skipped: not installed (`make setup` installs it in .venv-tools; "
            "or set BATCHCTL_CHECKOV to its path, or put it on PATH)"
        )
        return report
    progress.step("running checkov")
    # One checkov run over both stacks' resources (their logical ids do not overlap).
    both = {**template, "Resources": {**data_template.get("Resources", {}), **template.get("Resources", {})}}
    checked = scan_template(executable, both)
    if checked.parse_failed:
        raise CheckovError("checkov could not parse the synthesized template", hint=f"run {executable} by hand")
    report.checkov = checked.failed
    report.checkov_skips = checked.skipped
    report.checkov_version = checked.version
    return report
