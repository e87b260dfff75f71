"""The plugin-author surface: per-app state, "is the host here", importing by path."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from flask_plugboard import Plugboard, PlugboardError, Plugin, get_state, import_object
from flask_plugboard.testing import build_app


@dataclasses.dataclass
class Tally:
    count: int = 0


class Counter(Plugin):
    name = "counter"

    def setup(self, app: Flask, settings: Any) -> None:
        self.set_state(app, Tally())

        @app.get("/count")
        def count() -> str:
            tally: Tally = Counter.state()
            tally.count += 1
            return str(tally.count)


def test_plugin_state_is_kept_per_app_under_the_plugins_name() -> None:
    plugin = Counter()
    first, second = Flask("first"), Flask("second")
    plugin.init_app(first)
    plugin.init_app(second)
    assert first.test_client().get("/count").text == "1"
    assert first.test_client().get("/count").text == "2"
    assert second.test_client().get("/count").text == "1"
    assert Counter.state(first).count == 2
    assert first.extensions["counter.state"] is Counter.state(first)
    assert not any(isinstance(v, Tally) for v in vars(plugin).values())


def test_plugin_state_works_under_the_host_too() -> None:
    app = build_app([Counter], {})
    assert app.test_client().get("/count").text == "1"
    assert Counter.state(app).count == 1


def test_plugin_state_on_an_app_without_the_plugin_names_both_and_the_fix() -> None:
    with pytest.raises(
        PlugboardError, match="plugin 'counter' is not initialised on app 'bare'.*init_app"
    ):
        Counter.state(Flask("bare"))


def test_get_state_with_default_none_says_whether_the_host_is_there() -> None:
    app = Flask("plain")
    assert get_state(app, default=None) is None
    with pytest.raises(PlugboardError, match="Plugboard is not initialised on app 'plain'"):
        get_state(app)
    Plugboard(app)
    assert get_state(app, default=None) is get_state(app)


def test_import_object_takes_colon_and_dotted_paths() -> None:
    assert import_object("flask_plugboard.plugin:Plugin") is Plugin
    assert import_object("flask_plugboard.plugin.Plugin") is Plugin
    with pytest.raises(ModuleNotFoundError):
        import_object("flask_plugboard.no_such_module:thing")


def test_the_plugin_author_surface_is_documented_with_an_example_each() -> None:
    page = (Path(__file__).resolve().parent.parent / "docs" / "plugins.md").read_text()
    examples = "\n".join(re.findall(r"```python\n(.*?)```", page, flags=re.DOTALL))
    for used in [
        "set_state(app",
        ".state()",
        "get_state(app, default=None)",
        "plugin_static(",
        "import_object(",
        "UTCDateTime()",
        "utcnow",
    ]:
        assert used in examples, f"docs/plugins.md shows no example of {used}"
    assert "current_user" in page
