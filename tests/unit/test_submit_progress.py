"""The submit progress bar: on a terminal and for more than a screenful of jobs only, on stderr."""

from __future__ import annotations

import io

import pytest
from rich.console import Console

from batchctl.cli import render, submit_progress
from batchctl.jobs.submit import SubmitProgress


@pytest.fixture
def terminal(monkeypatch: pytest.MonkeyPatch) -> io.StringIO:
    screen = io.StringIO()
    console = Console(file=screen, force_terminal=True, height=20, width=120)
    monkeypatch.setattr(render, "err", console)
    return screen


def test_a_long_file_shows_the_bar_and_how_to_resume(terminal: io.StringIO) -> None:
    with submit_progress.SubmitBar(enabled=True, resume_hint="batchctl submit jobs.yaml --resume") as bar:
        for done in (0, 50, 100):
            bar.update(SubmitProgress(done, 100, throttled=3, rate=45.0, submission_id="0a1b2c3d"))
    text = terminal.getvalue()
    assert "submission 0a1b2c3d; if interrupted: batchctl submit jobs.yaml --resume 0a1b2c3d" in text
    assert "100/100" in text and "3 throttled" in text


@pytest.mark.parametrize(("enabled", "jobs"), [(False, 100), (True, 5)])
def test_json_output_and_short_files_get_no_bar(terminal: io.StringIO, enabled: bool, jobs: int) -> None:
    with submit_progress.SubmitBar(enabled=enabled) as bar:
        bar.update(SubmitProgress(jobs, jobs, throttled=0, rate=45.0, submission_id="0a1b2c3d"))
    assert terminal.getvalue() == ""
