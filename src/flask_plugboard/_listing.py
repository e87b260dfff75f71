"""What the listings show of plugins (``flask plugins list --json``, ``/admin/plugins``),
with every known secret value redacted.
"""

from __future__ import annotations

import json
import os
from typing import Any

from flask import Flask

from ._redaction import MIN_SECRET_LENGTH
from ._settings import REDACTED, redacted, secret_values
from ._state import PlugboardState, PluginRecord, get_state
from ._version import __version__
from .plugin import Plugin

__all__ = ["known_secrets", "plugins_listing", "scrub"]


def known_secrets(app: Flask, state: PlugboardState | None = None) -> list[str]:
    """Every secret value the app knows, longest first (a secret containing another is
    replaced whole): the host's secret settings, those of loaded plugins, those configured (in
    app.config or the environment) for plugins that failed, and ``SECRET_KEY``; each
    also as it appears inside JSON.
    """
    state = get_state(app) if state is None else state
    env_prefix = state.settings.env_prefix or None
    found: set[str] = set(secret_values(state.settings))
    for record, plugin in state.imported():
        instance = state.plugin_settings(record.name, app)
        if instance is not None:
            found.update(secret_values(instance))
            continue
        for spec in plugin.setting_specs():
            if not spec.secret:
                continue
            env_key = f"{env_prefix}_{spec.key}" if env_prefix else None
            for value in (app.config.get(spec.key), os.environ.get(env_key or "")):
                if value not in (None, ""):
                    found.add(str(value))
    if isinstance(app.secret_key, str):
        found.add(app.secret_key)
    found |= {json.dumps(v)[1:-1] for v in found}
    return sorted((s for s in found if len(s) >= MIN_SECRET_LENGTH), key=len, reverse=True)


def scrub(text: str | None, secrets: list[str]) -> str | None:
    """``text`` with every secret in ``secrets`` replaced by ``***``."""
    if text is None:
        return None
    for secret in secrets:
        text = text.replace(secret, REDACTED)
    return text


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, set | frozenset):
        return sorted((_jsonable(v) for v in value), key=repr)
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    return str(value)


def setting_values(app: Flask, plugin: Plugin, settings: Any) -> dict[str, Any]:
    """``plugin``'s settings on ``app`` by field, secrets as ``***``; with ``url_prefix``
    (``<NAME>_URL_PREFIX``, the host's, in no settings class) when it has a blueprint."""
    values = redacted(settings)
    if plugin.has_blueprint():
        key = f"{plugin.settings_prefix}_URL_PREFIX"
        values.setdefault("url_prefix", app.config.get(key, plugin.url_prefix))
    return values


def _describe(
    app: Flask, state: PlugboardState, record: PluginRecord, secrets: list[str]
) -> dict[str, Any]:
    plugin = record.plugin
    settings = state.plugin_settings(record.name, app)
    health = record.health
    return {
        "name": record.name,
        "version": record.version,
        "description": record.description,
        "status": record.status,
        "source": record.source,
        "requires": list(plugin.requires) if plugin is not None else [],
        "optional": list(plugin.optional) if plugin is not None else [],
        "hooks": list(record.hooks),
        "routes": list(record.routes),
        "commands": list(record.commands),
        "settings": _jsonable(setting_values(app, plugin, settings))
        if plugin is not None and settings is not None
        else None,
        "failure": None
        if record.failure is None
        else {"phase": record.failure.phase, "error": scrub(record.failure.error, secrets)},
        "health": None
        if health is None
        else {
            "failures": health.failures,
            "consecutive": health.consecutive,
            "quarantined": health.quarantined,
            "last_error": scrub(health.last_error, secrets),
        },
    }


def plugins_listing(app: Flask, state: PlugboardState | None = None) -> dict[str, Any]:
    """What ``/admin/plugins.json`` shows: the host and every plugin, secrets redacted."""
    state = get_state(app) if state is None else state
    secrets = known_secrets(app, state)
    return {
        "host": {
            "version": __version__,
            "strict": state.strict,
            "order": list(state.ordering.order),
        },
        "plugins": [_describe(app, state, r, secrets) for r in state.records.values()],
    }
