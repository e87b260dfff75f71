"""``flask surveys ...``: the survey service's commands."""

from __future__ import annotations

import click

__all__ = ["surveys_group"]


@click.group("surveys")
def surveys_group() -> None:
    """Manage the survey service."""
