"""Findings: what the semantic checks say about a config, at INFO / WARNING / ERROR level."""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum


class Level(IntEnum):
    INFO = 10
    WARNING = 20
    ERROR = 30


@dataclass(frozen=True)
class Finding:
    level: Level
    path: str
    message: str
    hint: str | None = None

    def line(self) -> str:
        text = f"{self.level.name}: {self.path}: {self.message}"
        return f"{text} — {self.hint}" if self.hint else text


def errors(findings: list[Finding]) -> list[Finding]:
    return [finding for finding in findings if finding.level >= Level.ERROR]
