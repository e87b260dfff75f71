"""Existing init_app-style extensions adopted as plugins by import path, with no wrapper."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import pytest

from flask_plugboard import get_state
from flask_plugboard.testing import build_app


def test_flask_mail_is_adopted_by_import_path() -> None:
    pytest.importorskip("flask_mail")
    app = build_app([], {"PLUGBOARD_PLUGINS": ["flask_mail:Mail"], "MAIL_SERVER": "smtp.example"})
    record = get_state(app).records["mail"]
    assert record.status == "loaded"
    assert record.source == "import path flask_mail:Mail"
    assert record.version not in ("", "0", "?")
    assert app.extensions["mail"].server == "smtp.example"


@pytest.fixture
def tutorial_package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    pkg = tmp_path / "flaskr_like"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "db.py").write_text(
        textwrap.dedent(
            '''
            """Database helpers, as in the Flask tutorial."""
            import click

            def close_db(e=None):
                pass

            @click.command("init-db")
            def init_db_command():
                click.echo("Initialized the database.")

            def init_app(app):
                app.teardown_appcontext(close_db)
                app.cli.add_command(init_db_command)
            '''
        )
    )
    (pkg / "stats.py").write_text(
        textwrap.dedent(
            '''
            class Stats:
                """Counts requests, tutorial style."""

                def __init__(self, app=None):
                    if app is not None:
                        self.init_app(app)

                def init_app(self, app):
                    app.extensions["stats"] = {"count": 0}

                    @app.after_request
                    def count(response):
                        app.extensions["stats"]["count"] += 1
                        return response
            '''
        )
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    yield "flaskr_like"
    for name in [m for m in sys.modules if m.startswith("flaskr_like")]:
        del sys.modules[name]


def test_tutorial_module_and_class_are_adopted(tutorial_package: str) -> None:
    app = build_app(
        [],
        {"PLUGBOARD_PLUGINS": ["flaskr_like.db", "counter=flaskr_like.stats:Stats"]},
    )
    app.add_url_rule("/", "index", lambda: "ok")
    state = get_state(app)
    assert [r.name for r in state.loaded()] == ["db", "counter"]
    assert state.records["db"].commands == ["init-db"]
    assert state.records["db"].description == "Database helpers, as in the Flask tutorial."
    assert state.records["counter"].description == "Counts requests, tutorial style."
    app.test_client().get("/")
    assert app.extensions["stats"]["count"] == 1
    result = app.test_cli_runner().invoke(args=["init-db"])
    assert "Initialized the database." in result.output


def test_something_without_init_app_is_refused(tutorial_package: str) -> None:
    app = build_app(
        [], {"PLUGBOARD_PLUGINS": ["flaskr_like.db:close_db"], "PLUGBOARD_STRICT": False}
    )
    record = get_state(app).records["close_db"]
    assert record.status == "failed (import)"
    assert "neither a Plugboard plugin nor a Flask extension" in record.failure.error  # type: ignore[union-attr]
