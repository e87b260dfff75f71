"""The bundled request log: its lines, request ids, redaction and outputs, as a user sees them."""

from __future__ import annotations

import http.client
import itertools
import json
import logging
import os
import re
import socket
import subprocess
import sys
import time
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask, Request, Response, current_app, stream_with_context

import flask_plugboard.plugins.reqlog._middleware as middleware
from flask_plugboard import Plugin, PluginFailure, SettingsError, get_state, hookimpl
from flask_plugboard.plugins.reqlog import RequestLog
from flask_plugboard.plugins.reqlog._format import FIELDS
from flask_plugboard.request_id import request_id
from flask_plugboard.testing import build_app

#: 2026-01-02T03:04:05.250Z: the frozen arrival time of every request in these tests.
ARRIVAL = 1767323045.25
#: Two perf_counter readings 12.5 ms apart: the frozen duration.
CLOCK = (100.0, 100.0125)

ID_PATTERN = re.compile(r"[0-9a-f]{32}")


def _routes(app: Flask) -> None:
    @app.get("/items/<int:item_id>")
    def item(item_id: int) -> str:
        return f"item {item_id}"

    @app.get("/seen")
    def seen() -> dict[str, Any]:
        current_app.logger.warning("inside the view")
        return {"request_id": request_id()}

    @app.get("/boom")
    def boom() -> str:
        raise ZeroDivisionError("boom")

    @app.get("/stream")
    def stream() -> Response:
        return Response(stream_with_context(iter([b"abc", b"defg"])))

    @app.get("/healthz")
    def healthz() -> str:
        return "ok"

    @app.get("/static/app.css")
    def css() -> str:
        return "body {}"


@pytest.fixture
def frozen(monkeypatch: pytest.MonkeyPatch) -> None:
    """Freeze the arrival time and the duration of every request."""
    monkeypatch.setattr(middleware, "time", lambda: ARRIVAL)
    monkeypatch.setattr(middleware, "perf_counter", itertools.cycle(CLOCK).__next__)


@pytest.fixture
def log_file(tmp_path: Path) -> Path:
    return tmp_path / "requests.log"


@pytest.fixture
def make_app(log_file: Path) -> Iterator[Callable[..., Flask]]:
    """Factory: an app with the host, reqlog writing to ``log_file``, and a few routes."""
    apps: list[Flask] = []

    def make(config: dict[str, Any] | None = None, plugins: list[Any] | None = None) -> Flask:
        # Lines written at once, so a test reads them right after its request; the
        # buffered writes (the default) have tests of their own below.
        base = {"PLUGBOARD_PLUGINS": ["reqlog"], "REQLOG_FILE": str(log_file)}
        app = build_app(
            plugins or [],
            {**base, "REQLOG_FLUSH_INTERVAL": 0, **(config or {})},
            setup=_routes,
        )
        apps.append(app)
        return app

    yield make
    for app in apps:
        output = app.extensions.get("plugboard.reqlog")
        if output is not None:
            output.close()


def lines(path: Path) -> list[str]:
    return path.read_text("utf-8").splitlines() if path.exists() else []


def entries(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in lines(path)]


KNOWN_REQUEST: dict[str, Any] = {
    "path": "/items/42?token=s3cret&page=2",
    "headers": {
        "X-Request-ID": "req-1",
        "User-Agent": "pytest/8",
        "Referer": "https://example.com/from?password=hunter2&q=x",
    },
    "environ_base": {"REMOTE_ADDR": "203.0.113.9"},
}


# -- formats -------------------------------------------------------------------------


@pytest.mark.usefixtures("frozen")
def test_json_line_of_a_known_request(make_app: Callable[..., Flask], log_file: Path) -> None:
    response = make_app().test_client().get(**KNOWN_REQUEST)
    assert response.status_code == 200
    assert lines(log_file) == [
        '{"time":"2026-01-02T03:04:05.250Z","request_id":"req-1","method":"GET",'
        '"route":"/items/<int:item_id>","path":"/items/42","query":"token=***&page=2",'
        '"protocol":"HTTP/1.1","status":200,"bytes":7,"duration_ms":12.500,'
        '"remote_addr":"203.0.113.9","user":null,'
        '"referer":"https://example.com/from?password=***&q=x","user_agent":"pytest/8",'
        '"error":null}'
    ]


