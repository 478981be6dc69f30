"""`batchctl completion SHELL` prints a script, and the script's call back into batchctl completes real words."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

import pytest
from tests.helpers import run_cli


@pytest.mark.parametrize(("shell", "marker"), [("bash", "complete -o"), ("zsh", "compdef"), ("fish", "complete ")])
def test_scripts_for_each_shell(shell: str, marker: str, capsys: Any) -> None:
    code, out, err = run_cli(["completion", shell], capsys)
    assert code == 0, err
    assert "_BATCHCTL_COMPLETE" in out and marker in out


def test_an_unknown_shell_is_a_usage_error(capsys: Any) -> None:
    code, _, err = run_cli(["completion", "tcsh"], capsys)
    assert code == 2
    assert "'tcsh' is not one of 'bash', 'zsh', 'fish'" in err


def complete(words: str, current: int) -> list[str]:
    env = {"_BATCHCTL_COMPLETE": "bash_complete", "COMP_WORDS": words, "COMP_CWORD": str(current)}
    result = subprocess.run(
        [sys.executable, "-m", "batchctl"], capture_output=True, text=True, timeout=60, env={**os.environ, **env}
    )
    assert result.returncode == 0, result.stderr
    return [line.split(",", 1)[1] for line in result.stdout.splitlines()]


def test_completion_answers_commands_and_option_values() -> None:
    assert complete("batchctl st", 1) == ["status"]
    assert complete("batchctl status -o ", 3) == ["table", "json"]
    assert "interrupt" in complete("batchctl local ", 2)
