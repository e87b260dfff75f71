"""The app's Flask-SQLAlchemy extension: found, checked, and its session.

Shared by :mod:`flask_plugboard.db` (which sets the extension up) and the migrations
(which run on its engines), so neither imports the other for it.
"""

from __future__ import annotations

from flask import Flask, current_app
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy.orm import Session

from .errors import PlugboardError

__all__ = ["EXTENSION_KEY", "checked_extension", "get_db", "session"]

#: ``app.extensions`` key under which Flask-SQLAlchemy registers itself.
EXTENSION_KEY = "sqlalchemy"


def get_db(app: Flask | None = None) -> SQLAlchemy:
    """Return the Flask-SQLAlchemy extension of ``app`` (default: the current app)."""
    target = current_app if app is None else app
    try:
        existing = target.extensions[EXTENSION_KEY]
    except KeyError:
        raise PlugboardError(
            f"app {target.name!r} has no Flask-SQLAlchemy extension: give a plugin "
            "models (Plugin.metadata) so Plugboard sets one up, or call "
            "SQLAlchemy(app) or flask_plugboard.db.ensure_database(app) in the app factory"
        ) from None
    return checked_extension(existing, target)


def session() -> Session:
    """Return the current app's Flask-SQLAlchemy session (needs an app context)."""
    return get_db().session()


def checked_extension(extension: object, app: Flask) -> SQLAlchemy:
    """``extension`` (``app.extensions["sqlalchemy"]``), once it is known to be one."""
    if not isinstance(extension, SQLAlchemy):
        raise PlugboardError(
            f"app.extensions['sqlalchemy'] of app {app.name!r} is a "
            f"{type(extension).__name__}, not a flask_sqlalchemy.SQLAlchemy: Plugboard's "
            "database support needs Flask-SQLAlchemy 3.1 or later"
        )
    return extension
