"""The ``plugboard`` command (also ``python -m flask_plugboard``): the commands that need
no app, such as ``plugboard new NAME`` in an empty folder."""

from __future__ import annotations

import click

from ._cli import new_command
from ._version import __version__

__all__ = ["main"]


@click.group("plugboard")
@click.version_option(__version__, prog_name="plugboard")
def main() -> None:
    """Plugboard commands that need no app (those on an app are under ``flask plugins``)."""


main.add_command(new_command)
