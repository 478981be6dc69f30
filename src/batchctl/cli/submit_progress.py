"""Progress of a submission on the terminal: a bar with the submit rate and the time left (stderr only)."""

from __future__ import annotations

from types import TracebackType
from typing import TYPE_CHECKING

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from batchctl.cli import render

if TYPE_CHECKING:
    from batchctl.jobs.submit import SubmitProgress


class SubmitBar:
    """Shown only on a terminal and for more jobs than fit on one screen; otherwise it does nothing."""

    def __init__(self, enabled: bool, resume_hint: str = "") -> None:
        self._resume_hint = resume_hint
        self._bar = Progress(
            TextColumn("submitting"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[speed]}"),
            TextColumn("{task.fields[throttled]}"),
            TimeRemainingColumn(),
            console=render.err,
            transient=True,
        )
        self._task = self._bar.add_task("submitting", total=None, speed="", throttled="")
        self._enabled = enabled and self._bar.console.is_terminal
        self._shown = False

    @staticmethod
    def wanted(jobs: int) -> bool:
        return jobs > render.err.size.height

    def __enter__(self) -> SubmitBar:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        if self._shown:
            self._bar.stop()

    def update(self, progress: SubmitProgress) -> None:
        if not self._enabled or not self.wanted(progress.total):
            return
        if not self._shown:
            if progress.submission_id:
                render.note(
                    f"submission {progress.submission_id}; if interrupted: {self._resume_hint} {progress.submission_id}"
                )
            self._bar.start()
            self._shown = True
        task = self._bar.tasks[0]
        speed = f"{task.speed:.0f} jobs/s" if task.speed else ""
        throttled = f"{progress.throttled} throttled" if progress.throttled else ""
        self._bar.update(self._task, total=progress.total, completed=progress.done, speed=speed, throttled=throttled)
