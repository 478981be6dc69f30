"""Argument expansion: `env:NAME` whole arguments and `${NAME}` inside arguments."""

from __future__ import annotations

import pytest

from batchctl.runner.args import expand_arguments
from batchctl.runner.errors import EXIT_USAGE, UsageError

ENV = {"GREETING": "hello", "EMPTY": "", "INDEX": "2", "SPACED": "a b"}


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        (["echo", "env:GREETING"], ["echo", "hello"]),
        (["--index=${INDEX}", "x${GREETING}y${INDEX}"], ["--index=2", "xhelloy2"]),
        (["env:EMPTY", "<${EMPTY}>"], ["", "<>"]),
        (["env:SPACED"], ["a b"]),  # one argument stays one argument: no shell splitting
        (["$${GREETING}", "a$${INDEX}b"], ["${GREETING}", "a${INDEX}b"]),  # escaped: literal
        (["$GREETING", "env:", "env:1X", "xenv:GREETING", "env:GREETING "], None),  # not expansion syntax
        (["${GREETING", "{GREETING}"], None),
    ],
)
def test_expansion(arguments: list[str], expected: list[str] | None) -> None:
    assert expand_arguments(arguments, ENV) == (arguments if expected is None else expected)


def test_values_are_not_expanded_again() -> None:
    assert expand_arguments(["env:A", "${A}"], {"A": "${B}", "B": "no"}) == ["${B}", "${B}"]


def test_unknown_variable_names_it_and_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="environment variable MISSING is not set") as caught:
        expand_arguments(["run", "env:MISSING"], ENV)
    assert caught.value.exit_code == EXIT_USAGE == 2


def test_all_unknown_variables_are_reported_once() -> None:
    with pytest.raises(UsageError) as caught:
        expand_arguments(["env:ONE", "${TWO}/${ONE}", "${GREETING}"], ENV)
    assert "variables ONE, TWO are not set" in str(caught.value)
