"""``flask plugins ...`` commands. (stub)"""

from __future__ import annotations

from flask import Flask


def install_cli(app: Flask) -> None:
    """Add the ``plugins`` (and ``db``) command groups to ``app.cli``."""
