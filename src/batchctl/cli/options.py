"""Option decorators shared by several commands."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any, TypeVar

import click

from batchctl.cli.context import AppContext
from batchctl.errors import BatchctlError

F = TypeVar("F", bound=Callable[..., Any])


def output_option(func: F) -> F:
    """`-o json` after the command too (`batchctl status -o json`), same as before it."""
    return click.option(
        "-o",
        "--output",
        type=click.Choice(["table", "json"]),
        expose_value=False,
        callback=_remember_output,
        help="Result format (docs/json-output.md).",
    )(func)


def _remember_output(ctx: click.Context, _: click.Parameter, value: str | None) -> None:
    if value:
        ctx.find_object(AppContext).output = value  # type: ignore[union-attr]


def add_output_option(command: click.Command) -> None:
    """Give a command (and every command of a group) `-o/--output`, unless it declares its own."""
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            add_output_option(sub)
        return
    if not any(param.name == "output" for param in command.params):
        output_option(command)


def yes_option(func: F) -> F:
    return click.option("-y", "--yes", is_flag=True, help="Do not ask for confirmation.")(func)


pass_app: Callable[[F], F] = click.make_pass_decorator(AppContext)  # type: ignore[assignment]


def confirm(question: str, assume_yes: bool) -> bool:
    """Ask on a terminal; refuse (with the way out) when there is no one to ask."""
    if assume_yes:
        return True
    if not sys.stdin.isatty():
        raise BatchctlError("confirmation needed but standard input is not a terminal", hint="pass --yes")
    return click.confirm(question, default=False, err=True)


def check_region(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """`--region mars-1` is a usage error (exit 2) that names regions that exist."""
    if value is None:
        return None
    from batchctl.config.regions import region_problem

    problem = region_problem(value)
    if problem:
        raise click.BadParameter(f"{value!r} is {problem}", ctx=ctx, param=param)
    return value


def parsed_by(parse: Callable[[str], Any]) -> Callable[[click.Context, click.Parameter, str | None], Any]:
    """An option callback: the value parsed, or a usage error (exit 2) with the parser's message and hint."""

    def callback(ctx: click.Context, param: click.Parameter, value: str | None) -> Any:
        if value is None:
            return None
        try:
            return parse(value)
        except BatchctlError as exc:
            raise click.BadParameter(
                exc.message + (f" ({exc.hint})" if exc.hint else ""), ctx=ctx, param=param
            ) from None

    return callback
