"""Plugins the app cannot run without (``PLUGBOARD_REQUIRED``, ``Plugin.essential``): a
failure stops start-up with one line naming the setting as the operator set it."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from fixture_plugins.notes import Notes
from flask_plugboard import (
    PlugboardError,
    Plugin,
    PluginFailure,
    SettingsError,
    StartupError,
    get_state,
    setting,
)
from flask_plugboard.db import upgrade_database
from flask_plugboard.testing import build_app

TESTS = Path(__file__).resolve().parent
FLASK = Path(sys.executable).parent / "flask"


@dataclasses.dataclass(frozen=True)
class LimitSettings:
    limit: int = setting(10, min=1, doc="A limit.")


class Limited(Plugin):
    name = "limited"
    Settings = LimitSettings


class NeedsLimited(Plugin):
    name = "needs_limited"
    requires = ("limited",)


class Hello(Plugin):
    name = "hello"


class BrokenInit(Plugin):
    name = "broken_init"

    def setup(self, app: Flask, settings: Any) -> None:
        raise RuntimeError("database unreachable")


class Guard(Plugin):
    name = "guard"
    essential = True

    def setup(self, app: Flask, settings: Any) -> None:
        raise RuntimeError("no key store")


@dataclasses.dataclass(frozen=True)
class PatternSettings:
    pattern: str = setting("*", doc="A pattern the plugin checks when it starts.")


class Checked(Plugin):
    """Checks a setting in setup, naming its config key, as plugins do."""

    name = "checked"
    Settings = PatternSettings

    def setup(self, app: Flask, settings: PatternSettings) -> None:
        if settings.pattern != "*":
            raise SettingsError(f"CHECKED_PATTERN = {settings.pattern!r}: expected '*'")


def lenient(plugins: list[Any], **config: Any) -> Flask:
    """An app that would start without the plugins that fail, as in production."""
    return build_app(plugins, {"PLUGBOARD_STRICT": False, **config})


def test_a_required_plugin_with_a_bad_setting_stops_start_up_with_one_line() -> None:
    with pytest.raises(StartupError) as caught:
        lenient([Limited, Hello], PLUGBOARD_REQUIRED=["limited"], LIMITED_LIMIT=0)
    message = str(caught.value)
    assert "\n" not in message
    assert message == (
        "plugin 'limited' failed at validate, and the app cannot run without it: "
        "LIMITED_LIMIT = 0 is not valid for plugin 'limited': expected a number >= 1"
    )
    # It is a plugin failure like the others, for code that catches those.
    assert isinstance(caught.value, PluginFailure)
    assert (caught.value.plugin, caught.value.phase) == ("limited", "validate")


def test_plugins_that_are_not_required_are_still_left_out() -> None:
    app = lenient([Hello, BrokenInit], PLUGBOARD_REQUIRED="hello")
    records = get_state(app).records
    assert records["hello"].status == "loaded"
    assert records["broken_init"].status == "failed (init)"


def test_true_requires_every_plugin_of_the_app() -> None:
    with pytest.raises(StartupError, match=r"'broken_init' failed at init, .*database unreachable"):
        lenient([Hello, BrokenInit], PLUGBOARD_REQUIRED=True)


def test_the_environment_can_require_every_plugin(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLASK_PLUGBOARD_REQUIRED", "true")
    with pytest.raises(StartupError, match="broken_init"):
        lenient([Hello, BrokenInit])


def test_an_essential_plugin_is_required_without_being_listed() -> None:
    with pytest.raises(StartupError, match="'guard' failed at init, .*no key store"):
        lenient([Hello, Guard])


def test_a_required_plugin_that_is_not_configured_is_named() -> None:
    with pytest.raises(StartupError) as caught:
        lenient([Hello], PLUGBOARD_REQUIRED=["hello", "auth"])
    assert "PLUGBOARD_REQUIRED names 'auth', which is not one of the app's plugins (hello)" in (
        str(caught.value)
    )


def test_a_required_plugin_whose_dependency_fails_names_the_cause() -> None:
    with pytest.raises(StartupError) as caught:
        lenient([Limited, NeedsLimited], PLUGBOARD_REQUIRED=["needs_limited"], LIMITED_LIMIT=0)
    message = str(caught.value)
    assert message.startswith("plugin 'needs_limited' failed at requirements")
    assert "requires 'limited', which failed: at validate: LIMITED_LIMIT = 0" in message


def test_a_dependant_is_told_its_dependency_failed_not_that_it_is_missing() -> None:
    app = lenient([Limited, NeedsLimited], LIMITED_LIMIT=0)
    failure = get_state(app).records["needs_limited"].failure
    assert failure is not None
    assert "requires 'limited', which failed: at validate: LIMITED_LIMIT = 0" in failure.error
    assert "not enabled" not in failure.error


def test_a_dependant_of_a_plugin_that_failed_at_init_is_told_so() -> None:
    class NeedsBroken(Plugin):
        name = "needs_broken"
        requires = ("broken_init",)

    app = lenient([BrokenInit, NeedsBroken])
    failure = get_state(app).records["needs_broken"].failure
    assert failure is not None
    assert failure.error == (
        "plugin 'needs_broken' requires 'broken_init', which failed at init: "
        "RuntimeError: database unreachable"
    )


def test_the_message_names_the_environment_variable_the_operator_set(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("FLASK_RATELIMIT_DEFAULT", "banana")
    with pytest.raises(StartupError) as caught:
        build_app(config={"PLUGBOARD_PLUGINS": ["ratelimit"], "PLUGBOARD_REQUIRED": True})
    message = str(caught.value)
    assert "FLASK_RATELIMIT_DEFAULT = 'banana' is not a rate limit" in message
    assert " RATELIMIT_DEFAULT" not in message


def test_the_message_names_the_config_key_when_the_config_set_it() -> None:
    with pytest.raises(StartupError) as caught:
        build_app(
            config={
                "PLUGBOARD_PLUGINS": ["ratelimit"],
                "PLUGBOARD_REQUIRED": True,
                "RATELIMIT_DEFAULT": "banana",
            }
        )
    assert ": RATELIMIT_DEFAULT = 'banana' is not a rate limit" in str(caught.value)


def test_a_setting_checked_at_init_is_named_as_the_operator_set_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("FLASK_CHECKED_PATTERN", "?")
    with pytest.raises(StartupError) as caught:
        lenient([Checked], PLUGBOARD_REQUIRED=["checked"])
    assert str(caught.value).endswith("FLASK_CHECKED_PATTERN = '?': expected '*'")


def _flask(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("FLASK_")}
    return subprocess.run(
        [str(FLASK), "--app", "fixture_plugins.startup_app", *args],
        cwd=TESTS,
        env={**environ, "PYTHONPATH": str(TESTS), **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize(
    "command",
    [("db", "upgrade"), ("plugins", "doctor"), ("run", "--port", "0")],
    ids=["db upgrade", "plugins doctor", "run"],
)
def test_every_flask_command_prints_the_one_line_and_fails(
    command: tuple[str, ...], tmp_path: Path
) -> None:
    done = _flask(
        *command,
        FLASK_RATELIMIT_DEFAULT="banana",
        FLASK_SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'app.sqlite'}",
    )
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        "Error: plugin 'ratelimit' failed at validate, and the app cannot run without it: "
        "FLASK_RATELIMIT_DEFAULT = 'banana' is not a rate limit: write it like '100/minute', "
        "'5 per 10 seconds' or '10/second; 1000/hour' (units: second, minute, hour, day, "
        "month, year)"
    ]
    assert not (tmp_path / "app.sqlite").exists()


# -- flask db upgrade while a plugin is failed ---------------------------------------------


class FailingNotes(Notes):
    """The notes plugin (models and migrations) with a setting that can be wrong."""

    Settings = LimitSettings
    migrations = str(TESTS / "fixture_plugins" / "notes" / "migrations")


def test_db_upgrade_refuses_while_a_plugin_with_migrations_is_failed(tmp_path: Path) -> None:
    database = tmp_path / "app.sqlite"
    app = lenient(
        [FailingNotes, Hello],
        NOTES_LIMIT=0,
        SQLALCHEMY_DATABASE_URI=f"sqlite:///{database}",
    )
    with pytest.raises(PlugboardError) as caught:
        upgrade_database(app)
    assert str(caught.value).startswith(
        "plugin 'notes' failed at validate: NOTES_LIMIT = 0 is not valid"
    )
    assert "nothing was migrated" in str(caught.value)

    result = app.test_cli_runner().invoke(args=["db", "upgrade"])
    assert result.exit_code == 1
    assert "plugin 'notes' failed at validate" in result.output
    assert "nothing was migrated" in result.output
    named = app.test_cli_runner().invoke(args=["db", "upgrade", "notes"])
    assert named.exit_code == 1
    assert "its migrations cannot run while it is failed" in named.output
    engine = sa.create_engine(f"sqlite:///{database}")
    try:
        assert "alembic_version_notes" not in sa.inspect(engine).get_table_names()
    finally:
        engine.dispose()


def test_db_upgrade_runs_when_only_plugins_without_migrations_failed(tmp_path: Path) -> None:
    app = lenient(
        [Notes, Limited],
        LIMITED_LIMIT=0,
        SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'app.sqlite'}",
    )
    result = app.test_cli_runner().invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert "notes: upgraded" in result.output


# -- a plugin defined in python -c ---------------------------------------------------------


def test_a_plugin_defined_in_python_c_has_no_folders_and_starts(tmp_path: Path) -> None:
    # Folders in the current directory must not be taken for the plugin's own.
    (tmp_path / "migrations").mkdir()
    (tmp_path / "templates").mkdir()
    code = textwrap.dedent(
        """
        from flask import Flask
        from flask_plugboard import Plugboard, Plugin, get_state, plugin_blueprint

        class Inline(Plugin):
            name = "inline"

            def blueprint(self, app, settings):
                bp = plugin_blueprint(self, __name__)
                bp.add_url_rule("/inline", "page", lambda: "inline")
                return bp

        app = Flask("inline_app")
        app.config.update(PLUGBOARD_PLUGINS=[], PLUGBOARD_STRICT=True)
        Plugboard(app, plugins=[Inline])
        plugin = app.extensions["inline"]
        print(get_state(app).records["inline"].status, plugin.migrations_dir(),
              app.blueprints["inline"].template_folder,
              app.test_client().get("/inline").get_data(as_text=True))
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["loaded", "None", "None", "inline"]