@pytest.mark.usefixtures("frozen")
def test_combined_line_is_apache_combined_exactly(
    make_app: Callable[..., Flask], log_file: Path
) -> None:
    make_app({"REQLOG_FORMAT": "combined"}).test_client().get(**KNOWN_REQUEST)
    assert lines(log_file) == [
        '203.0.113.9 - - [02/Jan/2026:03:04:05 +0000] "GET /items/42?token=***&page=2 '
        'HTTP/1.1" 200 7 "https://example.com/from?password=***&q=x" "pytest/8"'
    ]


@pytest.mark.usefixtures("frozen")
def test_a_template_chooses_the_fields(make_app: Callable[..., Flask], log_file: Path) -> None:
    template = (
        "{time} {request_id} {remote_addr} {user} {method} {target} {route} {status} "
        "{bytes} {duration_ms:.1f}ms [{time_clf}] {error}"
    )
    client = make_app({"REQLOG_FORMAT": template}).test_client()
    client.get(**KNOWN_REQUEST)
    client.get("/nope", headers={"X-Request-ID": "req-2"})
    assert lines(log_file) == [
        "2026-01-02T03:04:05.250Z req-1 203.0.113.9 - GET /items/42?token=***&page=2 "
        "/items/<int:item_id> 200 7 12.5ms [02/Jan/2026:03:04:05 +0000] -",
        "2026-01-02T03:04:05.250Z req-2 127.0.0.1 - GET /nope - 404 207 12.5ms "
        "[02/Jan/2026:03:04:05 +0000] -",
    ]


def test_a_template_may_use_every_field(make_app: Callable[..., Flask], log_file: Path) -> None:
    template = "|".join(f"{{{name}}}" for name in FIELDS)
    config = {"REQLOG_FORMAT": template, "REQLOG_HEADERS": ["Accept", "Cookie"]}
    client = make_app(config).test_client()
    client.set_cookie("session", "abc")
    client.get("/items/9?q=1", headers={"Accept": "text/plain"})
    [line] = lines(log_file)
    values = dict(zip(FIELDS, line.split("|"), strict=True))
    assert values["target"] == "/items/9?q=1"
    assert values["headers"] == "Accept=text/plain Cookie=***"
    assert (values["user"], values["referer"], values["error"]) == ("-", "-", "-")


def test_json_lines_parse_and_carry_every_field(
    make_app: Callable[..., Flask], log_file: Path
) -> None:
    client = make_app().test_client()
    client.get("/items/1")
    client.post("/items/1")  # 405: no rule ran
    first, second = entries(log_file)
    assert set(first) == set(FIELDS) - {"time_clf", "target", "headers"}
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", first["time"])
    assert isinstance(first["duration_ms"], float) and first["duration_ms"] >= 0
    assert (first["status"], first["bytes"], first["route"]) == (200, 6, "/items/<int:item_id>")
    assert (second["method"], second["status"], second["route"]) == ("POST", 405, None)


def test_local_time_carries_its_offset(make_app: Callable[..., Flask], log_file: Path) -> None:
    make_app({"REQLOG_UTC": False}).test_client().get("/items/1")
    [entry] = entries(log_file)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d\d:\d\d", entry["time"])


def test_text_lines_escape_what_could_forge_a_line(
    make_app: Callable[..., Flask], log_file: Path
) -> None:
    client = make_app({"REQLOG_FORMAT": "combined"}).test_client()
    client.get('/nope/a"b c\u00e9', headers={"User-Agent": 'evil" 200 "\x01'})
    [line] = lines(log_file)
    assert '"GET /nope/a%22b%20c%C3%A9 HTTP/1.1" 404' in line
    assert line.endswith('"evil\\" 200 \\"\\x01"')


