"""The command group loads a command's module only when that command runs: reading commands stay cheap."""

from __future__ import annotations

import importlib
import subprocess
import sys

from batchctl.cli.main import COMMAND_MODULES, cli, load_all_commands


def test_the_table_names_every_command_of_every_module() -> None:
    modules = sorted(set(COMMAND_MODULES.values()))
    defined = {
        command.name: module
        for module in modules
        for command in importlib.import_module(f"batchctl.cli.{module}").COMMANDS
    }
    assert defined == COMMAND_MODULES


def test_every_command_is_listed_and_loads() -> None:
    commands = load_all_commands()
    assert sorted(commands) == sorted(COMMAND_MODULES)
    assert all(
        any(param.name == "output" for param in command.params)
        for name, command in commands.items()
        if name not in ("config", "local", "image")
    )
    assert cli.list_commands(None) == sorted(COMMAND_MODULES)  # type: ignore[arg-type]


def test_reading_commands_import_no_templating_no_models_and_no_cdk() -> None:
    """What `queues`, `jobs` and `show` load: their module and the SDK, without Jinja2, pydantic or aws_cdk."""
    probe = (
        "import sys\n"
        "from batchctl.cli.main import cli\n"
        "import click\n"
        "context = click.Context(cli)\n"
        "for name in ('queues', 'jobs', 'show'):\n"
        "    cli.get_command(context, name)\n"
        "import batchctl.api\n"
        "print(' '.join(sorted(m for m in ('jinja2', 'pydantic', 'aws_cdk', 'boto3', 'batchctl.cli.job_commands')"
        " if m in sys.modules)))\n"
    )
    loaded = subprocess.run([sys.executable, "-c", probe], check=True, capture_output=True, text=True).stdout
    assert loaded.split() == []
