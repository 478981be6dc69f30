"""`batchctl`: the command group, its global options, and the entry point."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from batchctl import __version__
from batchctl.cli import boundary, options
from batchctl.cli.context import AppContext, remember_app
from batchctl.paths import DEFAULT_CONFIG_FILE


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 110})
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


def _register() -> None:
    from batchctl.cli import (
        cluster_commands,
        completion,
        config_commands,
        image_commands,
        insight_commands,
        job_commands,
        local_commands,
        ui_commands,
    )

    for module in (
        cluster_commands,
        config_commands,
        local_commands,
        job_commands,
        image_commands,
        insight_commands,
        ui_commands,
        completion,
    ):
        for command in module.COMMANDS:
            options.add_output_option(command)
            cli.add_command(command)


_register()


def main() -> None:
    sys.exit(boundary.run(cli))
