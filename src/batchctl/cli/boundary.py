"""The single error boundary: one clear line (and a hint) for known errors, exit codes by kind."""

from __future__ import annotations

import sys
import traceback
from collections.abc import Callable

import click
from rich.markup import escape

from batchctl.cli import render
from batchctl.errors import BatchctlError

EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


def run(entry: Callable[..., object], args: list[str] | None = None) -> int:
    args = sys.argv[1:] if args is None else args
    debug = "--debug" in args
    try:
        # Without standalone mode click returns (not raises) a command's `click.exceptions.Exit(code)`.
        returned = entry.main(args=args, prog_name="batchctl", standalone_mode=False)  # type: ignore[attr-defined]
        if isinstance(returned, int) and not isinstance(returned, bool):
            return returned
    except click.exceptions.Exit as exc:
        return int(exc.exit_code)
    except click.UsageError as exc:
        exc.show()
        return EXIT_USAGE
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    except (KeyboardInterrupt, click.Abort):
        render.err.print("\nInterrupted.")
        return EXIT_INTERRUPTED
    except BatchctlError as exc:
        if debug:
            traceback.print_exc()
        _print_error(exc.message, exc.details, exc.hint)
        return exc.exit_code
    except Exception as exc:
        if debug:
            traceback.print_exc()
        _print_error(
            f"unexpected {type(exc).__name__}: {exc}", [], None if debug else "run again with --debug for the traceback"
        )
        return EXIT_ERROR
    return 0


def _print_error(message: str, details: list[str], hint: str | None) -> None:
    render.err.print(f"[bold red]Error:[/] {escape(message)}", markup=True, highlight=False, soft_wrap=True)
    for line in details:
        render.err.print(f"  {line}", markup=False)
    if hint:
        render.err.print(f"[dim]Hint: {escape(hint)}[/]")
