"""`batchctl config ...`: the configuration's JSON Schema (for editors)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import click

from batchctl.cli import render
from batchctl.cli.context import AppContext


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


def init_from_tfvars(app: AppContext, tfvars: Path, target: Path, name: str | None, production: bool) -> None:
    """`init --from-tfvars`: the Terraform project's variables -> batchctl.yaml, and one line per variable."""
    if production:
        raise click.UsageError("--from-tfvars and --production do not combine: the variables choose the profile")
    from batchctl.config.models import CLUSTER_NAME_PATTERN
    from batchctl.config.tfvars import migrate, render_config

    if name and not re.fullmatch(CLUSTER_NAME_PATTERN, name):
        raise click.BadParameter(
            "use 2-24 lower-case letters, digits and hyphens, starting with a letter", param_hint="--name"
        )
    migration = migrate(tfvars, name)  # raises before anything is written
    target.write_text(render_config(migration), encoding="utf-8")
    if app.json:
        render.as_json({"written": str(target), "variables": migration.report})
        return
    for line in migration.report:
        given = f"{line.variable} = {line.given}" if line.given is not None else line.variable
        if line.mapped:
            render.ok(f"{given} -> {line.outcome}")
        else:
            render.step(f"{given}: {line.outcome}")
    render.ok(f"wrote {target} from {tfvars}")
    render.hint(f"next: batchctl{'' if target.name == 'batchctl.yaml' else f' -f {target}'} validate")
