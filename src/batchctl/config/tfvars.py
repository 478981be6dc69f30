"""The seed Terraform project's `terraform.tfvars` -> the equivalent `batchctl.yaml`, and what was mapped.

The file is parsed by a real HCL parser (python-hcl2). A variables file holds only `name = value` lines with
literal values: no blocks, no references, no function calls, no interpolation, each name at most once
(https://developer.hashicorp.com/terraform/language/values/variables#variable-definitions-tfvars-files).
Values convert the way Terraform converts them to the variable's type: "true"/"false" to a bool, a numeric
string to a number, a number or bool to a string
(https://developer.hashicorp.com/terraform/language/expressions/type-constraints#conversion-of-primitive-types);
`null` leaves the variable unset. Every rule of batchctl's own (name, region, zone and bucket names) comes from
the config models, so what is written here always loads.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from batchctl.config.checks import check_config
from batchctl.config.findings import Level
from batchctl.config.models import ClusterConfig
from batchctl.config.suggest import did_you_mean
from batchctl.errors import ConfigError

# A variables file is a few lines; anything far larger is not one (and the parser is kept bounded).
MAX_TFVARS_BYTES = 256 * 1024

DEFAULT_NAME = "demo"
DEFAULT_REGION = "us-east-1"

PROJECT = "project"
REGION = "region"
ENABLE_ENDPOINTS = "enable_endpoints"
NUM_ZONES = "num_zones"
ZONES = "zones"
RO_BUCKETS = "ro_buckets"
RW_BUCKETS = "rw_buckets"
SEED_VARIABLES = (PROJECT, REGION, ENABLE_ENDPOINTS, NUM_ZONES, ZONES, RO_BUCKETS, RW_BUCKETS)

# The starter whose compute, queues and job definitions the written file takes unchanged.
STARTER = "starter-demo.yaml"
STARTER_TAIL = "compute_environments:"


@dataclass(frozen=True)
class Assignment:
    """One `name = value` line of the variables file."""

    name: str
    value: Any
    line: int
    text: str  # the value as written, for the report


@dataclass(frozen=True)
class MappedVariable:
    """One line of the report: a seed variable and what became of it."""

    variable: str
    given: str | None  # the value as written; None when the file does not set it
    mapped: bool
    outcome: str  # the batchctl settings it became, or why it did not become any


@dataclass
class Migration:
    """The batchctl settings taken from a variables file, with one report line per seed variable."""

    source: str
    name: str
    region: str
    availability_zones: int | list[str] = 1
    endpoints: bool = False
    egress: str = "nat-instance"
    create_buckets: bool = True
    read_only: list[str] = field(default_factory=list)
    read_write: list[str] = field(default_factory=list)
    outputs_bucket: str | None = None
    report: list[MappedVariable] = field(default_factory=list)

    def settings(self) -> dict[str, Any]:
        """The settings as batchctl.yaml keys (the starter's compute, queues and job definitions come on top)."""
        storage: dict[str, Any] = {
            "create_buckets": self.create_buckets,
            "read_only": self.read_only,
            "read_write": self.read_write,
        }
        if self.outputs_bucket:
            storage["outputs_bucket"] = self.outputs_bucket
        return {
            "name": self.name,
            "region": self.region,
            "network": {
                "availability_zones": self.availability_zones,
                "egress": self.egress,
                "endpoints": self.endpoints,
            },
            "storage": storage,
        }


# --- reading -------------------------------------------------------------------------------------------------


def read_tfvars(path: Path) -> dict[str, Assignment]:
    """Parse a variables file into its assignments; one ConfigError naming the place for anything else."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such file", hint="pass the seed project's terraform.tfvars") from None
    except (IsADirectoryError, PermissionError) as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror or exc}") from None
    if len(raw) > MAX_TFVARS_BYTES:
        raise ConfigError(f"{path}: {len(raw)} bytes is too large for a variables file (at most {MAX_TFVARS_BYTES})")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text (byte {exc.start})", hint="Terraform reads UTF-8 files") from None
    return parse_tfvars(text, str(path))


def parse_tfvars(text: str, source: str) -> dict[str, Assignment]:
    import hcl2
    from lark.exceptions import UnexpectedInput

    try:
        tree = hcl2.parses_to_tree(text)
    except UnexpectedInput as exc:
        token = getattr(exc, "token", None)
        if token is not None:
            what = "end of file" if token.type == "$END" else repr(str(token).strip() or token.type)
        else:
            what = repr(getattr(exc, "char", "?"))
        raise ConfigError(
            f"{source}:{exc.line}:{exc.column}: invalid HCL: unexpected {what}",
            hint='a variables file holds `name = value` lines, e.g. zones = ["us-east-1a"]',
        ) from None
    except RecursionError:
        raise ConfigError(f"{source}: invalid HCL: values nested too deeply") from None
    places = _top_level_places(tree, source)
    values = hcl2.serialize(
        hcl2.transform(tree, discard_comments=True),
        serialization_options=hcl2.SerializationOptions(with_comments=False, preserve_heredocs=False),
    )
    assignments = {}
    for name, line in places.items():
        written = values[name]
        value = _literal(written, f"{source}:{line}: {name}")
        assignments[name] = Assignment(name, value, line, _as_written(written))
    return assignments


def _top_level_places(tree: Any, source: str) -> dict[str, int]:
    """The line of every top-level argument; blocks, repeats and two arguments on one line are refused."""
    (body,) = tree.children
    places: dict[str, int] = {}
    lines_used: set[int] = set()
    for node in body.children:
        kind = getattr(node, "data", None)
        if kind == "block":
            line = node.meta.line
            raise ConfigError(
                f"{source}:{line}: a block ({_identifier(node)} {{ ... }}) is not allowed in a variables file",
                hint="a variables file holds only `name = value` lines; blocks belong in .tf files",
            )
        if kind != "attribute":
            continue
        name, line = _identifier(node), node.meta.line
        if name in places:
            raise ConfigError(
                f"{source}:{line}: {name} is set twice (first on line {places[name]})", hint="keep one of them"
            )
        if line in lines_used:
            raise ConfigError(
                f"{source}:{line}: two arguments on one line ({name} follows another)",
                hint="Terraform wants a newline after each argument",
            )
        places[name] = line
        lines_used.add(line)
    return places


def _identifier(node: Any) -> str:
    identifier = node.children[0]
    return str(identifier.children[0])


_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", '"': '"', "\\": "\\"}
_STRING_PART = re.compile(r'\\(u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|[nrt"\\])|\$\$\{|%%\{|(\$\{|%\{)')


def _literal(value: Any, where: str) -> Any:
    """hcl2's serialized form -> a Python value; strings arrive quoted, expressions as bare `${...}`."""
    if isinstance(value, list):
        return [_literal(item, where) for item in value]
    if isinstance(value, dict):
        return {
            _literal(key, where) if key.startswith('"') else key: _literal(item, where) for key, item in value.items()
        }
    if not isinstance(value, str):
        return value
    if not (len(value) >= 2 and value.startswith('"') and value.endswith('"')):
        raise ConfigError(
            f"{where}: {value.removeprefix('${').removesuffix('}')} is an expression; "
            "a variables file takes literal values only",
            hint='write the value itself, e.g. "us-east-1" or ["a", "b"]',
        )
    return _STRING_PART.sub(lambda match: _unescape(match, where), value[1:-1])


def _unescape(match: re.Match[str], where: str) -> str:
    if match.group(2):
        raise ConfigError(
            f"{where}: a template (${{...}} or %{{...}}) is not allowed in a variables file",
            hint="write the value itself; $${ stands for a literal ${",
        )
    text = match.group(0)
    if text in ("$${", "%%{"):
        return text[1:]
    escape = match.group(1)
    if escape[0] in "uU":
        return chr(int(escape[1:], 16))
    return _ESCAPES[escape]


def _as_written(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, list):
        return "[" + ", ".join(_as_written(item) for item in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{key} = {_as_written(item)}" for key, item in value.items()) + "}"
    return str(value)


# --- Terraform's type conversions ----------------------------------------------------------------------------


def _to_bool(assignment: Assignment, where: str) -> bool:
    value = assignment.value
    if isinstance(value, bool):
        return value
    if value in ("true", "false"):
        return value == "true"
    raise ConfigError(f"{where}: expected true or false, found {assignment.text}", hint=f"{assignment.name} = true")


def _to_whole_number(assignment: Assignment, where: str) -> int:
    value = assignment.value
    if isinstance(value, str) and re.fullmatch(r"-?\d+(\.\d+)?", value.strip()):
        value = float(value)
    if isinstance(value, (int, float)) and not isinstance(value, bool) and float(value).is_integer():
        return int(value)
    raise ConfigError(f"{where}: expected a whole number, found {assignment.text}", hint=f"{assignment.name} = 2")


def _to_string(value: Any, where: str, hint: str) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, str):
        return value
    raise ConfigError(f"{where}: expected a string, found {_as_written(value)}", hint=hint)


