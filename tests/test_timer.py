"""The bundled timer plugin: its headers, its log lines and its settings, as a user sees them."""

from __future__ import annotations

import logging
import re
import time
from typing import Any

import pytest
from flask import Flask, Request, Response
from werkzeug.test import TestResponse

from flask_plugboard import (
    Plugin,
    PluginFailure,
    SettingsError,
    add_server_timing,
    get_state,
    hookimpl,
)
from flask_plugboard.plugins.timer import Timer
from flask_plugboard.testing import build_app

LOGGER = "flask_plugboard.plugins.timer"


def _routes(app: Flask) -> None:
    app.add_url_rule("/", "index", lambda: "hello")
    app.add_url_rule("/items", "items", lambda: {"items": [1, 2]})

    @app.get("/db")
    def db() -> str:
        add_server_timing("db", 2.5, "2 queries, cached")
        return "rows"

    @app.get("/slow")
    def slow() -> str:
        time.sleep(0.02)
        return "done"

    @app.get("/boom")
    def boom() -> str:
        raise ZeroDivisionError("boom")


def timed_app(config: dict[str, Any] | None = None, plugins: list[Any] | None = None) -> Flask:
    """An app with the host, the timer and a few routes."""
    return build_app(
        plugins or [], {"PLUGBOARD_PLUGINS": ["timer"], **(config or {})}, setup=_routes
    )


def server_timing(response: TestResponse) -> list[tuple[str, dict[str, str]]]:
    """Parse every Server-Timing header of ``response`` into (name, params) pairs."""
    metrics = []
    for header in response.headers.getlist("Server-Timing"):
        # Commas separate metrics, except inside quoted descriptions.
        for metric in re.findall(r'(?:[^,"]|"(?:[^"\\]|\\.)*")+', header):
            name, *params = metric.strip().split(";")
            metrics.append((name, dict(p.split("=", 1) for p in params)))
    return metrics


# -- headers -----------------------------------------------------------------------------


def test_headers_give_the_request_time_in_seconds_and_milliseconds() -> None:
    response = timed_app().test_client().get("/")
    assert response.status_code == 200
    seconds = response.headers["X-Request-Time"]
    assert re.fullmatch(r"\d+\.\d{6}", seconds), seconds
    [(name, params)] = server_timing(response)
    assert name == "total"
    assert re.fullmatch(r"\d+\.\d{3}", params["dur"]), params
    # One measurement, two units.
    assert float(params["dur"]) == pytest.approx(float(seconds) * 1000, abs=0.001)
    assert 0 < float(seconds) < 10


def test_every_response_is_timed_including_errors() -> None:
    client = timed_app({"PROPAGATE_EXCEPTIONS": False}).test_client()
    for path, status in [("/nope", 404), ("/boom", 500), ("/items", 200)]:
        response = client.get(path)
        assert response.status_code == status
        assert "X-Request-Time" in response.headers, path
        assert server_timing(response)[-1][0] == "total", path


def test_before_request_functions_registered_earlier_are_in_the_time() -> None:
    def setup(app: Flask) -> None:
        _routes(app)
        app.before_request(lambda: time.sleep(0.01))

    app = build_app([], {"PLUGBOARD_PLUGINS": ["timer"]}, setup=setup)
    response = app.test_client().get("/")
    assert float(response.headers["X-Request-Time"]) >= 0.01


class Database(Plugin):
    """Another plugin adding its own Server-Timing entry from a host hook."""

    name = "database"

    @hookimpl
    def plugboard_request_finished(self, request: Request, response: Response) -> None:
        add_server_timing("cache", 0.25)
        add_server_timing("miss")


def test_server_timing_sends_the_entries_other_plugins_added_then_total() -> None:
    app = timed_app(plugins=[Database])
    response = app.test_client().get("/db")
    metrics = server_timing(response)
    assert [name for name, _ in metrics] == ["db", "cache", "miss", "total"]
    assert metrics[0][1] == {"dur": "2.500", "desc": '"2 queries, cached"'}
    assert metrics[1][1] == {"dur": "0.250"}
    assert metrics[2][1] == {}


def test_entries_do_not_carry_over_to_the_next_request() -> None:
    client = timed_app().test_client()
    client.get("/db")
    assert [name for name, _ in server_timing(client.get("/"))] == ["total"]


def test_a_server_timing_header_set_by_the_view_is_kept() -> None:
    def setup(app: Flask) -> None:
        app.add_url_rule("/", "index", lambda: ("hi", {"Server-Timing": 'cdn;desc="hit"'}))

    app = build_app([], {"PLUGBOARD_PLUGINS": ["timer"]}, setup=setup)
    response = app.test_client().get("/")
    assert [name for name, _ in server_timing(response)] == ["cdn", "total"]


