"""cfn-lint on a synthesized template: CloudFormation's own rules, before anything reaches an account."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class LintFinding:
    rule_id: str  # E... error, W... warning, I... informational
    path: str
    message: str

    @property
    def is_error(self) -> bool:
        return self.rule_id.startswith("E")


def lint_template(template: dict[str, Any], region: str) -> list[LintFinding]:
    from cfnlint.api import lint

    matches = lint(json.dumps(template), regions=[region])
    return [
        LintFinding(match.rule.id, "/".join(str(part) for part in getattr(match, "path", []) or []), match.message)
        for match in matches
    ]