def test_json_lines_stay_json_whatever_the_client_sends(
    make_app: Callable[..., Flask], log_file: Path
) -> None:
    client = make_app().test_client()
    agent = 'ev"il\\ \x01\u00e9'
    client.get('/nope/a"b\\c\u00e9?x="y\\&token=t"', headers={"User-Agent": agent})
    [entry] = entries(log_file)
    assert entry["path"] == "/nope/a%22b%5Cc%C3%A9"
    assert entry["query"] == "x=%22y%5C&token=***"
    assert entry["user_agent"] == agent


@pytest.mark.parametrize(
    ("template", "message"),
    [
        ("{time} {who}", "uses the unknown field 'who': the fields are time, time_clf,"),
        ("{status.real}", "uses the unknown field 'status.real'"),
        ("{time", "is not a valid template"),
        ("{status:q}", "is not a valid template"),
        ("plain text", "expected 'json', 'combined' or a template with {field} placeholders"),
    ],
)
def test_a_bad_template_fails_at_start_up(
    make_app: Callable[..., Flask], template: str, message: str
) -> None:
    with pytest.raises(PluginFailure) as info:
        make_app({"REQLOG_FORMAT": template})
    assert info.value.plugin == "reqlog"
    assert f"REQLOG_FORMAT = {template!r}" in str(info.value)
    assert message in str(info.value)


def test_a_bad_template_fails_in_init_app_without_the_host() -> None:
    app = Flask(__name__)
    app.config["REQLOG_FORMAT"] = "{method} {nope}"
    with pytest.raises(SettingsError, match="unknown field 'nope'"):
        RequestLog(app)


# -- request ids ---------------------------------------------------------------------


def test_a_sane_incoming_request_id_is_kept_and_echoed(
    make_app: Callable[..., Flask], log_file: Path
) -> None:
    incoming = "edge-7f3a.2026:01_x"
    response = make_app().test_client().get("/seen", headers={"X-Request-ID": incoming})
    assert response.headers["X-Request-ID"] == incoming
    assert response.json == {"request_id": incoming}
    assert entries(log_file)[0]["request_id"] == incoming


@pytest.mark.parametrize(
    "incoming", ["", "x" * 201, "has space", 'quo"te', "new\tline", "caf\u00e9", "a/b"]
)
def test_an_insane_incoming_request_id_is_replaced(
    make_app: Callable[..., Flask], log_file: Path, incoming: str
) -> None:
    response = make_app().test_client().get("/seen", headers={"X-Request-ID": incoming})
    generated = response.headers["X-Request-ID"]
    assert ID_PATTERN.fullmatch(generated)
    assert response.json == {"request_id": generated}
    assert entries(log_file)[0]["request_id"] == generated


def test_a_request_id_is_made_when_none_comes_and_differs_per_request(
    make_app: Callable[..., Flask], log_file: Path
) -> None:
    client = make_app().test_client()
    ids = [client.get("/seen").headers["X-Request-ID"] for _ in range(3)]
    assert all(ID_PATTERN.fullmatch(i) for i in ids) and len(set(ids)) == 3
    assert [e["request_id"] for e in entries(log_file)] == ids


def test_an_untrusted_incoming_id_is_never_kept(make_app: Callable[..., Flask]) -> None:
    client = make_app({"REQLOG_TRUST_REQUEST_ID": False}).test_client()
    response = client.get("/seen", headers={"X-Request-ID": "from-client"})
    assert ID_PATTERN.fullmatch(response.headers["X-Request-ID"])


def test_the_request_id_header_name_is_a_setting(make_app: Callable[..., Flask]) -> None:
    client = make_app({"REQLOG_REQUEST_ID_HEADER": "X-Correlation-ID"}).test_client()
    response = client.get("/seen", headers={"X-Correlation-ID": "corr-1"})
    assert response.headers["X-Correlation-ID"] == "corr-1"
    assert "X-Request-ID" not in response.headers


def test_log_records_of_the_app_carry_the_request_id(
    make_app: Callable[..., Flask], caplog: pytest.LogCaptureFixture
) -> None:
    app = make_app()
    with caplog.at_level(logging.WARNING, logger=app.logger.name):
        app.test_client().get("/seen", headers={"X-Request-ID": "rec-1"})
    [record] = [r for r in caplog.records if r.getMessage() == "inside the view"]
    assert record.request_id == "rec-1"  # type: ignore[attr-defined]


