"""`batchctl validate`: config findings, then synth, cfn-lint and cdk-nag on the result."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from batchctl.cluster import template as templates
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
    skipped: str = ""

    @property
    def ok(self) -> bool:
        return not errors(self.findings) and not self.lint and not self.nag


def validate(config: ClusterConfig, progress: Progress | None = None, security: bool = True) -> ValidationReport:
    progress = progress or Silent()
    findings = check_config(config)
    report = ValidationReport(findings, costs=network_fixed_costs(config))
    if errors(findings):
        report.skipped = "synth, cfn-lint and cdk-nag skipped until the configuration errors are fixed"
        return report
    zones = offline_zones(config)
    progress.step("synthesizing the template")
    template: dict[str, Any] = templates.synthesize(config, zones)
    report.resource_count = len(template.get("Resources", {}))
    report.template_bytes = len(templates.to_json(template).encode())
    progress.step("running cfn-lint")
    report.lint = lint_template(template, config.region)
    if security:
        progress.step("running cdk-nag (AwsSolutions)")
        from batchctl.infra.synth import nag_findings

        report.nag = [
            NagResult(item.rule_id, item.resource, item.level, item.message) for item in nag_findings(config, zones)
        ]
    return report
