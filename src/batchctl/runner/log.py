"""The runner's own log lines: prefixed with `batchctl-run:` on stderr, so they stand apart from the job's output."""

from __future__ import annotations

import sys

PREFIX = "batchctl-run:"


def say(message: str) -> None:
    print(f"{PREFIX} {message}", file=sys.stderr, flush=True)


def error(message: str) -> None:
    say(f"error: {message}")
