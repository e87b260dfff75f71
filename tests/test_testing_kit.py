"""The pytest plugin plugin authors get: fixtures for an app, a client and a hook recorder."""

from __future__ import annotations

import pytest


def test_fixtures_from_a_plugin_authors_point_of_view(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_author="""
        import pytest
        from flask import Flask
        from flask_plugboard import Plugin, hookimpl, get_state

        class Echo(Plugin):
            name = "echo"

            def setup(self, app, settings):
                app.add_url_rule("/echo/<word>", "echo", lambda word: word)

            @hookimpl
            def plugboard_request_finished(self, request, response):
                response.headers["X-Echo"] = "yes"

        @pytest.mark.plugboard(plugins=[Echo], config={"APP_NAME": "demo"})
        def test_marker_app(plugboard_app, plugboard_client, hook_recorder):
            assert plugboard_app.config["APP_NAME"] == "demo"
            assert plugboard_app.testing
            response = plugboard_client.get("/echo/hi")
            assert response.text == "hi" and response.headers["X-Echo"] == "yes"
            calls = hook_recorder.calls_for("plugboard_request_finished")
            assert len(calls) == 1 and calls[0].plugins == ("echo",)
            assert calls[0].kwargs["response"].status_code == 200

        @pytest.fixture
        def plugboard_plugins():
            return [Echo]

        def test_fixture_app(plugboard_client, plugboard_runner):
            assert plugboard_client.get("/echo/x").headers["X-Echo"] == "yes"

        def test_factory(make_plugboard_app):
            first = make_plugboard_app([Echo])
            second = make_plugboard_app([Echo], {"PLUGBOARD_QUARANTINE_AFTER": 1})
            assert first is not second
            assert get_state(second).settings.quarantine_after == 1
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--strict-markers")
    result.assert_outcomes(passed=3)


def test_failing_plugin_fails_the_authors_test(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_broken="""
        import pytest
        from flask_plugboard import Plugin

        class Broken(Plugin):
            name = "broken"

            def setup(self, app, settings):
                raise RuntimeError("forgot to configure")

        @pytest.mark.plugboard(plugins=[Broken])
        def test_it(plugboard_app):
            pass
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        ["*plugin 'broken' failed at init: RuntimeError: forgot to configure*"]
    )


def test_a_plain_click_group_runs_under_the_runner_as_under_flask(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(
        test_cli="""
        import click
        import pytest
        from flask import current_app
        from flask_plugboard import Plugin

        @click.group("greet")
        def greet():
            "Greetings."

        @greet.command("hello")
        def hello():
            click.echo(f"hello from {current_app.name}")

        class Greeter(Plugin):
            name = "greeter"

            def setup(self, app, settings):
                app.cli.add_command(greet)

        @pytest.mark.plugboard(plugins=[Greeter])
        def test_command(plugboard_runner):
            result = plugboard_runner.invoke(args=["greet", "hello"])
            assert result.exit_code == 0, result.output
            assert result.output == "hello from plugboard_test_app\\n"
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)


def test_the_recorded_request_is_usable_after_the_request(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_recorder="""
        import pytest
        from flask_plugboard import Plugin, hookimpl

        class Seen(Plugin):
            name = "seen"

            def setup(self, app, settings):
                app.add_url_rule("/seen", "seen", lambda: "ok")

            @hookimpl
            def plugboard_request_finished(self, request, response):
                pass

        @pytest.mark.plugboard(plugins=[Seen])
        def test_path(plugboard_client, hook_recorder):
            assert plugboard_client.get("/seen?x=1").status_code == 200
            (call,) = hook_recorder.calls_for("plugboard_request_finished")
            assert call.kwargs["request"].path == "/seen"
            assert call.kwargs["request"].args["x"] == "1"
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)


def test_postgres_tests_skip_naming_the_driver_to_install(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(
        """
        import sys

        sys.modules["psycopg"] = None  # as if psycopg were not installed
        """
    )
    pytester.makepyfile(
        test_pg="""
        def test_needs_postgres(postgres_url):
            pass

        def test_both_databases(plugboard_database):
            assert plugboard_database["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///")
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-rs")
    result.assert_outcomes(passed=1, skipped=2)
    output = result.stdout.str()
    assert (
        "the PostgreSQL driver 'psycopg' of postgresql+psycopg:// is not installed: "
        "pip install 'psycopg[binary]'"
    ) in output
    assert "ModuleNotFoundError" not in output


def test_plugboard_database_with_the_marker_and_upgrade_database(
    pytester: pytest.Pytester,
) -> None:
    # The recipe of docs/plugins.md: the database fixture as plugboard_config, the
    # plugins (and more config) from the marker, tables from upgrade_database.
    migrations = pytester.mkdir("migrations")
    (migrations / "0001_notes.py").write_text(
        '''
import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None

def upgrade():
    op.create_table("notes_note", sa.Column("id", sa.Integer, primary_key=True))

def downgrade():
    op.drop_table("notes_note")
'''
    )
    pytester.makepyfile(
        test_db=f"""
        import pytest
        import sqlalchemy as sa
        from flask_plugboard import Plugin
        from flask_plugboard.db import get_db, upgrade_database

        class Notes(Plugin):
            name = "notes"
            migrations = {str(migrations)!r}

        @pytest.fixture
        def plugboard_config(plugboard_database):
            return {{**plugboard_database, "APP_NAME": "fixture"}}

        @pytest.mark.plugboard(plugins=[Notes], config={{"APP_NAME": "marker"}})
        def test_tables(plugboard_app):
            assert plugboard_app.config["APP_NAME"] == "marker"
            assert plugboard_app.config["PLUGBOARD_PLUGINS"] == []
            upgrade_database(plugboard_app)
            with plugboard_app.app_context():
                names = sa.inspect(get_db().engine).get_table_names()
            assert "notes_note" in names
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-m", "not postgres")
    result.assert_outcomes(passed=1, deselected=1)
