"""Every setting, hook and CLI command is documented: adding one without docs fails here."""

from __future__ import annotations

import re
from pathlib import Path

import click
import pytest

from flask_plugboard import hookspecs
from flask_plugboard._console import main as plugboard_main
from flask_plugboard._discovery import BUNDLED, import_object
from flask_plugboard._settings import describe_settings
from flask_plugboard._state import HostSettings
from flask_plugboard.testing import build_app

DOCS = Path(__file__).resolve().parents[1] / "docs"


def _setting_keys() -> list[tuple[str, str]]:
    """(key, the page that must document it)."""
    keys = [(s.key, "settings.md") for s in describe_settings(HostSettings, "PLUGBOARD")]
    for name, path in BUNDLED.items():
        plugin = import_object(path)()
        keys += [(spec.key, f"batteries/{name}.md") for spec in plugin.setting_specs()]
    return keys


@pytest.mark.parametrize(("key", "page"), _setting_keys())
def test_every_setting_is_documented(key: str, page: str) -> None:
    assert f"`{key}`" in (DOCS / page).read_text(), f"{key} is not in docs/{page}"


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


def test_every_cli_command_is_documented(tmp_path: Path) -> None:
    # Every bundled plugin loaded, so their command groups (flask auth...) are checked too.
    app = build_app(
        [import_object(path) for path in BUNDLED.values()],
        {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'app.sqlite'}"},
        instance_path=str(tmp_path / "instance"),
    )
    text = (DOCS / "cli.md").read_text()
    commands = _commands(app.cli, "flask") + _commands(plugboard_main, "plugboard")
    assert "flask plugins list" in commands and "flask auth create-admin" in commands
    assert "plugboard new" in commands
    missing = [c for c in commands if f"`{c}" not in text]
    assert not missing, f"not in docs/cli.md: {missing}"


def test_every_bundled_plugin_has_a_page() -> None:
    settings = (DOCS / "settings.md").read_text()
    for name in BUNDLED:
        assert (DOCS / "batteries" / f"{name}.md").exists(), f"docs/batteries/{name}.md"
        assert f"batteries/{name}.md" in settings


def test_every_path_in_the_readmes_layout_table_exists() -> None:
    readme = (DOCS.parent / "README.md").read_text()
    layout = readme.split("## Layout", 1)[1].split("\n## ", 1)[0]
    paths = re.findall(r"^\| `([^`]+)` \|", layout, flags=re.MULTILINE)
    assert "src/flask_plugboard/testing/" in paths
    missing = [p for p in paths if not (DOCS.parent / p).exists()]
    assert not missing, f"README.md's layout table names paths that do not exist: {missing}"
