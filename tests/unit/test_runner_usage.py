"""Resource usage of the command's process tree: peak memory, CPU time, elapsed time."""

from __future__ import annotations

import os
import subprocess
import sys
import time

from batchctl.runner.process import CommandOutcome, StopForwarder, run_command
from batchctl.runner.proctable import process_tree
from batchctl.runner.usage import resident_bytes

MIB = 2**20
PYTHON = sys.executable


def run(command: list[str]) -> CommandOutcome:
    # In-process on purpose: pytest's own memory is far above the child's, so only the /proc sampler can
    # see the child's peak; the kernel's ru_maxrss of a child launched from a big process is not trusted.
    return run_command(command, dict(os.environ), StopForwarder(grace_seconds=5), sample_interval=0.05)


def hold_memory(mib: int, seconds: float) -> str:
    return f"import time; block = bytearray({mib} * 2**20); time.sleep({seconds})"


def test_peak_memory_of_a_child_that_allocates_50_mib() -> None:
    outcome = run([PYTHON, "-c", hold_memory(50, 0.5)])
    assert outcome.exit_code == 0
    assert outcome.peak_rss_bytes >= 50 * MIB
    assert outcome.peak_rss_bytes < 50 * MIB + 200 * MIB  # the runner's own memory is not counted
    assert outcome.rss_samples >= 3


def test_peak_memory_sums_the_process_tree() -> None:
    # Two 40 MiB processes at the same time: the tree's peak is more than either process alone.
    script = f'"{PYTHON}" -c "{hold_memory(40, 1.0)}" & "{PYTHON}" -c "{hold_memory(40, 1.0)}"; wait'
    outcome = run(["sh", "-c", script])
    assert outcome.exit_code == 0
    assert outcome.peak_rss_bytes >= 80 * MIB


def test_cpu_time_of_a_busy_loop() -> None:
    busy = "import time\nend = time.process_time() + 0.8\nwhile time.process_time() < end: pass"
    outcome = run([PYTHON, "-c", busy])
    assert outcome.cpu_user_seconds + outcome.cpu_system_seconds >= 0.75
    assert outcome.elapsed_seconds >= 0.75


def test_cpu_time_includes_grandchildren() -> None:
    busy = "import time\nend = time.process_time() + 0.5\nwhile time.process_time() < end: pass"
    outcome = run(["sh", "-c", f'"{PYTHON}" -c "{busy}"; "{PYTHON}" -c "{busy}"'])
    assert outcome.cpu_user_seconds + outcome.cpu_system_seconds >= 0.95


def test_idle_command_uses_little_cpu_and_reports_times() -> None:
    outcome = run(["sleep", "0.3"])
    assert outcome.exit_code == 0
    assert outcome.cpu_user_seconds + outcome.cpu_system_seconds < 0.2
    assert 0.3 <= outcome.elapsed_seconds < 3
    assert outcome.ended_at > outcome.started_at


def test_exit_code_and_signal_are_reported() -> None:
    assert run(["sh", "-c", "exit 7"]).exit_code == 7
    killed = run(["sh", "-c", "kill -KILL $$"])
    assert (killed.exit_code, killed.signal_name) == (128 + 9, "SIGKILL")


def test_process_tree_has_descendants_and_group_members() -> None:
    # sh (own process group) -> sleep; and a sleep that left for init still belongs to the group.
    parent = subprocess.Popen(["sh", "-c", "sleep 5 & sleep 5 & wait"], process_group=0)
    try:
        deadline = time.monotonic() + 5
        tree: set[int] = set()
        while time.monotonic() < deadline and len(tree) < 3:
            tree = process_tree(parent.pid, parent.pid)
            time.sleep(0.05)
        assert parent.pid in tree and len(tree) == 3
        assert os.getpid() not in tree
        assert resident_bytes(tree) > 0
    finally:
        os.killpg(parent.pid, 9)
        parent.wait()


def test_process_tree_of_a_finished_process_is_empty() -> None:
    finished = subprocess.Popen(["true"])
    finished.wait()
    assert process_tree(finished.pid) == set()
