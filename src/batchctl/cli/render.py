"""Terminal output: results on stdout (tables or JSON), progress and messages on stderr."""

from __future__ import annotations

import dataclasses
import json
import sys
from collections.abc import Iterable, Sequence
from datetime import datetime
from enum import Enum
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

if TYPE_CHECKING:
    from batchctl.config import Finding

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)

PIPED_WIDTH = 400
_LEVEL_STYLE = {"ERROR": "bold red", "WARNING": "yellow", "INFO": "cyan"}


def ok(message: str) -> None:
    err.print(f"[green]✓[/] {escape(message)}")


def fail(message: str) -> None:
    err.print(f"[red]⨯[/] {escape(message)}")


def note(message: str) -> None:
    err.print(f"  {message}", markup=False)


def step(message: str) -> None:
    err.print(f"[dim]•[/] {escape(message)}")


def hint(message: str) -> None:
    err.print(f"[dim]→ {escape(message)}[/]")


def findings(items: Iterable[Finding]) -> None:
    for finding in items:
        style = _LEVEL_STYLE[finding.level.name]
        err.print(f"[{style}]{finding.level.name:<7}[/] {escape(finding.path)}: {escape(finding.message)}")
        if finding.hint:
            err.print(f"        [dim]{escape(finding.hint)}[/]")


def table(title: str | None, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """A table whose first column (ids, names) stays whole so it can be copied."""
    grid = Table(show_edge=False, pad_edge=False, header_style="bold")
    grid.add_column(columns[0], no_wrap=True)
    for column in columns[1:]:
        grid.add_column(column, overflow="fold")
    for row in rows:
        grid.add_row(*("" if cell is None else str(cell) for cell in row))
    # Piped output is read by programs and people with wide terminals: do not fold it to 80 columns.
    console = out if out.is_terminal else Console(file=out.file, highlight=False, width=PIPED_WIDTH)
    if title:
        # A title of its own line: rich folds a table title to the table's width.
        console.print(f"[bold]{escape(title)}[/]")
    console.print(grid)


_written = {"json": False}


def as_json(data: Any) -> None:
    """A command's result under -o json: one JSON document on stdout (docs/json-output.md)."""
    sys.stdout.write(to_json(data) + "\n")
    _written["json"] = True


def json_line(data: Any) -> None:
    """One compact JSON document per line, for results that stream (`logs --follow -o json`)."""
    sys.stdout.write(json.dumps(data, default=_plain) + "\n")
    sys.stdout.flush()
    _written["json"] = True


def json_written() -> bool:
    """Whether this command has already put its JSON result on stdout (an error then adds no second document)."""
    return _written["json"]


def reset() -> None:
    _written["json"] = False


def to_json(data: Any) -> str:
    return json.dumps(data, indent=2, default=_plain)


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.name
    return str(value)