def test_an_entry_that_would_break_the_header_is_refused() -> None:
    refused: list[str] = []

    def setup(app: Flask) -> None:
        @app.get("/")
        def index() -> str:
            for description in ["x\r\nSet-Cookie: session=stolen", "caf\u00e9 \u2615"]:
                try:
                    add_server_timing("evil", 1, description)
                except ValueError as exc:
                    refused.append(str(exc))
            add_server_timing("db", 1)
            return "hi"

    app = build_app([], {"PLUGBOARD_PLUGINS": ["timer"]}, setup=setup)
    response = app.test_client().get("/")
    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers
    assert [name for name, _ in server_timing(response)] == ["db", "total"]
    assert len(refused) == 2 and all("must be printable ASCII" in m for m in refused)


def test_entries_without_the_timer_are_dropped_quietly() -> None:
    def setup(app: Flask) -> None:
        @app.get("/")
        def index() -> str:
            add_server_timing("db", 1)
            return "hi"

    response = build_app([], setup=setup).test_client().get("/")
    assert response.status_code == 200 and "Server-Timing" not in response.headers


# -- settings ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("config", "sent"),
    [
        ({"TIMER_X_REQUEST_TIME": False}, {"Server-Timing"}),
        ({"TIMER_SERVER_TIMING": False}, {"X-Request-Time"}),
        ({"TIMER_X_REQUEST_TIME": False, "TIMER_SERVER_TIMING": False}, set()),
    ],
)
def test_settings_turn_each_header_off(config: dict[str, Any], sent: set[str]) -> None:
    response = timed_app(config).test_client().get("/")
    assert {h for h in ("X-Request-Time", "Server-Timing") if h in response.headers} == sent


def test_precision_sets_the_decimal_places_of_x_request_time() -> None:
    response = timed_app({"TIMER_PRECISION": 3}).test_client().get("/")
    assert re.fullmatch(r"\d+\.\d{3}", response.headers["X-Request-Time"])
    response = timed_app({"TIMER_PRECISION": 0}).test_client().get("/")
    assert re.fullmatch(r"\d+", response.headers["X-Request-Time"])


def test_the_settings_in_force_are_written_back_to_the_config() -> None:
    app = timed_app({"TIMER_SLOW_THRESHOLD": 2})
    assert app.config["TIMER_SLOW_THRESHOLD"] == 2.0
    assert app.config["TIMER_X_REQUEST_TIME"] is True
    assert app.config["TIMER_PRECISION"] == 6


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("TIMER_SLOW_THRESHOLD", -1, "expected a number >= 0"),
        ("TIMER_SLOW_THRESHOLD", "fast", "expected a number"),
        ("TIMER_X_REQUEST_TIME", "yes", "expected a boolean"),
        ("TIMER_SERVER_TIMING", 1, "expected a boolean"),
        ("TIMER_PRECISION", 12, "expected a number <= 9"),
        ("TIMER_PRECISION", 2.5, "expected an integer"),
        ("TIMER_LOGGER", None, "expected a string"),
    ],
)
def test_a_bad_setting_fails_at_start_up_naming_the_key(
    key: str, value: Any, expected: str
) -> None:
    with pytest.raises(PluginFailure) as info:
        timed_app({key: value})
    assert info.value.plugin == "timer"
    assert f"{key} = {value!r} is not valid for plugin 'timer': {expected}" in str(info.value)


def test_a_bad_setting_leaves_the_timer_out_when_not_strict() -> None:
    app = timed_app({"PLUGBOARD_STRICT": False, "TIMER_SLOW_THRESHOLD": -1})
    record = get_state(app).records["timer"]
    assert record.status == "failed (validate)"
    assert "TIMER_SLOW_THRESHOLD = -1" in record.failure.error  # type: ignore[union-attr]
    response = app.test_client().get("/")
    assert response.status_code == 200
    assert "X-Request-Time" not in response.headers


def test_a_bad_setting_from_the_environment_names_the_variable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("FLASK_TIMER_SLOW_THRESHOLD", "soon")
    with pytest.raises(PluginFailure, match=r"FLASK_TIMER_SLOW_THRESHOLD \(environment\)"):
        timed_app()


# -- log lines ---------------------------------------------------------------------------


def _timer_records(caplog: pytest.LogCaptureFixture, name: str = LOGGER) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == name]


def test_a_slow_request_logs_a_warning_naming_the_threshold(
    caplog: pytest.LogCaptureFixture,
) -> None:
    client = timed_app({"TIMER_SLOW_THRESHOLD": 0.01}).test_client()
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        client.get("/slow")
    [record] = _timer_records(caplog)
    assert record.levelno == logging.WARNING
    assert record.getMessage().startswith("slow request: GET /slow -> 200 OK in 0.0")
    assert "(TIMER_SLOW_THRESHOLD is 0.01 s)" in record.getMessage()


def test_a_request_under_the_threshold_logs_no_warning(caplog: pytest.LogCaptureFixture) -> None:
    client = timed_app({"TIMER_SLOW_THRESHOLD": 30}).test_client()
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        client.get("/slow")
    assert _timer_records(caplog) == []