def _to_string_list(assignment: Assignment, where: str) -> list[str]:
    if not isinstance(assignment.value, list):
        raise ConfigError(
            f"{where}: expected a list of strings, found {assignment.text}", hint=f'{assignment.name} = ["a", "b"]'
        )
    return [_to_string(item, where, f'{assignment.name} = ["a", "b"]') for item in assignment.value]


# --- mapping -------------------------------------------------------------------------------------------------


def migrate(path: Path, name: str | None = None) -> Migration:
    """Read `path` and map every seed variable onto batchctl's settings; nothing is written."""
    source = str(path)
    assignments = read_tfvars(path)
    for assignment in assignments.values():
        if assignment.name not in SEED_VARIABLES:
            raise ConfigError(
                f"{source}:{assignment.line}: unknown variable {assignment.name!r}"
                f"{did_you_mean(assignment.name, SEED_VARIABLES)}",
                hint=f"batchctl maps {', '.join(SEED_VARIABLES)}; set anything else in batchctl.yaml by hand",
            )
    given = {key: value for key, value in assignments.items() if value.value is not None}
    migration = Migration(source=source, name=name or DEFAULT_NAME, region=DEFAULT_REGION)
    for mapper in _MAPPERS:
        migration.report.extend(mapper(migration, given, assignments, source))
    migration.report.sort(key=lambda line: SEED_VARIABLES.index(line.variable))
    _check(migration, given, source)
    return migration