def test_request_id_is_none_without_reqlog() -> None:
    app = build_app([], setup=_routes)
    assert app.test_client().get("/seen").json == {"request_id": None}


# -- redaction and skipping ----------------------------------------------------------


def test_configured_headers_are_logged_with_secrets_redacted(
    make_app: Callable[..., Flask], log_file: Path
) -> None:
    client = make_app({"REQLOG_HEADERS": ["Authorization", "Accept", "X-Missing"]}).test_client()
    client.get("/items/1", headers={"Authorization": "Bearer abc.def", "Accept": "text/html"})
    [entry] = entries(log_file)
    assert entry["headers"] == {"Authorization": "***", "Accept": "text/html", "X-Missing": None}
    assert "abc.def" not in log_file.read_text()


def test_redaction_lists_are_settings_and_match_any_case(
    make_app: Callable[..., Flask], log_file: Path
) -> None:
    config = {
        "REQLOG_HEADERS": ["X-Tenant", "Authorization"],
        "REQLOG_REDACT_HEADERS": ["x-tenant"],
        "REQLOG_REDACT_QUERY": ["Pin"],
    }
    make_app(config).test_client().get(
        "/items/1?PIN=1234&p%69n=5678&token=visible&pin",
        headers={"X-Tenant": "acme", "Authorization": "Basic eA=="},
    )
    [entry] = entries(log_file)
    assert entry["query"] == "PIN=***&p%69n=***&token=visible&pin=***"
    assert entry["headers"] == {"X-Tenant": "***", "Authorization": "Basic eA=="}


def test_skipped_paths_are_not_logged_but_keep_their_request_id(
    make_app: Callable[..., Flask], log_file: Path
) -> None:
    client = make_app({"REQLOG_SKIP_PATHS": ["/healthz", "/static/*"]}).test_client()
    for path in ("/healthz", "/static/app.css"):
        response = client.get(path, headers={"X-Request-ID": "probe-1"})
        assert response.status_code == 200
        assert response.headers["X-Request-ID"] == "probe-1"
    assert ID_PATTERN.fullmatch(client.get("/healthz").headers["X-Request-ID"])
    client.get("/healthz/deep")  # exact means exact
    assert [e["path"] for e in entries(log_file)] == ["/healthz/deep"]


# -- errors, bodies ------------------------------------------------------------------


def test_an_unhandled_exception_is_logged_once_with_500(
    make_app: Callable[..., Flask], log_file: Path
) -> None:
    client = make_app().test_client()  # TESTING: the exception propagates
    with pytest.raises(ZeroDivisionError):
        client.get("/boom", headers={"X-Request-ID": "err-1"})
    [entry] = entries(log_file)
    assert (entry["status"], entry["error"], entry["route"]) == (500, "ZeroDivisionError", "/boom")
    assert entry["request_id"] == "err-1"


def test_an_exception_flask_answers_is_logged_once_with_its_type(
    make_app: Callable[..., Flask], log_file: Path, caplog: pytest.LogCaptureFixture
) -> None:
    client = make_app({"PROPAGATE_EXCEPTIONS": False}).test_client()
    with caplog.at_level(logging.CRITICAL):  # Flask logs the traceback itself
        response = client.get("/boom")
    assert response.status_code == 500
    [entry] = entries(log_file)
    assert (entry["status"], entry["error"], entry["route"]) == (500, "ZeroDivisionError", "/boom")
    assert entry["bytes"] == len(response.data)


def test_a_failing_teardown_is_logged_once_as_500(log_file: Path) -> None:
    def setup(app: Flask) -> None:
        _routes(app)

        @app.teardown_request
        def fail(exc: BaseException | None) -> None:
            raise RuntimeError("teardown failed")

    config = {"PLUGBOARD_PLUGINS": ["reqlog"], "REQLOG_FILE": str(log_file)}
    app = build_app([], {**config, "REQLOG_FLUSH_INTERVAL": 0}, setup=setup)
    with pytest.raises(RuntimeError):
        app.test_client().get("/items/3")
    [entry] = entries(log_file)
    assert (entry["status"], entry["error"], entry["route"]) == (
        500,
        "RuntimeError",
        "/items/<int:item_id>",
    )
    app.extensions["plugboard.reqlog"].close()


