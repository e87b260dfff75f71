"""What a plugin registered on an app, and undoing it when its ``init_app`` fails.

Flask has no "unregister"; a plugin that raises half-way through ``init_app`` would leave
its hooks and routes behind. A :class:`Snapshot` taken before ``init_app`` tells what the
plugin added (routes and CLI commands for the listings) and can put the app back.
"""

from __future__ import annotations

import copy
import dataclasses
from typing import Any

from flask import Flask
from werkzeug.routing import Map, Rule

__all__ = ["Snapshot"]

# Per-app registries that Flask keeps as {scope: [callables]} or {name: value}.
_REGISTRIES = (
    "before_request_funcs",
    "after_request_funcs",
    "teardown_request_funcs",
    "teardown_appcontext_funcs",
    "url_value_preprocessors",
    "url_default_functions",
    "template_context_processors",
    "error_handler_spec",
    "view_functions",
    "blueprints",
    "extensions",
    "shell_context_processors",
)


def _leaves(value: Any) -> list[Any]:
    """The callables inside nested registry containers (kept, not copied, by deepcopy)."""
    if isinstance(value, dict):
        return [leaf for v in value.values() for leaf in _leaves(v)] + list(value.keys())
    if isinstance(value, list):
        return [leaf for v in value for leaf in _leaves(v)]
    return [value]


def _rebuild_map(old: Map, keep: list[Rule]) -> Map:
    return Map(
        [rule.empty() for rule in keep],
        default_subdomain=old.default_subdomain,
        strict_slashes=old.strict_slashes,
        merge_slashes=old.merge_slashes,
        redirect_defaults=old.redirect_defaults,
        converters=old.converters,
        sort_parameters=old.sort_parameters,
        sort_key=old.sort_key,
        host_matching=old.host_matching,
    )


@dataclasses.dataclass
class Snapshot:
    """The state of an app's registries at one moment."""

    registries: dict[str, Any]
    rules: list[Rule]
    commands: dict[str, Any]
    jinja_globals: set[str]
    wsgi_app: Any

    @classmethod
    def take(cls, app: Flask) -> Snapshot:
        registries: dict[str, Any] = {}
        for attr in _REGISTRIES:
            value = getattr(app, attr)
            if isinstance(value, list):
                registries[attr] = list(value)
            elif attr in ("view_functions", "blueprints", "extensions"):
                registries[attr] = dict(value)
            else:
                # {scope: [callables]} or {scope: {code: {class: handler}}}: copy the
                # containers (deep enough that appends are undone), never the callables.
                registries[attr] = {
                    k: copy.deepcopy(v, {id(f): f for f in _leaves(v)}) for k, v in value.items()
                }
        return cls(
            registries=registries,
            rules=list(app.url_map.iter_rules()),
            commands=dict(app.cli.commands),
            jinja_globals=set(app.jinja_env.globals),
            wsgi_app=app.wsgi_app,
        )

    def new_rules(self, app: Flask) -> list[Rule]:
        """Rules added to the app since the snapshot."""
        known = {id(r) for r in self.rules}
        return [r for r in app.url_map.iter_rules() if id(r) not in known]

    def new_commands(self, app: Flask) -> list[str]:
        """CLI commands added to ``app.cli`` since the snapshot, or put in the place of
        one of the same name."""
        return sorted(
            name
            for name, command in app.cli.commands.items()
            if self.commands.get(name) is not command
        )

    def new_blueprints(self, app: Flask) -> list[str]:
        """Names of the blueprints registered on the app since the snapshot."""
        return [name for name in app.blueprints if name not in self.registries["blueprints"]]

    def restore(self, app: Flask) -> None:
        """Put the app's registries back as they were at the snapshot."""
        for attr, value in self.registries.items():
            current = getattr(app, attr)
            if isinstance(current, list):
                current[:] = value
            else:
                current.clear()
                current.update(value)
        if len(self.rules) != len(list(app.url_map.iter_rules())):
            app.url_map = _rebuild_map(app.url_map, self.rules)
        # Put back a command of the same name that the plugin replaced, too.
        app.cli.commands.clear()
        app.cli.commands.update(self.commands)
        for name in set(app.jinja_env.globals) - self.jinja_globals:
            del app.jinja_env.globals[name]
        app.wsgi_app = self.wsgi_app  # type: ignore[method-assign]  # undo middleware
