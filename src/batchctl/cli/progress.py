"""Live progress of CloudFormation work: a bar over the expected resources, one line per event."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from types import TracebackType
from typing import TYPE_CHECKING

from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from batchctl.cli import render

if TYPE_CHECKING:
    from batchctl.api.cluster import StackEvent

_STYLES = {"COMPLETE": "green", "FAILED": "bold red", "IN_PROGRESS": "dim", "ROLLBACK": "yellow"}


def _style(status: str) -> str:
    if "ROLLBACK" in status:
        return _STYLES["ROLLBACK"]
    return next((style for key, style in _STYLES.items() if status.endswith(key)), "")


class StackProgress:
    """Implements cluster.progress.Progress for a terminal; degrades to plain lines when piped."""

    def __init__(self, total: int | None = None) -> None:
        self._bar = Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=render.err,
            transient=True,
        )
        self._task = self._bar.add_task("working", total=total)
        self._done: set[str] = set()

    def __enter__(self) -> StackProgress:
        # Piped, the bar would only add a blank line on stop (before an error's line, which must come first).
        if self._bar.console.is_terminal:
            self._bar.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        if self._bar.live.is_started:
            self._bar.stop()

    @contextmanager
    def paused(self) -> Iterator[None]:
        """Take the bar off the terminal while a question is asked."""
        running = self._bar.live.is_started
        if running:
            self._bar.stop()
        try:
            yield
        finally:
            if running:
                self._bar.start()

    def expect(self, total: int) -> None:
        self._bar.update(self._task, total=total, completed=0)

    def step(self, message: str) -> None:
        self._bar.update(self._task, description=message)
        self._bar.console.print(f"[dim]•[/] {escape(message)}")

    def event(self, event: StackEvent) -> None:
        time = event.timestamp.strftime("%H:%M:%S")
        reason = f"  {event.reason}" if event.reason and not event.status.endswith("IN_PROGRESS") else ""
        self._bar.console.print(
            f"  [dim]{time}[/] [{_style(event.status)}]{event.status:<20}[/] {escape(event.resource_type):<40} "
            f"{escape(event.logical_id)}[dim]{escape(reason)}[/]"
        )
        finished = event.status.endswith("_COMPLETE") or event.status.endswith("_FAILED")
        if finished and event.logical_id not in self._done and event.resource_type != "AWS::CloudFormation::Stack":
            self._done.add(event.logical_id)
            self._bar.advance(self._task)
