"""`batchctl image build|push`: job images in the cluster's ECR repository (through batchctl.api.Batchctl).

With --local the repository is served by the registry beside the emulator: jobs pull from it, as on AWS.
"""

from __future__ import annotations

from pathlib import Path

import click

from batchctl.cli import render
from batchctl.cli.context import AppContext
from batchctl.cli.options import output_option, pass_app


@click.group("image")
def image_group() -> None:
    """Build and push job images (tags of the cluster's ECR repository)."""


@image_group.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option("-t", "--tag", help="Image tag (default: the directory's name); job definitions name it as `image:`.")
@output_option
@pass_app
def build(app: AppContext, directory: Path, tag: str | None) -> None:
    """Build DIRECTORY's Dockerfile as <repository URI>:<tag> (host networking)."""
    api = app.api()
    image = api.build_image(directory, tag, on_line=render.note)
    if app.json:
        render.as_json(image)
    else:
        render.ok(f"built {image.reference} ({image.image_id})")
        click.echo(image.reference)
    tag = image.reference.rsplit(":", 1)[1]
    render.hint(f"next: {app.command()} image push {tag} (jobs pull it from the registry)")


@image_group.command()
@click.argument("tags", nargs=-1)
@output_option
@pass_app
def push(app: AppContext, tags: tuple[str, ...]) -> None:
    """Push TAGS of the cluster repository (default: every one built here) with an ECR login token."""
    result = app.api().push_image(list(tags) or None, on_line=render.note)
    if app.json:
        render.as_json(result)
        return
    for reference in result.references:
        render.ok(f"pushed {reference}")


COMMANDS = [image_group]
