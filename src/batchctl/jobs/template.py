"""Job files are Jinja2 templates: rendered with the submit's variables before they are read as YAML.

Variables: `timestamp` (UTC, `20260102-150405`, safe in job names), `user` (also `username`), `cluster` (also
`project`), `unique_id` (the submission's id, 8 hex characters), and every key=value of the command line (which
win). A file that is a YAML list of jobs (the form of the Terraform project's job files: its first line of YAML
starts with `- `) gets `timestamp` as that project's tool gave it: epoch seconds, e.g. `1767366245`.
An undefined variable is an error that names it and its line;
`{{ name | default('x') }}` and `{% if name is defined %}` are the ways to make one optional.
Rendering is sandboxed and bounded (sandbox.py): no Python internals, no other files, no endless loops.
"""

from __future__ import annotations

import re
import traceback
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import jinja2
from jinja2.exceptions import SecurityError

from batchctl.config.files import read_text_file
from batchctl.config.suggest import did_you_mean
from batchctl.errors import ConfigError
from batchctl.jobs.sandbox import IncludeRefusedError, RenderLimitError, render_bounded

_TEMPLATE_FILENAME = "<template>"  # how Jinja2 names a template made from a string, in tracebacks
_UNDEFINED = re.compile(r"'([^']+)' is undefined")
_VARIABLE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def builtin_variables(
    user: str, cluster: str, now: datetime | None = None, *, unique_id: str = "", list_form: bool = False
) -> dict[str, str]:
    moment = now or datetime.now(UTC)
    timestamp = str(int(moment.timestamp())) if list_form else moment.strftime("%Y%m%d-%H%M%S")
    variables = {"timestamp": timestamp, "user": user, "username": user, "cluster": cluster, "project": cluster}
    if unique_id:
        variables["unique_id"] = unique_id
    return variables


@dataclass(frozen=True)
class Builtins:
    """What the submit itself knows (who, which cluster, which submission, when): the template's own variables
    once the form of the file is known."""

    user: str
    cluster: str
    unique_id: str
    now: datetime = field(default_factory=lambda: datetime.now(UTC))

    def variables(self, text: str) -> dict[str, str]:
        return builtin_variables(
            self.user, self.cluster, self.now, unique_id=self.unique_id, list_form=is_list_form(text)
        )


def is_list_form(text: str) -> bool:
    """Whether a template's first line of YAML (after comments, Jinja2 tags and `---`) starts a list item."""
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith(("#", "{%", "{#", "---")):
            continue
        return stripped == "-" or stripped.startswith("- ")
    return False


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
    return read_text_file(path, "job file", "pass the path of a jobs YAML file")


def render(text: str, variables: Mapping[str, str], source: str) -> str:
    """Render in the bounded sandbox (see sandbox.py): no code, no other files, bounded work."""
    try:
        return render_bounded(text, variables)
    except jinja2.TemplateSyntaxError as exc:
        raise ConfigError(
            f"{source}:{exc.lineno}: template error: {exc.message}", hint="check the {{ }} and {% %} on that line"
        ) from None
    except SecurityError as exc:
        raise ConfigError(
            f"{_where(exc, source)}: template refused: {exc.message}",
            hint="job files are rendered in a sandbox: use variables and filters, not Python internals",
        ) from None
    except IncludeRefusedError as exc:
        raise ConfigError(
            f"{_where(exc, source)}: template refused: {exc.message}",
            hint="put the shared part in the file itself, or pass the values as key=value variables",
        ) from None
    except RenderLimitError as exc:
        raise ConfigError(
            f"{_where(exc, source)}: template refused: {exc.message}",
            hint="a job file needs no such work: loop over fewer items (arrays: use array_size)",
        ) from None
    except jinja2.UndefinedError as exc:
        raise _undefined_error(exc, variables, source) from None
    except RecursionError:
        raise ConfigError(
            f"{source}: template refused: a macro calls itself without end", hint="give the macro a way to stop"
        ) from None
    except (jinja2.TemplateError, ArithmeticError, TypeError, ValueError, LookupError) as exc:
        raise ConfigError(f"{_where(exc, source)}: template error: {exc}") from None


def _where(exc: BaseException, source: str) -> str:
    line = _template_line(exc)
    return f"{source}:{line}" if line else source


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
