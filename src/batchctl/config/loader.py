"""Load `batchctl.yaml`: YAML with line numbers, pydantic validation, errors that say where.

Every problem is reported as `FILE:LINE: dotted.path: what is wrong (did you mean ...)`, and
all problems of a file are reported together.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from batchctl.config.models import MAX_AWS_INTEGER, ClusterConfig
from batchctl.config.suggest import did_you_mean
from batchctl.config.yaml_document import Loc, parse_yaml, read_yaml
from batchctl.errors import ConfigError
from batchctl.paths import DEFAULT_CONFIG_FILE

__all__ = ["DEFAULT_CONFIG_FILE", "Loc", "load_config", "parse_yaml", "read_yaml", "validate_document"]

ModelT = TypeVar("ModelT", bound=BaseModel)


def validate_document(model: type[ModelT], data: Any, lines: dict[Loc, int], source: str) -> ModelT:
    """Validate parsed YAML against `model`, raising one ConfigError that lists every problem."""
    if not isinstance(data, dict):
        raise ConfigError(f"{source}:1: expected a mapping of settings at the top level, found {_kind(data)}")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = _describe_errors(model, exc, data, lines, source)
    if len(problems) == 1:
        raise ConfigError(problems[0])
    raise ConfigError(f"{source}: {len(problems)} problems", details=problems)


def load_config(path: Path | str) -> ClusterConfig:
    path = Path(path)
    data, lines = read_yaml(path)
    return validate_document(ClusterConfig, data, lines, str(path))


def dotted(loc: Sequence[str | int]) -> str:
    """('queues', 0, 'name') -> 'queues[0].name'."""
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _describe_errors(
    model: type[BaseModel], exc: ValidationError, data: Any, lines: dict[Loc, int], source: str
) -> list[str]:
    problems: list[tuple[int, str]] = []
    seen: set[Loc] = set()
    for error in exc.errors(include_url=False):
        loc = _data_path(error["loc"], data)
        # A value failing every member of a union yields one error per member: report it once.
        if loc in seen and error["type"] != "extra_forbidden":
            continue
        seen.add(loc)
        line = _line_for(loc, lines)
        where = f"{source}:{line}" if line else source
        union_member = len(error["loc"]) > len(loc)
        message = _union_message(model, loc, error) if union_member else _message(model, error, loc)
        problems.append((line or 0, f"{where}: {dotted(loc) or '(top level)'}: {message}"))
    return [text for _, text in sorted(problems, key=lambda problem: problem[0])]


def _union_message(model: type[BaseModel], loc: Loc, error: Any) -> str:
    """A value that fits no member of a union: say what the field expects instead of each member's complaint."""
    field = _field(model, loc)
    expected = field.description if field is not None and field.description else str(error["msg"])
    return f"invalid value {error.get('input')!r}: expected {expected[:1].lower()}{expected[1:]}"


def _data_path(loc: Sequence[str | int], data: Any) -> Loc:
    """Keep only the parts of pydantic's location that exist in the document (drops union tags)."""
    path: list[str | int] = []
    node: Any = data
    for part in loc:
        if _has_child(node, part):
            node = node[part]
            path.append(part)
            continue
        if isinstance(node, dict) and isinstance(part, str):
            path.append(part)  # a missing or unknown key: still name it
        break
    return tuple(path)


def _has_child(node: Any, part: str | int) -> bool:
    if isinstance(node, dict):
        return part in node
    return isinstance(node, list) and isinstance(part, int) and part < len(node)


def _line_for(loc: Loc, lines: dict[Loc, int]) -> int | None:
    for end in range(len(loc), -1, -1):
        if loc[:end] in lines:
            return lines[loc[:end]]
    return None


def _message(model: type[BaseModel], error: Any, loc: Loc) -> str:
    kind = error["type"]
    if kind == "extra_forbidden":
        known = _field_names(model, loc[:-1])
        return f"unknown key{did_you_mean(str(loc[-1]), known)}"
    if kind == "missing":
        return "required key is missing"
    message = str(error["msg"]).removeprefix("Value error, ")
    if kind == "less_than_equal" and error.get("ctx", {}).get("le") == MAX_AWS_INTEGER:
        message = f"at most {MAX_AWS_INTEGER:,}, the largest number AWS accepts here (a 32-bit integer)"
    if kind == "string_pattern_mismatch" and loc and loc[-1] == "name":
        return f"invalid name {error.get('input')!r}: {_name_rule(loc)}"
    if "input" in error and not isinstance(error["input"], dict | list):
        return f"{message} (got {error['input']!r})"
    return message


def _name_rule(loc: Loc) -> str:
    if len(loc) == 1:
        return "use 2-24 lower-case letters, digits and hyphens, starting with a letter (it prefixes bucket names)"
    return "use lower-case letters, digits and hyphens, starting with a letter, at most 40 characters"


def _model_at(model: type[BaseModel], loc: Loc) -> Any:
    """The model class describing the mapping at `loc`, found by walking the fields; None if none."""
    current: Any = model
    for part in loc:
        if isinstance(part, int):
            continue
        field = current.model_fields.get(part) if _is_model(current) else None
        if field is None:
            return None
        current = _inner_model(field.annotation)
    return current if _is_model(current) else None


def _field_names(model: type[BaseModel], loc: Loc) -> list[str]:
    """The keys a mapping at `loc` may hold."""
    parent = _model_at(model, loc)
    return list(parent.model_fields) if parent else []


def _field(model: type[BaseModel], loc: Loc) -> Any:
    parent = _model_at(model, loc[:-1]) if loc else None
    return parent.model_fields.get(loc[-1]) if parent and isinstance(loc[-1], str) else None


def _is_model(value: Any) -> bool:
    return isinstance(value, type) and issubclass(value, BaseModel)


def _inner_model(annotation: Any) -> Any:
    if _is_model(annotation):
        return annotation
    for arg in getattr(annotation, "__args__", ()):
        found = _inner_model(arg)
        if found is not None:
            return found
    return None


def _kind(data: Any) -> str:
    if data is None:
        return "an empty document"
    if isinstance(data, list):
        return "a list"
    return "a string" if isinstance(data, str) else type(data).__name__
