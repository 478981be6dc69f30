"""Insight commands: why, usage, run (over batchctl.api.Batchctl). Errors are JSON too under `-o json`."""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import click
from rich.markup import escape

from batchctl.cli import render
from batchctl.cli.context import AppContext
from batchctl.cli.job_commands import output_option
from batchctl.cli.options import pass_app
from batchctl.errors import BatchctlError
from batchctl.paths import DEFAULT_CONFIG_FILE

if TYPE_CHECKING:
    from batchctl.api import Batchctl

F = TypeVar("F", bound=Callable[..., Any])


def json_errors(func: F) -> F:
    """Under `-o json` a known error is JSON on stdout ({"error", "hint", "details"}), with the same exit code."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except BatchctlError as exc:
            app = click.get_current_context().find_object(AppContext)
            if app is None or not app.json:
                raise
            sys.stdout.write(json.dumps({"error": exc.message, "hint": exc.hint, "details": exc.details}) + "\n")
            raise click.exceptions.Exit(exc.exit_code) from None

    return wrapper  # type: ignore[return-value]


def _api(app: AppContext) -> Batchctl:
    from batchctl.api import Batchctl

    return Batchctl(app.config(), app.aws)


def _command(app: AppContext) -> str:
    words = ["batchctl"]
    if app.local:
        words.append("--local")
    if str(app.config_path) != DEFAULT_CONFIG_FILE:
        words.append(f"-f {app.config_path}")
    return " ".join(words)


@click.command()
@click.argument("job_id")
@output_option
@pass_app
@json_errors
def why(app: AppContext, job_id: str) -> None:
    """Why JOB_ID is not running yet, or why it failed: a verdict, the evidence, and the fix.

    \b
    Not started: unfinished dependencies, whether any compute environment of its queue can ever fit it
    (vCPUs, memory, GPUs), environments and queue state, blocked reasons, vCPUs in use, its queue position.
    Failed: the class (spot reclaim, out of memory, image pull, timeout, dependency failed, cancelled/terminated,
    host/agent error, exit code), every attempt, peak memory against the request, the last log lines.
    """
    answer = _api(app).why(job_id, command=_command(app))
    if app.json:
        render.as_json(answer)
        return
    render.out.print(f"[bold]{escape(answer.verdict)}[/]")
    for line in answer.evidence:
        render.out.print(f"  {escape(line)}")
    for fix in answer.fixes:
        render.out.print(f"[green]fix:[/] {escape(fix)}")


COMMANDS = [why]
