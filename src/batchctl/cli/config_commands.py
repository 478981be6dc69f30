"""`batchctl config ...`: the configuration's JSON Schema (for editors)."""

from __future__ import annotations

import json

import click


@click.group("config")
def config_group() -> None:
    """Configuration helpers."""


@config_group.command()
def schema() -> None:
    """Print the JSON Schema of batchctl.yaml (point your editor's YAML plugin at it)."""
    from batchctl.api.starter import config_schema

    click.echo(json.dumps(config_schema(), indent=2))


COMMANDS = [config_group]
