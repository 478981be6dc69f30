"""`batchctl local interrupt`: the Spot interruption request, its refusals, and its output."""

from __future__ import annotations

import json
from typing import Any

import pytest
from tests.helpers import run_cli

from batchctl.local import process

REASON = "Host EC2 (instance i-0123456789abcdef0) terminated."


@pytest.fixture
def requests(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Records the job ids sent to the emulator; 'queued' and 'gone' are refused as the emulator refuses them."""
    sent: list[str] = []

    def interrupt_job(job_id: str) -> dict[str, str]:
        sent.append(job_id)
        if job_id == "queued":
            raise process.EmulatorRefusedError("job queued is RUNNABLE, not RUNNING", 409)
        if job_id == "gone":
            raise process.EmulatorRefusedError("job gone not found in the local emulator", 404)
        return {"jobId": job_id, "statusReason": REASON}

    monkeypatch.setattr(process, "interrupt_job", interrupt_job)
    return sent


def test_interrupt_needs_local(requests: list[str], capsys: Any) -> None:
    code, _, err = run_cli(["local", "interrupt", "abc"], capsys)
    assert code == 1
    assert [line for line in err.splitlines() if line.startswith("Error:")] == [
        "Error: `local interrupt` acts on the local emulator only: add --local (AWS itself reclaims Spot hosts)"
    ]
    assert requests == []


def test_interrupt_an_array_child(requests: list[str], capsys: Any) -> None:
    code, _, err = run_cli(["--local", "local", "interrupt", "abc", "--index", "2"], capsys)
    assert code == 0, err
    assert requests == ["abc:2"]
    assert f"interrupted abc:2: {REASON}" in err

    code, out, _ = run_cli(["--local", "-o", "json", "local", "interrupt", "abc"], capsys)
    assert code == 0
    assert json.loads(out) == {"job_id": "abc", "status_reason": REASON}


@pytest.mark.parametrize(
    ("job_id", "message"),
    [("queued", "job queued is RUNNABLE, not RUNNING"), ("gone", "job gone not found in the local emulator")],
)
def test_interrupt_refused_in_one_line(requests: list[str], capsys: Any, job_id: str, message: str) -> None:
    code, _, err = run_cli(["--local", "local", "interrupt", job_id], capsys)
    assert code == 1
    assert [line for line in err.splitlines() if line.startswith("Error:")] == [f"Error: {message}"]
    assert "Traceback" not in err
