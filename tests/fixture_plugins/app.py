"""An app factory for the ``flask`` CLI: ``flask --app fixture_plugins.app db upgrade``.

The database URL comes from the environment (``FLASK_SQLALCHEMY_DATABASE_URI``).
"""

from __future__ import annotations

from flask import Flask

from flask_plugboard import Plugboard
from flask_plugboard._migrate import db_group

from .notes import Notes
from .tags import Tags


def create_app() -> Flask:
    app = Flask(__name__)
    app.config["PLUGBOARD_PLUGINS"] = []
    app.config.from_prefixed_env()
    Plugboard(app, plugins=[Notes, Tags])
    if "db" not in app.cli.commands:  # until the host registers the group itself
        app.cli.add_command(db_group)
    return app