Mapper = Callable[[Migration, dict[str, Assignment], dict[str, Assignment], str], Iterator[MappedVariable]]


def _not_set(variable: str, assignments: dict[str, Assignment], default: str) -> MappedVariable:
    written = assignments.get(variable)
    return MappedVariable(variable, written.text if written else None, False, f"not set: {default}")


def _map_project(
    migration: Migration, given: dict[str, Assignment], assignments: dict[str, Assignment], source: str
) -> Iterator[MappedVariable]:
    project = given.get(PROJECT)
    if project is None:
        default = f"name: {migration.name} (--name)" if migration.name != DEFAULT_NAME else f"name: {DEFAULT_NAME}"
        yield _not_set(PROJECT, assignments, f"{default}; pass --name to choose the cluster name")
        return
    value = _to_string(project.value, f"{source}:{project.line}: {PROJECT}", f'{PROJECT} = "my-cluster"')
    if migration.name != DEFAULT_NAME:
        yield MappedVariable(PROJECT, project.text, False, f"not used: --name gives name: {migration.name}")
        return
    migration.name = value
    yield MappedVariable(PROJECT, project.text, True, f"name: {value} (prefixes every resource, as project did)")


def _map_region(
    migration: Migration, given: dict[str, Assignment], assignments: dict[str, Assignment], source: str
) -> Iterator[MappedVariable]:
    region = given.get(REGION)
    if region is None:
        yield _not_set(REGION, assignments, f"region: {DEFAULT_REGION} (batchctl's default; --region overrides)")
        return
    migration.region = _to_string(region.value, f"{source}:{region.line}: {REGION}", f'{REGION} = "us-east-1"')
    yield MappedVariable(REGION, region.text, True, f"region: {migration.region}")


def _map_endpoints(
    migration: Migration, given: dict[str, Assignment], assignments: dict[str, Assignment], source: str
) -> Iterator[MappedVariable]:
    setting = given.get(ENABLE_ENDPOINTS)
    if setting is None:
        yield _not_set(
            ENABLE_ENDPOINTS, assignments, "network.egress: nat-instance, network.endpoints: false (the gateway server)"
        )
        return
    enabled = _to_bool(setting, f"{source}:{setting.line}: {ENABLE_ENDPOINTS}")
    migration.endpoints = enabled
    if enabled:
        # The seed builds its endpoints instead of the gateway server: no way out to the internet.
        migration.egress = "none"
        outcome = (
            "network.endpoints: true, network.egress: none (endpoints replace the gateway server, as in the seed; "
            "egress: nat-instance keeps internet access too)"
        )
    else:
        outcome = "network.endpoints: false, network.egress: nat-instance (the gateway server)"
    yield MappedVariable(ENABLE_ENDPOINTS, setting.text, True, outcome)


