"""``flask surveys ...``: the survey service's commands."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from ._import import ImportFailed, import_flaskforms

__all__ = ["surveys_group"]


@click.group("surveys")
def surveys_group() -> None:
    """Manage the survey service."""


@surveys_group.command("import-flaskforms")
@click.argument("database_url")
@click.option(
    "--dry-run",
    is_flag=True,
    help="Import, report, then roll it all back: nothing changes, id sequences included.",
)
@with_appcontext
def import_flaskforms_command(database_url: str, dry_run: bool) -> None:
    """Import the old flaskForms backend's users, surveys, questions and replies.

    DATABASE_URL is its database (postgresql://user:password@host/name, or a SQLite
    copy: sqlite:////path/to/app.db). All in one transaction; a second run imports only
    the rows not imported yet.
    """
    try:
        report = import_flaskforms(database_url, dry_run=dry_run)
    except ImportFailed as exc:
        raise click.ClickException(str(exc)) from None
    for line in report.lines():
        click.echo(line)