def test_a_threshold_of_zero_turns_the_warning_off(caplog: pytest.LogCaptureFixture) -> None:
    client = timed_app({"TIMER_SLOW_THRESHOLD": 0}).test_client()
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        client.get("/slow")
    assert _timer_records(caplog) == []


def test_one_debug_line_per_request_only_when_the_logger_is_at_debug(
    caplog: pytest.LogCaptureFixture,
) -> None:
    client = timed_app().test_client()
    with caplog.at_level(logging.INFO, logger=LOGGER):
        client.get("/items")
    assert _timer_records(caplog) == []

    with caplog.at_level(logging.DEBUG, logger=LOGGER):
        client.get("/items?token=secret-value")
        client.get("/nope")
    first, second = _timer_records(caplog)
    assert first.levelno == logging.DEBUG
    assert re.fullmatch(r"GET /items -> 200 OK in \d+\.\d{3} ms", first.getMessage())
    assert second.getMessage().startswith("GET /nope -> 404 NOT FOUND in ")
    assert "secret-value" not in caplog.text  # the query string is never logged


def test_the_logger_setting_chooses_where_lines_go(caplog: pytest.LogCaptureFixture) -> None:
    client = timed_app({"TIMER_LOGGER": "myapp.timing"}).test_client()
    with caplog.at_level(logging.DEBUG, logger="myapp.timing"):
        client.get("/")
    [record] = _timer_records(caplog, "myapp.timing")
    assert record.getMessage().startswith("GET / -> 200 OK in ")


def test_a_request_that_raises_is_logged_and_the_error_goes_through(
    caplog: pytest.LogCaptureFixture,
) -> None:
    client = timed_app().test_client()  # TESTING: errors propagate past Flask's handling
    with caplog.at_level(logging.DEBUG, logger=LOGGER), pytest.raises(ZeroDivisionError):
        client.get("/boom")
    [record] = _timer_records(caplog)
    assert record.getMessage().startswith("GET /boom -> ZeroDivisionError in ")


def test_a_failing_teardown_is_logged_once(caplog: pytest.LogCaptureFixture) -> None:
    def setup(app: Flask) -> None:
        _routes(app)

        @app.teardown_request
        def fail(exc: BaseException | None) -> None:
            raise RuntimeError("teardown failed")

    app = build_app([], {"PLUGBOARD_PLUGINS": ["timer"]}, setup=setup)
    with caplog.at_level(logging.DEBUG, logger=LOGGER), pytest.raises(RuntimeError):
        app.test_client().get("/")
    [record] = _timer_records(caplog)
    assert record.getMessage().startswith("GET / -> 200 OK in ")


# -- as a plain Flask extension ----------------------------------------------------------


def test_works_as_a_plain_flask_extension_without_the_host() -> None:
    app = Flask(__name__)
    _routes(app)
    Timer(app)
    assert "plugboard" not in app.extensions
    response = app.test_client().get("/db")
    assert "X-Request-Time" in response.headers
    assert [name for name, _ in server_timing(response)] == ["db", "total"]
    assert isinstance(app.extensions["timer"], Timer)


def test_bad_settings_fail_in_init_app_without_the_host() -> None:
    app = Flask(__name__)
    app.config["TIMER_PRECISION"] = "six"
    with pytest.raises(SettingsError, match=r"TIMER_PRECISION = 'six' is not valid"):
        Timer(app)


def test_one_timer_serves_two_apps_with_their_own_settings(
    caplog: pytest.LogCaptureFixture,
) -> None:
    timer = Timer()
    first, second = Flask("first"), Flask("second")
    for app in (first, second):
        _routes(app)
    first.config.update(TIMER_PRECISION=2, TIMER_SLOW_THRESHOLD=0.01)
    second.config.update(TIMER_SERVER_TIMING=False, TIMER_SLOW_THRESHOLD=0)
    timer.init_app(first)
    timer.init_app(second)

    with caplog.at_level(logging.WARNING, logger=LOGGER):
        a = first.test_client().get("/slow")
        b = second.test_client().get("/slow")
    assert re.fullmatch(r"\d+\.\d{2}", a.headers["X-Request-Time"])
    assert re.fullmatch(r"\d+\.\d{6}", b.headers["X-Request-Time"])
    assert "Server-Timing" in a.headers and "Server-Timing" not in b.headers
    assert len(_timer_records(caplog)) == 1  # only the first app warns
    assert timer.get_settings(first).precision == 2
    assert timer.get_settings(second).precision == 6


def test_two_host_apps_in_one_process_keep_their_settings() -> None:
    quiet = timed_app({"TIMER_X_REQUEST_TIME": False})
    loud = timed_app()
    assert "X-Request-Time" not in quiet.test_client().get("/").headers
    assert "X-Request-Time" in loud.test_client().get("/").headers
