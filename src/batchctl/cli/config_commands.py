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
    from batchctl.config import ClusterConfig

    document = ClusterConfig.model_json_schema()
    document["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    document["title"] = "batchctl cluster configuration"
    click.echo(json.dumps(document, indent=2))


COMMANDS = [config_group]
