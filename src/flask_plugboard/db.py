"""Database support for plugins' models. (stub)"""

from __future__ import annotations

from flask import Flask


def ensure_database(app: Flask) -> None:
    """Make sure the app has a Flask-SQLAlchemy extension."""
