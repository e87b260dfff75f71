"""Every setting, hook and CLI command is documented: adding one without docs fails here."""

from __future__ import annotations

import re
from pathlib import Path

import click
import pytest

from flask_plugboard import hookspecs
from flask_plugboard._discovery import BUNDLED, import_object
from flask_plugboard._settings import describe_settings
from flask_plugboard._state import HostSettings
from flask_plugboard.testing import build_app

DOCS = Path(__file__).resolve().parents[1] / "docs"


def _setting_keys() -> list[str]:
    keys = [spec.key for spec in describe_settings(HostSettings, "PLUGBOARD")]
    for path in BUNDLED.values():
        plugin = import_object(path)()
        keys += [spec.key for spec in plugin.setting_specs()]
    return keys


@pytest.mark.parametrize("key", _setting_keys())
def test_every_setting_is_documented(key: str) -> None:
    assert f"`{key}`" in (DOCS / "settings.md").read_text(), f"{key} is not in docs/settings.md"


@pytest.mark.parametrize("hook", hookspecs.__all__)
def test_every_hook_is_documented(hook: str) -> None:
    assert re.search(rf"### `{hook}\(", (DOCS / "hooks.md").read_text()), (
        f"hook {hook} has no section in docs/hooks.md"
    )


def _commands(group: click.Group, prefix: str) -> list[str]:
    names = []
    for name, command in sorted(group.commands.items()):
        names.append(f"{prefix} {name}")
        if isinstance(command, click.Group):
            names += _commands(command, f"{prefix} {name}")
    return names


def test_every_cli_command_is_documented() -> None:
    app = build_app([])
    text = (DOCS / "cli.md").read_text()
    commands = _commands(app.cli, "flask")
    assert "flask plugins list" in commands
    missing = [c for c in commands if f"`{c}" not in text]
    assert not missing, f"not in docs/cli.md: {missing}"


def test_every_bundled_plugin_has_a_settings_section() -> None:
    text = (DOCS / "settings.md").read_text()
    for name in BUNDLED:
        assert f"## {name}" in text
