"""What a project starts from, as the SDK offers it: `batchctl init` (a commented starter batchctl.yaml, or one made
from the Terraform project's terraform.tfvars, docs/migrating.md) and `batchctl config schema`. No AWS call; nothing
is written when anything is wrong."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from batchctl.config.models import CLUSTER_NAME_PATTERN, ClusterConfig
from batchctl.config.tfvars import MappedVariable, migrate, render_config
from batchctl.errors import BatchctlError, ConfigError

NAME_RULE = "use 2-24 lower-case letters, digits and hyphens, starting with a letter"


@dataclass(frozen=True)
class InitResult:
    written: str  # the file written
    profile: str  # demo | production | tfvars
    variables: list[MappedVariable] = field(default_factory=list)  # from a tfvars file: what became of each one


def init_config(
    path: str | Path,
    *,
    production: bool = False,
    name: str | None = None,
    force: bool = False,
    from_tfvars: str | Path | None = None,
) -> InitResult:
    target = Path(path)
    if target.exists() and not force:
        raise BatchctlError(f"{target} already exists", hint="pass --force to overwrite it, or -f OTHER.yaml")
    if name and not re.fullmatch(CLUSTER_NAME_PATTERN, name):
        raise ConfigError(f"cluster name {name!r}: {NAME_RULE}")
    if from_tfvars is not None:
        migration = migrate(Path(from_tfvars), name)  # raises before anything is written
        target.write_text(render_config(migration), encoding="utf-8")
        return InitResult(str(target), "tfvars", list(migration.report))
    profile = "production" if production else "demo"
    text = resources.files("batchctl.data").joinpath(f"starter-{profile}.yaml").read_text(encoding="utf-8")
    if name:
        text = re.sub(r"^name: .*$", f"name: {name}", text, count=1, flags=re.MULTILINE)
    target.write_text(text, encoding="utf-8")
    return InitResult(str(target), profile)


def config_schema() -> dict[str, Any]:
    """The JSON Schema of batchctl.yaml (for editors' YAML plugins)."""
    document = ClusterConfig.model_json_schema()
    document["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    document["title"] = "batchctl cluster configuration"
    return document
