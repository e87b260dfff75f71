"""A plugin with migrations and no models, whose second revision fails halfway."""

from __future__ import annotations

from flask_plugboard import Plugin


class Broken(Plugin):
    name = "broken"
    version = "1.0.0"
    description = "Its second revision fails after creating a table."
