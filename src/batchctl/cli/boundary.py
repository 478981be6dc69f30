"""The single error boundary: one clear line (and a hint) for known errors, exit codes by kind."""

from __future__ import annotations

import functools
import re
import sys
import traceback
from collections.abc import Callable

import click
from rich.markup import escape

from batchctl.cli import render
from batchctl.cli.context import current_app, forget_app
from batchctl.errors import BatchctlError

EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


def run(entry: Callable[..., object], args: list[str] | None = None) -> int:
    args = sys.argv[1:] if args is None else args
    render.reset()
    forget_app()
    code, error = _run(entry, args)
    if error is not None and wants_json(args) and not render.json_written():
        render.as_json({"error": {**error, "exit_code": code}})
    return code


def wants_json(args: list[str]) -> bool:
    """`-o json` anywhere before `--` (before or after the command), read from the words themselves: a usage
    error can come before click has parsed any option."""
    words = args[: args.index("--")] if "--" in args else args
    for i, word in enumerate(words):
        if word in ("-o", "--output") and i + 1 < len(words):
            if words[i + 1] == "json":
                return True
        elif word in ("-ojson", "--output=json"):
            return True
    return False


def _run(entry: Callable[..., object], args: list[str]) -> tuple[int, dict[str, object] | None]:
    """The exit code, and the error (kind, message, hint, details) when there was one."""
    debug = "--debug" in args
    try:
        # Without standalone mode click returns (not raises) a command's `click.exceptions.Exit(code)`.
        returned = entry.main(args=args, prog_name="batchctl", standalone_mode=False)  # type: ignore[attr-defined]
        if isinstance(returned, int) and not isinstance(returned, bool):
            return returned, _failed(returned)
    except click.exceptions.Exit as exc:
        return int(exc.exit_code), _failed(int(exc.exit_code))
    except click.UsageError as exc:
        exc.show()
        return EXIT_USAGE, _error("UsageError", exc.format_message())
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code, _error(type(exc).__name__, exc.format_message())
    except (KeyboardInterrupt, click.Abort):
        render.err.print("\nInterrupted.")
        return EXIT_INTERRUPTED, _error("Interrupted", "interrupted")
    except BatchctlError as exc:
        if debug:
            traceback.print_exc()
        hint = with_options_in_use(exc.hint)
        _print_error(exc.message, exc.details, hint)
        return exc.exit_code, _error(type(exc).__name__, exc.message, hint, exc.details)
    except Exception as exc:
        if debug:
            traceback.print_exc()
        message = f"unexpected {type(exc).__name__}: {exc}"
        hint = None if debug else "run again with --debug for the traceback"
        _print_error(message, [], hint)
        return EXIT_ERROR, _error("UnexpectedError", message, hint)
    return 0, None


def with_options_in_use(hint: str | None) -> str | None:
    """An error's hint names commands as `batchctl deploy`; the user gave --local or -f FILE: the hint says so too.

    Only commands that act on a cluster are rewritten (`batchctl local up` and `batchctl adds ...` stay as they are).
    """
    app = current_app()
    if not hint or app is None:
        return hint

    def rewrite(found: re.Match[str]) -> str:
        return app.command(local=found.group(1) is not None) + " "

    return _command_in_hint().sub(rewrite, hint)


_NOT_ON_A_CLUSTER = {"local", "init", "completion", "config"}


@functools.cache
def _command_in_hint() -> re.Pattern[str]:
    """`batchctl [--local] <a command of the group that acts on a cluster>`."""
    from batchctl.cli.main import COMMAND_MODULES

    names = "|".join(sorted(name for name in COMMAND_MODULES if name not in _NOT_ON_A_CLUSTER))
    return re.compile(rf"\bbatchctl( --local)? (?=(?:{names})\b)")


def _error(kind: str, message: str, hint: str | None = None, details: list[str] | None = None) -> dict[str, object]:
    return {"type": kind, "message": message, "hint": hint, "details": details or []}


def _failed(code: int) -> dict[str, object] | None:
    """A command that ended with a bare exit code (`local status` when nothing runs) and printed no result."""
    return None if code == 0 else _error("Failed", f"exit code {code}")


def _print_error(message: str, details: list[str], hint: str | None) -> None:
    render.err.print(f"[bold red]Error:[/] {escape(message)}", markup=True, highlight=False, soft_wrap=True)
    for line in details:
        render.err.print(f"  {line}", markup=False)
    if hint:
        render.err.print(f"[dim]Hint: {escape(hint)}[/]")