def test_a_streamed_body_is_counted_and_logged_when_closed(
    make_app: Callable[..., Flask], log_file: Path
) -> None:
    client = make_app().test_client()
    with client.get("/stream") as response:
        assert response.data == b"abcdefg"
        assert lines(log_file) == []  # not finished yet: the server has not closed it
    [entry] = entries(log_file)
    assert (entry["status"], entry["bytes"], entry["route"]) == (200, 7, "/stream")


def test_head_requests_send_no_body_bytes(make_app: Callable[..., Flask], log_file: Path) -> None:
    make_app().test_client().head("/items/1")
    [entry] = entries(log_file)
    assert (entry["method"], entry["bytes"]) == ("HEAD", 0)


# -- user and address ----------------------------------------------------------------


class Auth(Plugin):
    """Says who makes each request, from a header (as an auth plugin would from a session)."""

    name = "fake_auth"

    @hookimpl
    def plugboard_current_user(self, request: Request) -> str | None:
        return request.headers.get("X-User")


def test_the_user_comes_from_the_current_user_hook(
    make_app: Callable[..., Flask], log_file: Path
) -> None:
    client = make_app(plugins=[Auth]).test_client()
    client.get("/items/1", headers={"X-User": "ada"})
    client.get("/items/1")
    assert [e["user"] for e in entries(log_file)] == ["ada", None]


def test_the_user_is_apache_percent_u_in_combined(
    make_app: Callable[..., Flask], log_file: Path
) -> None:
    client = make_app({"REQLOG_FORMAT": "combined"}, plugins=[Auth]).test_client()
    client.get("/items/1", headers={"X-User": 'ada "the" admin'})
    [line] = lines(log_file)
    assert line.startswith('127.0.0.1 - ada \\"the\\" admin [')


class LateAuth(Auth):
    """The same, loaded after reqlog."""

    name = "late_auth"
    optional = ("reqlog",)


def test_an_auth_plugin_loaded_after_reqlog_is_asked_too(
    make_app: Callable[..., Flask], log_file: Path
) -> None:
    app = make_app(plugins=[LateAuth])
    order = list(get_state(app).records)
    assert order.index("reqlog") < order.index("late_auth")
    app.test_client().get("/items/1", headers={"X-User": "grace"})
    assert entries(log_file)[0]["user"] == "grace"


def test_remote_addr_is_the_client_behind_the_configured_proxies(
    make_app: Callable[..., Flask], log_file: Path
) -> None:
    client = make_app({"PLUGBOARD_PROXIES": 1}).test_client()
    forwarded = {"X-Forwarded-For": "198.51.100.7, 192.0.2.1"}
    client.get("/items/1", headers=forwarded, environ_base={"REMOTE_ADDR": "10.0.0.2"})
    assert entries(log_file)[0]["remote_addr"] == "192.0.2.1"  # one hop trusted


def test_without_proxies_forwarded_headers_are_ignored(
    make_app: Callable[..., Flask], log_file: Path
) -> None:
    client = make_app().test_client()
    client.get(
        "/items/1", headers={"X-Forwarded-For": "6.6.6.6"}, environ_base={"REMOTE_ADDR": "10.0.0.2"}
    )
    assert entries(log_file)[0]["remote_addr"] == "10.0.0.2"


# -- outputs -------------------------------------------------------------------------


def test_the_file_rotates_keeping_the_configured_backups(
    make_app: Callable[..., Flask], log_file: Path
) -> None:
    client = make_app({"REQLOG_MAX_BYTES": 1000, "REQLOG_BACKUP_COUNT": 2}).test_client()
    for _ in range(20):
        client.get("/items/1")
    files = sorted(p.name for p in log_file.parent.iterdir())
    assert files == ["requests.log", "requests.log.1", "requests.log.2"]
    for path in log_file.parent.iterdir():
        assert 0 < path.stat().st_size <= 1000
        assert all(json.loads(line)["status"] == 200 for line in lines(path))


