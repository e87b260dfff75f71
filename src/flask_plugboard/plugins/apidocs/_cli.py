"""``flask openapi write FILE``: the document as a file, for clients and CI."""

from __future__ import annotations

import json
from typing import IO

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext

from ._routes import METHODS

__all__ = ["openapi_group"]


def openapi_group() -> AppGroup:
    """A new ``openapi`` command group (one per app)."""
    group = AppGroup("openapi", help="The app's OpenAPI document.")
    group.add_command(write_command)
    return group


@click.command("write")
@click.argument("file", type=click.File("w", encoding="utf-8", atomic=True))
@click.option(
    "--indent",
    type=click.IntRange(min=0),
    default=2,
    show_default=True,
    help="Spaces per level; 0 writes it on one line.",
)
@with_appcontext
def write_command(file: IO[str], indent: int) -> None:
    """Write the OpenAPI document to FILE ('-' for standard output)."""
    from ._views import openapi_document

    document = openapi_document(current_app._get_current_object())  # type: ignore[attr-defined]
    if indent:
        text = json.dumps(document, indent=indent, ensure_ascii=False)
    else:
        text = json.dumps(document, separators=(",", ":"), ensure_ascii=False)
    file.write(text + "\n")
    if file.name != "<stdout>":
        count = sum(1 for item in document["paths"].values() for key in item if key in METHODS)
        click.echo(f"wrote the OpenAPI document ({count} operations) to {file.name}", err=True)
