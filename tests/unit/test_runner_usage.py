"""Resource usage of the command's process tree: peak memory, CPU time, elapsed time."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from batchctl.runner.process import CommandOutcome, StopForwarder, run_command
from batchctl.runner.proctable import process_tree
from batchctl.runner.usage import peak_resident_bytes, resident_bytes

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


def test_a_sub_second_python_command_reports_its_own_peak() -> None:
    # Shorter than one sampling interval (0.25 s), and smaller than the process that starts it (pytest), so the
    # kernel's ru_maxrss of the child is the parent's and cannot be used: the early samples of VmHWM must see it.
    # The shell is sampled first (well under 1 MiB), then becomes Python (exec keeps the pid) for 0.1 s.
    script = f'sleep 0.05; exec "{PYTHON}" -c "import time; time.sleep(0.1)"'
    outcome = run_command(["sh", "-c", script], dict(os.environ), StopForwarder(5), sample_interval=0.25)
    assert outcome.exit_code == 0
    assert outcome.peak_rss_bytes >= 6 * MIB  # a Python interpreter (about 9 MiB), not the shell before it
    assert outcome.peak_rss_bytes < 100 * MIB  # nor the parent's size


def test_a_short_spike_between_samples_is_still_seen() -> None:
    # 30 MiB held for 50 ms, then freed; the job goes on below that: only the high-water mark shows the spike.
    script = "import time; block = bytearray(30 * 2**20); time.sleep(0.05); del block; time.sleep(0.6)"
    outcome = run_command([PYTHON, "-c", script], dict(os.environ), StopForwarder(5), sample_interval=0.25)
    assert outcome.peak_rss_bytes >= 30 * MIB


def test_peak_resident_bytes_reads_the_high_water_mark(tmp_path: Path) -> None:
    assert peak_resident_bytes(os.getpid()) >= resident_bytes([os.getpid()]) > 0
    (tmp_path / "7").mkdir()
    (tmp_path / "7" / "status").write_text("Name:\tx\nVmHWM:\t   2048 kB\nVmRSS:\t  1024 kB\n")
    (tmp_path / "8").mkdir()
    (tmp_path / "8" / "status").write_text("Name:\tkthread\n")  # no memory map
    assert peak_resident_bytes(7, tmp_path) == 2 * MIB
    assert peak_resident_bytes(8, tmp_path) == 0
    assert peak_resident_bytes(9, tmp_path) == 0  # gone
