"""Stop signals: forwarded to the command's whole process group, SIGKILL after the grace, exit 128 + signal."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from batchctl.runner.process import StopForwarder

RUNNER = [sys.executable, "-m", "batchctl.runner"]


def start_runner(command: list[str], workspace: Path, **extra_env: str) -> subprocess.Popen[str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("AWS_", "BATCHCTL_"))}
    env.update(BATCHCTL_WORKSPACE_DIR=str(workspace), **extra_env)
    return subprocess.Popen(
        [*RUNNER, *command], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True
    )


def wait_for_line(runner: subprocess.Popen[str], prefix: str) -> str:
    """The command prints a line when it is ready for the signal."""
    assert runner.stdout is not None
    line = runner.stdout.readline()
    assert line.startswith(prefix), line
    return line


def stop(runner: subprocess.Popen[str], signum: int, timeout: float = 10) -> tuple[int, str, float]:
    sent = time.monotonic()
    runner.send_signal(signum)
    _stdout, stderr = runner.communicate(timeout=timeout)
    return runner.returncode, stderr, time.monotonic() - sent


def group_gone(group: int, timeout: float = 3) -> bool:
    """True once no process of the group is left (its stopped members may take a moment to be reaped)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.killpg(group, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.05)
    return False


def test_sigterm_is_forwarded_and_the_runner_exits_143_quickly(tmp_path: Path) -> None:
    runner = start_runner(["sh", "-c", "echo ready $$; sleep 30 & sleep 30 & wait"], tmp_path)
    group = int(wait_for_line(runner, "ready").split()[1])
    code, stderr, took = stop(runner, signal.SIGTERM)
    assert code == 143
    assert took < 5
    assert "batchctl-run: received SIGTERM: stopping the job" in stderr
    assert "exit code     143 (killed by SIGTERM) after the job received SIGTERM" in stderr
    assert group_gone(group), "the background sleeps of the command were not stopped"


def test_sigint_gives_130(tmp_path: Path) -> None:
    runner = start_runner(["sh", "-c", "echo ready; exec sleep 30"], tmp_path)
    wait_for_line(runner, "ready")
    code, stderr, _took = stop(runner, signal.SIGINT)
    assert code == 130
    assert "killed by SIGINT" in stderr


def test_command_that_handles_sigterm_keeps_its_exit_code(tmp_path: Path) -> None:
    script = "trap 'echo saving > \"$BATCHCTL_OUTPUTS_DIR/partial.txt\"; exit 4' TERM; echo ready; sleep 30 & wait"
    runner = start_runner(["sh", "-c", script], tmp_path)
    wait_for_line(runner, "ready")
    code, _stderr, _took = stop(runner, signal.SIGTERM)
    assert code == 4
    assert (tmp_path / "outputs" / "partial.txt").read_text() == "saving\n"


def test_command_ignoring_sigterm_is_killed_after_the_grace(tmp_path: Path) -> None:
    runner = start_runner(["sh", "-c", "trap '' TERM; echo ready; sleep 30"], tmp_path, BATCHCTL_STOP_GRACE_SECONDS="1")
    wait_for_line(runner, "ready")
    code, stderr, took = stop(runner, signal.SIGTERM)
    assert code == 137
    assert 0.9 <= took < 6
    assert "did not stop within 1s of SIGTERM; sending SIGKILL" in stderr


def test_a_stop_before_the_command_starts_reaches_it_once_started() -> None:
    forwarder = StopForwarder(grace_seconds=5)
    forwarder.install()
    try:
        os.kill(os.getpid(), signal.SIGTERM)  # handled: recorded, nothing to forward to yet
        assert forwarder.received == signal.SIGTERM
        command = subprocess.Popen(["sleep", "30"], process_group=0)
        forwarder.attach(command.pid)
        assert command.wait(timeout=5) == -signal.SIGTERM
    finally:
        forwarder.restore()
    assert signal.getsignal(signal.SIGTERM) == signal.SIG_DFL


@pytest.mark.parametrize(("command", "code"), [(["no-such-command-xyz"], 127), (["/etc/hostname"], 126)])
def test_command_that_cannot_start(tmp_path: Path, command: list[str], code: int) -> None:
    runner = start_runner(command, tmp_path)
    _stdout, stderr = runner.communicate(timeout=30)
    assert runner.returncode == code
    assert "batchctl-run: error: " in stderr
    assert "(the command did not run)" in stderr


def test_output_is_streamed_unchanged_and_summary_printed(tmp_path: Path) -> None:
    runner = start_runner(["sh", "-c", "printf 'out\\n'; printf 'err\\n' >&2; exit 3"], tmp_path)
    stdout, stderr = runner.communicate(timeout=30)
    assert runner.returncode == 3
    assert stdout == "out\n"
    assert stderr.splitlines()[1] == "err"
    assert "batchctl-run: ---- job summary ----" in stderr
    assert "batchctl-run: exit code     3" in stderr
    assert "batchctl-run: outputs       not uploaded" in stderr


def test_no_command_is_a_usage_error(tmp_path: Path) -> None:
    runner = start_runner([], tmp_path)
    _stdout, stderr = runner.communicate(timeout=30)
    assert runner.returncode == 2
    assert "batchctl-run: error: no command given" in stderr


def test_processes_left_running_by_the_command_are_stopped(tmp_path: Path) -> None:
    # The second one ignores SIGTERM: it is killed after the short leftover grace.
    script = "sleep 30 & (trap '' TERM; sleep 30) & echo started $$"
    runner = start_runner(["sh", "-c", script], tmp_path)
    group = int(wait_for_line(runner, "started").split()[1])
    _stdout, stderr = runner.communicate(timeout=20)
    assert runner.returncode == 0
    assert re.search(r"batchctl-run: stopping [23] process\(es\) the command left running", stderr), stderr
    assert group_gone(group)


def test_unusable_workspace_is_a_runner_error(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("not a directory")
    runner = start_runner(["true"], tmp_path / "file" / "workspace")
    _stdout, stderr = runner.communicate(timeout=30)
    assert runner.returncode == 125
    assert "batchctl-run: error: cannot create the workspace under" in stderr
