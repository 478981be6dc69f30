"""`batchctl completion bash|zsh|fish`: the shell script that completes batchctl's commands and options.

It is click's own completion (https://click.palletsprojects.com/en/stable/shell-completion/): the script calls
batchctl back with _BATCHCTL_COMPLETE set, and click answers before any command runs.
"""

from __future__ import annotations

import click

from batchctl.cli import render
from batchctl.cli.context import AppContext
from batchctl.cli.options import pass_app

PROG_NAME = "batchctl"
COMPLETE_VAR = "_BATCHCTL_COMPLETE"
SHELLS = ("bash", "zsh", "fish")
_INSTALL = {
    "bash": 'eval "$(batchctl completion bash)"  # in ~/.bashrc',
    "zsh": 'eval "$(batchctl completion zsh)"  # in ~/.zshrc',
    "fish": "batchctl completion fish > ~/.config/fish/completions/batchctl.fish",
}


@click.command()
@click.argument("shell", type=click.Choice(SHELLS))
@pass_app
def completion(app: AppContext, shell: str) -> None:
    """Print the completion script for SHELL (bash, zsh or fish).

    \b
      bash:  eval "$(batchctl completion bash)"     (in ~/.bashrc)
      zsh:   eval "$(batchctl completion zsh)"      (in ~/.zshrc)
      fish:  batchctl completion fish > ~/.config/fish/completions/batchctl.fish
    """
    from click.shell_completion import get_completion_class

    from batchctl.cli.main import cli

    completer = get_completion_class(shell)
    assert completer is not None  # click ships all three
    script = completer(cli, {}, PROG_NAME, COMPLETE_VAR).source()
    if app.json:
        render.as_json({"shell": shell, "script": script, "install": _INSTALL[shell]})
        return
    click.echo(script)


COMMANDS = [completion]
