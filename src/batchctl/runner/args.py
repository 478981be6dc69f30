"""Expansion of environment variables in the command's arguments.

- An argument that is exactly `env:NAME` becomes the value of NAME.
- `${NAME}` anywhere in an argument is replaced by the value of NAME; `$${NAME}` stays a literal `${NAME}`.
- Anything else, including `$NAME` without braces, is passed unchanged: no shell is involved.
A NAME that is not set is an error naming every missing variable (exit 2): running a command with a silently
empty argument would fail later and less clearly. A variable set to "" expands to "".
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from .errors import UsageError

_NAME = r"[A-Za-z_][A-Za-z0-9_]*"
_WHOLE_ARGUMENT = re.compile(rf"env:({_NAME})")
_INLINE = re.compile(rf"(\$?)\$\{{({_NAME})\}}")


def expand_arguments(arguments: Sequence[str], environ: Mapping[str, str]) -> list[str]:
    missing: list[str] = []

    def lookup(name: str) -> str:
        if name in environ:
            return environ[name]
        if name not in missing:
            missing.append(name)
        return ""

    def inline(match: re.Match[str]) -> str:
        escaped, name = match.group(1), match.group(2)
        return "${" + name + "}" if escaped else lookup(name)

    expanded = []
    for argument in arguments:
        whole = _WHOLE_ARGUMENT.fullmatch(argument)
        expanded.append(lookup(whole.group(1)) if whole else _INLINE.sub(inline, argument))
    if missing:
        subject = "variables " + ", ".join(missing) + " are" if len(missing) > 1 else f"variable {missing[0]} is"
        raise UsageError(f"environment {subject} not set (used in the command's arguments)")
    return expanded
