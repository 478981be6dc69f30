"""Job commands at the command line: light imports, dry runs without credentials, one clear line per bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from tests.helpers import DEMO_CONFIG, no_credentials_env, run_cli, write_yaml

from batchctl.cli.context import AppContext
from batchctl.jobs.logs import LogSource
from batchctl.jobs.records import JobRecord

HEAVY_MODULES = ("aws_cdk", "jsii", "cdk_nag", "moto", "docker")


def test_job_commands_import_no_cdk_and_no_emulator() -> None:
    commands = ["jobs", "submit", "show", "logs", "cancel", "queues", "outputs", "image"]
    code = (
        "import sys\n"
        "from batchctl.cli.boundary import run\n"
        "from batchctl.cli.main import cli\n"
        f"statuses = [run(cli, [command, '--help']) for command in {commands!r}]\n"
        f"heavy = sorted({{m.split('.')[0] for m in sys.modules}} & set({HEAVY_MODULES!r}))\n"
        "print('HEAVY', heavy, statuses)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert f"HEAVY [] {[0] * len(commands)}" in result.stdout


@pytest.fixture
def cluster(tmp_path: Path) -> Path:
    return write_yaml(tmp_path / "batchctl.yaml", DEMO_CONFIG)


def job_file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "jobs.yaml"
    path.write_text(text, encoding="utf-8")
    return path


GOOD = (
    "jobs:\n  - name: hello-{{ timestamp }}\n    queue: cpu\n    definition: helloworld\n    command: echo {{ word }}\n"
)


def test_dry_run_needs_no_credentials(tmp_path: Path, cluster: Path) -> None:
    path = job_file(tmp_path, GOOD)
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "batchctl",
            "-f",
            str(cluster),
            "submit",
            str(path),
            "word=hi",
            "--dry-run",
            "-o",
            "json",
        ],
        capture_output=True,
        text=True,
        env=no_credentials_env(tmp_path),
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    (request,) = document["requests"]
    assert request["jobQueue"] == "<output QueueCpu>"
    assert request["containerOverrides"]["command"] == ["echo", "hi"]
    assert "command: echo hi" in document["rendered"]


def _error_lines(err: str) -> list[str]:
    return [line for line in err.splitlines() if line.startswith("Error:")]


JOB = "  - name: {name}\n    queue: {queue}\n    definition: helloworld\n"


@pytest.mark.parametrize(
    ("text", "args", "expected"),
    [
        (
            "jobs:\n" + JOB.format(name="a", queue="cpu") + "    memroy: 512\n",
            [],
            '{path}:5: job "a": memroy: unknown key (did you mean "memory"?)',
        ),
        (GOOD, [], "{path}:5: undefined template variable 'word'"),
        (
            "jobs:\n" + JOB.format(name="a", queue="cpu") + "    depends_on: [b]\n",
            [],
            "{path}:5: job \"a\": depends_on[0]: no job named 'b' in this file",
        ),
        (
            "jobs:\n"
            + JOB.format(name="a", queue="cpu")
            + "    depends_on: [b]\n"
            + JOB.format(name="b", queue="cpu")
            + "    depends_on: [a]\n",
            [],
            "{path}: dependency cycle: a -> b -> a",
        ),
        (
            "jobs:\n" + JOB.format(name="a", queue="cpux"),
            [],
            '{path}:3: job "a": queue: unknown queue \'cpux\' (did you mean "cpu"?); the queues of cluster demo: '
            "cpu (demo-cpu)",
        ),
        (GOOD, ["word"], "expected key=value, got 'word'"),
    ],
    ids=["unknown-field", "undefined-variable", "unknown-dependency", "cycle", "unknown-queue", "bad-variable"],
)
def test_bad_job_files_get_one_clear_line(
    tmp_path: Path, cluster: Path, capsys: Any, text: str, args: list[str], expected: str
) -> None:
    path = job_file(tmp_path, text)
    code, out, err = run_cli(["-f", str(cluster), "submit", str(path), *args, "--dry-run"], capsys)
    assert code == 1
    assert _error_lines(err) == [f"Error: {expected.format(path=path)}"]
    assert "Traceback" not in err and out == ""


class _NotStarted:
    def log_source(self, job_id: str, **_: Any) -> LogSource:
        record = JobRecord(
            id=job_id,
            name="hello",
            aws_name="hello-0a1b2c3d",
            status="RUNNABLE",
            status_reason="",
            queue="q",
            definition="d",
            user="alice",
            submission="0a1b2c3d",
            created=datetime(2026, 1, 2, tzinfo=UTC),
            started=None,
            stopped=None,
            array_size=None,
            array_index=None,
            children={},
            exit_code=None,
            log_stream=None,
            log_group=None,
        )
        return LogSource(record, "/demo/job/helloworld", None)


def test_logs_of_a_job_not_started_says_so_and_exits_0(
    monkeypatch: pytest.MonkeyPatch, cluster: Path, capsys: Any
) -> None:
    monkeypatch.setattr(AppContext, "api", lambda self: _NotStarted())
    code, out, err = run_cli(["-f", str(cluster), "logs", "j-1"], capsys)
    assert code == 0
    assert out == ""
    assert err.splitlines()[0].strip() == "job j-1 is RUNNABLE: no logs yet"
    assert "logs j-1 -f" in err


def test_status_and_user_options_conflict(cluster: Path, capsys: Any) -> None:
    code, _, err = run_cli(["-f", str(cluster), "jobs", "--status", "RUNNING", "--all"], capsys)
    assert code == 2
    assert "give --status or --all, not both" in err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--resume", "not-an-id"], "'not-an-id' is not a submission id"),
        (["--rate", "0"], "--rate"),
    ],
)
def test_bad_resume_and_rate_are_usage_errors(
    tmp_path: Path, cluster: Path, capsys: Any, args: list[str], message: str
) -> None:
    code, _, err = run_cli(["-f", str(cluster), "submit", str(job_file(tmp_path, GOOD)), *args], capsys)
    assert code == 2
    assert message in err