def test_pid_in_the_file_name_gives_one_file_per_process(
    make_app: Callable[..., Flask], tmp_path: Path
) -> None:
    make_app({"REQLOG_FILE": str(tmp_path / "req-{pid}.log")}).test_client().get("/items/1")
    assert len(lines(tmp_path / f"req-{os.getpid()}.log")) == 1


def test_lines_go_to_stderr_by_default(capsys: pytest.CaptureFixture[str]) -> None:
    app = build_app([], {"PLUGBOARD_PLUGINS": ["reqlog"]}, setup=_routes)
    app.test_client().get("/items/1", headers={"X-Request-ID": "err-out"})
    [line] = capsys.readouterr().err.splitlines()
    assert json.loads(line)["request_id"] == "err-out"


def test_lines_can_go_to_a_logger_with_their_fields(
    make_app: Callable[..., Flask], caplog: pytest.LogCaptureFixture
) -> None:
    app = make_app({"REQLOG_FILE": None, "REQLOG_LOGGER": "myapp.access"})
    with caplog.at_level(logging.INFO, logger="myapp.access"):
        app.test_client().get("/items/5?token=x", headers={"X-Request-ID": "log-1"})
    [record] = [r for r in caplog.records if r.name == "myapp.access"]
    assert json.loads(record.getMessage())["request_id"] == "log-1"
    assert record.request_id == "log-1"  # type: ignore[attr-defined]
    fields = record.reqlog  # type: ignore[attr-defined]
    assert fields["route"] == "/items/<int:item_id>"
    assert (fields["query"], fields["status"]) == ("token=***", 200)


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"REQLOG_REQUEST_ID_HEADER": "X Request"}, "REQLOG_REQUEST_ID_HEADER = 'X Request'"),
        ({"REQLOG_SKIP_PATHS": ["healthz"]}, "REQLOG_SKIP_PATHS entry 'healthz' is not a path"),
        ({"REQLOG_LOGGER": "access"}, "REQLOG_LOGGER = 'access' are both set"),
        ({"REQLOG_MAX_BYTES": -1}, "REQLOG_MAX_BYTES = -1 is not valid"),
        ({"REQLOG_HEADERS": "Accept"}, "REQLOG_HEADERS = 'Accept' is not valid"),
        ({"REQLOG_FILE": "/nonexistent-dir/x.log"}, "directory /nonexistent-dir does not exist"),
        ({"REQLOG_FILE": "/"}, "REQLOG_FILE = '/' is a directory: name a file in it"),
        ({"REQLOG_HEADERS": ["X Tenant"]}, "header name 'X Tenant' in REQLOG_HEADERS"),
    ],
)
def test_bad_settings_fail_at_start_up_naming_the_key(
    make_app: Callable[..., Flask], config: dict[str, Any], message: str
) -> None:
    with pytest.raises(PluginFailure) as info:
        make_app(config)
    assert info.value.plugin == "reqlog"
    assert message in str(info.value)


# -- as a plain Flask extension ------------------------------------------------------


def test_one_request_log_serves_two_apps_with_their_own_settings(tmp_path: Path) -> None:
    plugin = RequestLog()
    first, second = Flask("first"), Flask("second")
    for app in (first, second):
        _routes(app)
    first.config.update(REQLOG_FILE=str(tmp_path / "first.log"))
    second.config.update(REQLOG_FILE=str(tmp_path / "second.log"), REQLOG_FORMAT="combined")
    second.config.update(REQLOG_FLUSH_INTERVAL=0)
    plugin.init_app(first)
    plugin.init_app(second)
    assert "plugboard" not in first.extensions

    first.test_client().get("/items/1")
    second.test_client().get("/items/2")
    second.test_client().get("/items/3")
    first.extensions["plugboard.reqlog"].flush()  # buffered (the default)
    assert [e["path"] for e in entries(tmp_path / "first.log")] == ["/items/1"]
    assert [line.split('"')[1] for line in lines(tmp_path / "second.log")] == [
        "GET /items/2 HTTP/1.1",
        "GET /items/3 HTTP/1.1",
    ]
    for app in (first, second):
        app.extensions["plugboard.reqlog"].close()


