"""docs/json-output.md describes the result type of every command, as batchctl.api.shapes names them."""

from __future__ import annotations

from pathlib import Path

from batchctl.api.shapes import SHAPES, reference
from batchctl.cli.main import cli, load_all_commands

DOC = Path(__file__).resolve().parents[2] / "docs" / "json-output.md"


def test_the_reference_in_the_docs_is_current() -> None:
    assert reference() in DOC.read_text(encoding="utf-8"), (
        "regenerate the reference part of docs/json-output.md from batchctl.api.shapes.reference()"
    )


def test_every_command_group_member_has_a_shape() -> None:
    import click

    def leaves(group: click.Group, prefix: str = "") -> set[str]:
        found: set[str] = set()
        commands = load_all_commands() if group is cli else group.commands
        for name, command in commands.items():
            if isinstance(command, click.Group):
                found |= leaves(command, f"{prefix}{name} ")
            else:
                found.add(f"{prefix}{name}")
        return found

    assert leaves(cli) == set(SHAPES)
