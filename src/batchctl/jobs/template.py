"""Job files are Jinja2 templates: rendered with the submit's variables before they are read as YAML.

Variables: `timestamp` (UTC, `20260102-150405`, safe in job names), `user` (also `username`), `cluster`, and
every key=value of the command line (which win). An undefined variable is an error that names it and its line;
`{{ name | default('x') }}` and `{% if name is defined %}` are the ways to make one optional.
"""

from __future__ import annotations

import re
import traceback
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path

import jinja2

from batchctl.config.suggest import did_you_mean
from batchctl.errors import ConfigError

_TEMPLATE_FILENAME = "<template>"  # how Jinja2 names a template made from a string, in tracebacks
_UNDEFINED = re.compile(r"'([^']+)' is undefined")
_VARIABLE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def builtin_variables(user: str, cluster: str, now: datetime | None = None) -> dict[str, str]:
    moment = now or datetime.now(UTC)
    return {"timestamp": moment.strftime("%Y%m%d-%H%M%S"), "user": user, "username": user, "cluster": cluster}


def parse_assignments(items: Iterable[str]) -> dict[str, str]:
    """`key=value` command-line arguments -> {key: value} (values stay strings; `| int` converts in the file)."""
    variables: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not _VARIABLE_NAME.fullmatch(key):
            raise ConfigError(
                f"expected key=value, got {item!r}",
                hint="template variables are given as name=value, e.g. greeting=hi (names: letters, digits, _)",
            )
        variables[key] = value
    return variables


def read_template(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"job file {path} not found", hint="pass the path of a jobs YAML file") from None
    except (IsADirectoryError, PermissionError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read {path}: {exc}") from None


def render(text: str, variables: Mapping[str, str], source: str) -> str:
    environment = jinja2.Environment(undefined=jinja2.StrictUndefined, keep_trailing_newline=True)
    try:
        return environment.from_string(text).render(**variables)
    except jinja2.TemplateSyntaxError as exc:
        raise ConfigError(
            f"{source}:{exc.lineno}: template error: {exc.message}", hint="check the {{ }} and {% %} on that line"
        ) from None
    except jinja2.UndefinedError as exc:
        raise _undefined_error(exc, variables, source) from None


def _undefined_error(exc: jinja2.UndefinedError, variables: Mapping[str, str], source: str) -> ConfigError:
    line = _template_line(exc)
    where = f"{source}:{line}" if line else source
    match = _UNDEFINED.search(exc.message or "")
    if match is None:
        return ConfigError(f"{where}: template error: {exc.message}")
    name = match.group(1)
    return ConfigError(
        f"{where}: undefined template variable {name!r}{did_you_mean(name, variables)}",
        hint=f"pass {name}=VALUE after the file name, or write {{{{ {name} | default('...') }}}} in the file",
    )


def _template_line(exc: BaseException) -> int | None:
    lines = [frame.lineno for frame in traceback.extract_tb(exc.__traceback__) if frame.filename == _TEMPLATE_FILENAME]
    return lines[-1] if lines else None