# -- under a real server -------------------------------------------------------------

SERVED_APP = """
import os
from flask import Flask, Response
from flask_plugboard import Plugboard

app = Flask(__name__)
app.config["PLUGBOARD_PLUGINS"] = ["reqlog"]

@app.get("/")
def index():
    return {"pid": os.getpid()}

@app.get("/stream")
def stream():
    return Response(iter([b"ab", b"cd"]), headers={"X-Pid": str(os.getpid())})

Plugboard(app)
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _get(port: int, path: str) -> tuple[http.client.HTTPResponse, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        conn.request("GET", path, headers={"X-Request-ID": f"g-{path.strip('/') or 'root'}"})
        response = conn.getresponse()
        return response, response.read()
    finally:
        conn.close()


def test_gunicorn_workers_each_write_their_own_pid_file(tmp_path: Path) -> None:
    (tmp_path / "served.py").write_text(SERVED_APP)
    port = _free_port()
    env = {**os.environ, "FLASK_REQLOG_FILE": str(tmp_path / "req-{pid}.log")}
    argv = [sys.executable, "-m", "gunicorn", "--preload", "-w", "2"]
    argv += ["-b", f"127.0.0.1:{port}", "served:app"]
    proc = subprocess.Popen(
        argv, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    answered: dict[int, int] = {}
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                _get(port, "/")
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        for _ in range(12):
            response, body = _get(port, "/")
            assert response.headers["X-Request-ID"] == "g-root"
            pid = json.loads(body)["pid"]
            answered[pid] = answered.get(pid, 0) + 1
        response, body = _get(port, "/stream")
        assert body == b"abcd"
        stream_pid = int(response.headers["X-Pid"])
    finally:
        proc.terminate()
        output, _ = proc.communicate(timeout=10)
        print(output)  # shown when the test fails
    assert proc.pid not in answered
    files = {int(p.name[4:-4]): entries(p) for p in tmp_path.glob("req-*.log")}
    assert proc.pid not in files  # the master, which loaded the app, wrote nothing
    for pid, count in answered.items():
        # Each worker's file holds its own requests (the first, readiness, one included).
        roots = [e for e in files[pid] if e["path"] == "/"]
        assert len(roots) in (count, count + 1)
        assert all(e["request_id"] == "g-root" and e["status"] == 200 for e in roots)
    [streamed] = [e for e in files[stream_pid] if e["path"] == "/stream"]
    assert (streamed["status"], streamed["bytes"], streamed["route"]) == (200, 4, "/stream")


# -- buffered writes (REQLOG_FLUSH_INTERVAL) -----------------------------------------


def _buffered_app(log_file: Path, **config: Any) -> Flask:
    base = {"PLUGBOARD_PLUGINS": ["reqlog"], "REQLOG_FILE": str(log_file)}
    return build_app([], {**base, **config}, setup=_routes)


def _wait_for(check: Callable[[], bool], seconds: float = 10) -> bool:
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def test_buffered_lines_wait_in_memory_until_the_file_is_closed(log_file: Path) -> None:
    app = _buffered_app(log_file, REQLOG_FLUSH_INTERVAL=60)
    client = app.test_client()
    for i in range(3):
        client.get(f"/items/{i}")
    assert lines(log_file) == []  # an hour-long interval: nothing written yet
    app.extensions["plugboard.reqlog"].close()
    assert [e["path"] for e in entries(log_file)] == ["/items/0", "/items/1", "/items/2"]
    client.get("/items/3")  # the next line opens the file and starts a flusher again
    app.extensions["plugboard.reqlog"].close()
    assert len(lines(log_file)) == 4


def test_the_flusher_writes_within_the_interval(log_file: Path) -> None:
    app = _buffered_app(log_file, REQLOG_FLUSH_INTERVAL=0.05)
    try:
        app.test_client().get("/items/1", headers={"X-Request-ID": "soon"})
        assert _wait_for(lambda: len(lines(log_file)) == 1)
        assert entries(log_file)[0]["request_id"] == "soon"
    finally:
        app.extensions["plugboard.reqlog"].close()


def test_64_kib_of_waiting_lines_are_written_without_waiting(log_file: Path) -> None:
    app = _buffered_app(log_file, REQLOG_FLUSH_INTERVAL=3600)
    agent = "a" * 8000
    client = app.test_client()
    try:
        for _ in range(9):  # 9 lines of 8 KB: past 64 KiB
            client.get("/items/1", headers={"User-Agent": agent})
        written = lines(log_file)
        assert 8 <= len(written) <= 9
        assert all(json.loads(line)["user_agent"] == agent for line in written)
    finally:
        app.extensions["plugboard.reqlog"].close()
    assert len(lines(log_file)) == 9


def test_buffered_lines_still_rotate_at_max_bytes(log_file: Path) -> None:
    config = {"REQLOG_MAX_BYTES": 1000, "REQLOG_BACKUP_COUNT": 2, "REQLOG_FLUSH_INTERVAL": 60}
    app = _buffered_app(log_file, **config)
    client = app.test_client()
    for i in range(20):
        client.get(f"/items/{i}")
    app.extensions["plugboard.reqlog"].close()  # one batch of 20 lines, split to fit
    files = sorted(p.name for p in log_file.parent.iterdir())
    assert files == ["requests.log", "requests.log.1", "requests.log.2"]
    for path in log_file.parent.iterdir():
        assert 0 < path.stat().st_size <= 1000
    assert entries(log_file)[-1]["path"] == "/items/19"  # the newest in the current file


EXITING_APP = """
import sys
from flask import Flask
from flask_plugboard.plugins.reqlog import RequestLog

