"""Names two plugins both claim on one app: CLI commands and templates.

Neither is an error Flask reports. Of two commands of one name, the one registered last
is the one ``flask NAME`` runs; of two templates of one name in two plugins' blueprints,
Flask renders the one of the blueprint registered first, for both plugins. The host logs
each clash at start-up and ``flask plugins doctor`` reports it; both plugins keep running.
An app's own template of the same name is an override, not a clash (the documented way to
change a plugin's page).
"""

from __future__ import annotations

from flask import Flask

from ._state import PlugboardState

__all__ = ["command_clashes", "template_clashes"]


def _joined(owners: list[str]) -> str:
    quoted = [repr(o) for o in owners]
    return ", ".join(quoted[:-1]) + f" and {quoted[-1]}"


def command_clashes(state: PlugboardState) -> list[str]:
    """One message per CLI command registered by two or more plugins."""
    owners: dict[str, list[str]] = {}
    for record in state.records.values():
        if record.failure is None:
            for name in record.commands:
                owners.setdefault(name, []).append(record.name)
    return [
        f"the command 'flask {name}' is registered by plugins {_joined(names)}; only "
        f"{names[-1]!r}'s runs: rename the command of one of them"
        for name, names in sorted(owners.items())
        if len(names) > 1
    ]


def template_clashes(app: Flask, state: PlugboardState) -> list[str]:
    """One message per template name found in the blueprints of two or more plugins."""
    owners: dict[str, list[str]] = {}
    for record in state.records.values():
        if record.failure is not None:
            continue
        names: set[str] = set()
        for blueprint_name in record.blueprints:
            blueprint = app.blueprints.get(blueprint_name)
            loader = blueprint.jinja_loader if blueprint is not None else None
            if loader is not None:
                names.update(loader.list_templates())
        for name in names:
            owners.setdefault(name, []).append(record.name)
    return [
        f"the template {name!r} is in plugins {_joined(plugins)}; Flask renders "
        f"{plugins[0]!r}'s for all of them: keep each plugin's templates under "
        "templates/<plugin name>/"
        for name, plugins in sorted(owners.items())
        if len(plugins) > 1
    ]
