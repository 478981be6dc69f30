"""`batchctl`: the command group, its global options, and the entry point."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import click

from batchctl import __version__
from batchctl.cli import boundary, options
from batchctl.cli.context import AppContext, remember_app
from batchctl.paths import DEFAULT_CONFIG_FILE

# Which module defines each command: a command's module (and what it imports) is loaded only when that command
# runs, or when help or completion lists every command. tests/unit/test_cli_lazy.py checks this table against
# each module's COMMANDS.
COMMAND_MODULES: dict[str, str] = {
    "init": "cluster_commands",
    "validate": "cluster_commands",
    "synth": "cluster_commands",
    "diff": "cluster_commands",
    "deploy": "cluster_commands",
    "status": "cluster_commands",
    "destroy": "cluster_commands",
    "config": "config_commands",
    "local": "local_commands",
    "submit": "job_commands",
    "resubmit": "job_commands",
    "jobs": "read_commands",
    "show": "read_commands",
    "logs": "job_commands",
    "cancel": "job_commands",
    "queues": "read_commands",
    "outputs": "job_commands",
    "image": "image_commands",
    "why": "insight_commands",
    "run": "insight_commands",
    "usage": "insight_commands",
    "ui": "ui_commands",
    "completion": "completion",
}


class LazyGroup(click.Group):
    """Click's lazily loading group (https://click.palletsprojects.com/en/stable/complex/#lazily-loading-subcommands)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *COMMAND_MODULES})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in COMMAND_MODULES:
            module = importlib.import_module(f"batchctl.cli.{COMMAND_MODULES[cmd_name]}")
            command = next((item for item in module.COMMANDS if item.name == cmd_name), None)
            if command is None:
                raise RuntimeError(f"batchctl.cli.{COMMAND_MODULES[cmd_name]} defines no command {cmd_name!r}")
            options.add_output_option(command)
            self.add_command(command)
        return super().get_command(ctx, cmd_name)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 110})
@click.option(
    "-f",
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=DEFAULT_CONFIG_FILE,
    show_default=True,
    envvar="BATCHCTL_CONFIG",
    help="Cluster configuration file.",
)
@click.option("--profile", envvar="AWS_PROFILE", help="AWS profile (default: AWS_PROFILE).")
@click.option("--region", callback=options.check_region, help="AWS region (default: the config's region).")
@click.option("--local", is_flag=True, help="Target the local emulator (`batchctl local up`); or BATCHCTL_LOCAL=1.")
@click.option("--debug", is_flag=True, help="Show tracebacks on errors.")
@click.option(
    "-o",
    "--output",
    type=click.Choice(["table", "json"]),
    default="table",
    help="Result format; also after the command (docs/json-output.md).",
)
@click.version_option(__version__, prog_name="batchctl")
@click.pass_context
def cli(
    ctx: click.Context,
    config_path: Path,
    profile: str | None,
    region: str | None,
    local: bool,
    debug: bool,
    output: str,
) -> None:
    """Run AWS Batch from one YAML file: deploy the cluster, build images, submit and follow jobs.

    \b
    Start locally (no AWS account needed):
      batchctl local up && batchctl init && batchctl --local deploy --yes
    """
    ctx.obj = AppContext(
        config_path=config_path,
        profile=profile,
        profile_given=ctx.get_parameter_source("profile") == click.core.ParameterSource.COMMANDLINE,
        region=region,
        local_flag=True if local else None,
        debug=debug,
        output=output,
    )
    remember_app(ctx.obj)


def load_all_commands() -> dict[str, click.Command]:
    """Every command, loaded (for what enumerates them all: tests, the documentation's reference)."""
    context = click.Context(cli)
    for name in COMMAND_MODULES:
        cli.get_command(context, name)
    return dict(cli.commands)


def main() -> None:
    sys.exit(boundary.run(cli))
