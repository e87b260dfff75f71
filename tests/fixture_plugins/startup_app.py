"""An app that cannot run without its plugins, for the ``flask`` CLI:
``flask --app fixture_plugins.startup_app db upgrade``.

Settings come from the config and from the environment (``from_prefixed_env``, then the
host's own reading of ``FLASK_<KEY>``).
"""

from __future__ import annotations

from flask import Flask

from flask_plugboard import Plugboard

from .notes import Notes


def create_app() -> Flask:
    app = Flask(__name__)
    app.config.update(PLUGBOARD_PLUGINS=["ratelimit"], PLUGBOARD_REQUIRED=True)
    app.config.from_prefixed_env()
    Plugboard(app, plugins=[Notes])
    return app
