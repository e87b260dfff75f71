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