app = Flask(__name__)
app.config.update(REQLOG_FILE=sys.argv[1], REQLOG_FLUSH_INTERVAL=3600)
app.get("/")(lambda: "hi")
RequestLog(app)
for i in range(3):
    app.test_client().get("/", headers={"X-Request-ID": f"exit-{i}"})
"""


def test_waiting_lines_are_written_when_the_process_exits(log_file: Path) -> None:
    subprocess.run(  # noqa: S603 - this interpreter, a script of this test
        [sys.executable, "-c", EXITING_APP, str(log_file)], check=True, timeout=30
    )
    assert [e["request_id"] for e in entries(log_file)] == ["exit-0", "exit-1", "exit-2"]


def test_a_forked_child_writes_its_own_lines_and_makes_its_own_ids(tmp_path: Path) -> None:
    template = str(tmp_path / "req-{pid}.log")
    app = _buffered_app(tmp_path / "unused.log", REQLOG_FILE=template, REQLOG_FLUSH_INTERVAL=60)
    client = app.test_client()
    client.get("/items/1")  # made an id: more wait in this process's pool
    with warnings.catch_warnings():  # Python 3.12 warns when forking with threads
        warnings.simplefilter("ignore", DeprecationWarning)
        pid = os.fork()
    if pid == 0:  # the child: one request, then exit through the normal shutdown
        code = 0
        try:
            client.get("/items/2", headers={"X-Request-ID": "child"})
            client.get("/items/3")  # a new id
            app.extensions["plugboard.reqlog"].close()
        except BaseException:
            code = 1
        os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    client.get("/items/3")  # a new id, which must not be the child's
    app.extensions["plugboard.reqlog"].close()
    parent = [e["request_id"] for e in entries(tmp_path / f"req-{os.getpid()}.log")]
    child = [e["request_id"] for e in entries(tmp_path / f"req-{pid}.log")]
    assert len(parent) == len(child) == 2 and child[0] == "child"
    assert ID_PATTERN.fullmatch(parent[1]) and ID_PATTERN.fullmatch(child[1])
    assert len({parent[0], parent[1], child[1]}) == 3


def test_a_negative_flush_interval_fails_at_start_up(make_app: Callable[..., Flask]) -> None:
    with pytest.raises(PluginFailure) as info:
        make_app({"REQLOG_FLUSH_INTERVAL": -1})
    assert "REQLOG_FLUSH_INTERVAL = -1" in str(info.value)