def _map_zones(
    migration: Migration, given: dict[str, Assignment], assignments: dict[str, Assignment], source: str
) -> Iterator[MappedVariable]:
    count_given, zones_given = given.get(NUM_ZONES), given.get(ZONES)
    count = None
    if count_given is not None:
        where = f"{source}:{count_given.line}: {NUM_ZONES}"
        count = _to_whole_number(count_given, where)
        if count < 1:
            raise ConfigError(f"{where}: {count} zones: at least 1 is needed", hint=f"{NUM_ZONES} = 1")
    if zones_given is None:
        yield _not_set(ZONES, assignments, "the region's first zones are taken")
        if count is None:
            yield _not_set(NUM_ZONES, assignments, "network.availability_zones: 1 (the demo's single zone)")
            return
        migration.availability_zones = count
        yield MappedVariable(
            NUM_ZONES, assignments[NUM_ZONES].text, True, f"network.availability_zones: {count} (the region's first)"
        )
        return
    where = f"{source}:{zones_given.line}: {ZONES}"
    zones = [_zone_name(zone, migration.region, where) for zone in _to_string_list(zones_given, where)]
    if not zones:
        raise ConfigError(f"{where}: the list is empty", hint=f"list zones, or drop {ZONES} and set {NUM_ZONES}")
    if count is not None and count_given is not None:
        if count > len(zones):
            raise ConfigError(
                f"{source}:{count_given.line}: {NUM_ZONES} = {count} but {ZONES} lists only {len(zones)}",
                hint=f"list {count} zones, or lower {NUM_ZONES}",
            )
        unused = zones[count:]
        zones = zones[:count]
        note = f" ({', '.join(unused)} not used)" if unused else ""
        yield MappedVariable(NUM_ZONES, count_given.text, True, f"takes the first {count} of zones{note}")
    else:
        yield _not_set(NUM_ZONES, assignments, "every zone listed in zones is used")
    migration.availability_zones = zones
    yield MappedVariable(ZONES, zones_given.text, True, f"network.availability_zones: [{', '.join(zones)}]")


def _zone_name(zone: str, region: str, where: str) -> str:
    """A zone name, or a zone letter completed with the region; a zone of another region is refused.

    A zone's name is its region's code followed by a letter
    (https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/using-regions-availability-zones.html).
    """
    name = f"{region}{zone}" if re.fullmatch(r"[a-z]", zone) else zone
    if re.fullmatch(r"[a-z]{2}(-[a-z]+)+-\d[a-z]", name) and name[:-1] != region:
        raise ConfigError(
            f"{where}: zone {zone!r} is not in region {region}",
            hint=f'set region = "{name[:-1]}", or list zones of {region}',
        )
    return name


def _map_buckets(
    migration: Migration, given: dict[str, Assignment], assignments: dict[str, Assignment], source: str
) -> Iterator[MappedVariable]:
    read_only, read_write = given.get(RO_BUCKETS), given.get(RW_BUCKETS)
    if read_only is None:
        yield _not_set(RO_BUCKETS, assignments, "storage.read_only: []")
    else:
        migration.read_only = _to_string_list(read_only, f"{source}:{read_only.line}: {RO_BUCKETS}")
        yield MappedVariable(RO_BUCKETS, read_only.text, True, f"storage.read_only: [{', '.join(migration.read_only)}]")
    own = "storage.create_buckets: true (the cluster's inputs, workspace and outputs buckets)"
    if read_write is None:
        yield _not_set(RW_BUCKETS, assignments, own)
        return
    migration.read_write = _to_string_list(read_write, f"{source}:{read_write.line}: {RW_BUCKETS}")
    if not migration.read_write:
        yield MappedVariable(RW_BUCKETS, read_write.text, True, f"storage.read_write: [], {own}")
        return
    # With buckets of one's own, the seed builds none: outputs go to a read-write bucket.
    migration.create_buckets = False
    migration.outputs_bucket = migration.read_write[0]
    yield MappedVariable(
        RW_BUCKETS,
        read_write.text,
        True,
        f"storage.read_write: [{', '.join(migration.read_write)}], storage.create_buckets: false, "
        f"storage.outputs_bucket: {migration.outputs_bucket} (the first)",
    )


_MAPPERS: tuple[Mapper, ...] = (_map_project, _map_region, _map_endpoints, _map_zones, _map_buckets)

# Where a config error on a batchctl setting points back to in the variables file.
_ORIGIN = {
    "name": PROJECT,
    "region": REGION,
    "availability_zones": ZONES,
    "read_only": RO_BUCKETS,
    "read_write": RW_BUCKETS,
    "outputs_bucket": RW_BUCKETS,
}


_PATTERN_MESSAGES = {
    "name": "not a cluster name: use 2-24 lower-case letters, digits and hyphens, starting with a letter",
}


def _check(migration: Migration, given: dict[str, Assignment], source: str) -> None:
    """The written file must load and validate: its rules are the config models' and checks' own."""
    try:
        config = ClusterConfig.model_validate({**migration.settings(), **starter_settings()})
    except ValidationError as exc:
        error = exc.errors()[0]
        setting = ".".join(str(part) for part in error["loc"])
        variable = next((_ORIGIN[str(part)] for part in error["loc"] if str(part) in _ORIGIN), None)
        if variable == ZONES and ZONES not in given:
            variable = NUM_ZONES
        message = _PATTERN_MESSAGES.get(setting) if error["type"] == "string_pattern_mismatch" else None
        message = message or error["msg"].removeprefix("Value error, ")
        if variable == PROJECT and PROJECT not in given:
            raise ConfigError(f"--name: {message}") from None
        where = f"{source}:{given[variable].line}: {variable}" if variable in given else source
        raise ConfigError(f"{where}: {message} (as batchctl's {setting})") from None
    errors = [finding for finding in check_config(config) if finding.level >= Level.ERROR]
    if errors:
        first = errors[0]
        raise ConfigError(f"{source}: the resulting {first.path} would not validate: {first.message}", hint=first.hint)


# --- writing -------------------------------------------------------------------------------------------------


def starter_text() -> str:
    return resources.files("batchctl.data").joinpath(STARTER).read_text(encoding="utf-8")


def starter_tail() -> str:
    """The starter's compute environments, queues and job definitions, comments included."""
    text = starter_text()
    return text[text.index(f"\n{STARTER_TAIL}") + 1 :]


def starter_settings() -> dict[str, Any]:
    settings: dict[str, Any] = yaml.safe_load(starter_tail())
    return settings


def render_config(migration: Migration) -> str:
    """The commented batchctl.yaml: the mapped settings, each saying where it came from, then the starter's rest."""
    origin = {line.variable: line for line in migration.report}

    def comment(*variables: str) -> str:
        written = [f"{name} = {origin[name].given}" for name in variables if origin[name].mapped]
        return f"  # from {', '.join(written)}" if written else ""

    zones_comment = comment(NUM_ZONES, ZONES) or "  # a count, or a list such as [us-east-1a, us-east-1b]"
    bucket_note = (
        "  # the cluster's own inputs / workspace / outputs buckets"
        if migration.create_buckets
        else "  # your buckets (rw_buckets) hold the outputs"
    )
    lines = [
        f"# batchctl cluster configuration, from the Terraform variables in {migration.source}.",
        "# Each setting taken from a variable says which; the rest is batchctl's demo profile.",
        "# The seed's job files name queues and job definitions by their full AWS names (<project>-<queue>):",
        "# name the queues below after the seed's (e.g. cpu-p3 for <project>-cpu-p3); see docs/migrating.md.",
        "# Editors: `batchctl config schema > batchctl.schema.json` gives the JSON Schema of this file.",
        "",
        "# Prefixes every resource (2-24 lower-case letters, digits, hyphens; starts with a letter).",
        f"name: {_flow(migration.name)}{comment(PROJECT)}",
        f"region: {_flow(migration.region)}{comment(REGION)}",
        "",
        "network:",
        f"  availability_zones: {_flow(migration.availability_zones)}{zones_comment}",
        "  vpc_cidr: 10.0.0.0/16",
        f"  egress: {migration.egress}{comment(ENABLE_ENDPOINTS) or '  # nat-instance | nat-gateway | none'}",
        f"  endpoints: {_flow(migration.endpoints)}"
        f"{comment(ENABLE_ENDPOINTS) or '  # VPC endpoints for S3, ECR, ECS, CloudWatch Logs, SSM'}",
        "",
        "storage:",
        f"  create_buckets: {_flow(migration.create_buckets)}{bucket_note}",
        f"  read_only: {_flow(migration.read_only)}{comment(RO_BUCKETS) or '  # existing buckets jobs may read'}",
        f"  read_write: {_flow(migration.read_write)}"
        f"{comment(RW_BUCKETS) or '  # existing buckets jobs may read and write'}",
    ]
    if migration.outputs_bucket:
        lines.append(f"  outputs_bucket: {_flow(migration.outputs_bucket)}  # the first of rw_buckets")
    return "\n".join(lines) + "\n\n" + starter_tail()


def _flow(value: Any) -> str:
    """A value as YAML flow text (safe for any string: quoted when YAML needs it)."""
    text = yaml.safe_dump(value, default_flow_style=True, width=1000).strip()
    return text.removesuffix("\n...").strip()
