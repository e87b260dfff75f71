"""The demo app (examples/demo.py): it starts the way the README says and its pages work."""

from __future__ import annotations

import http.client
import importlib.util
import logging
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from flask import Flask
from flask.cli import ScriptInfo
from flask.testing import FlaskClient

from auth_support import FAST_ARGON2, PASSWORD, log_in
from flask_plugboard import __version__, get_state
from flask_plugboard._discovery import BUNDLED
from flask_plugboard.plugins.auth import check_credentials, register_user

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "examples" / "demo.py"


@pytest.fixture(scope="module")
def demo() -> ModuleType:
    """examples/demo.py as a module (it is a script folder, not a package)."""
    spec = importlib.util.spec_from_file_location("plugboard_demo", DEMO)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def make_demo(demo: ModuleType, tmp_path: Path) -> Callable[..., Flask]:
    """The demo with its instance folder (database, secret key) in ``tmp_path``."""

    def make(**config: Any) -> Flask:
        app: Flask = demo.create_app(
            {"TESTING": True, **FAST_ARGON2, **config}, instance_path=str(tmp_path / "instance")
        )
        return app

    return make


def log_in_as_admin(app: Flask) -> FlaskClient:
    """A client logged in as an administrator (the demo's own has a random password)."""
    with app.app_context():
        register_user("root", PASSWORD, roles=["admin"])
    client = app.test_client()
    assert log_in(client, "root").status_code == 303
    return client


def test_flask_finds_create_app_from_the_file_path(
    monkeypatch: pytest.MonkeyPatch, demo_copy: Path
) -> None:
    # What `flask --app examples/demo.py ...` does; it puts examples/ on sys.path.
    monkeypatch.setattr(sys, "path", list(sys.path))
    monkeypatch.delenv("FLASK_DEBUG", raising=False)
    try:
        app = ScriptInfo(app_import_path=str(demo_copy)).load_app()
    finally:
        sys.modules.pop("demo", None)
    assert app.name == "demo"
    assert app.debug is False
    assert app.test_client().get("/").status_code == 200
    # Its database and development key are kept beside it, in instance/.
    assert (demo_copy.parent / "instance" / "secret_key").exists()
    assert (demo_copy.parent / "instance" / "plugboard.sqlite").exists()


def test_every_plugin_the_demo_names_is_bundled_and_loads(
    demo: ModuleType, make_demo: Callable[..., Flask]
) -> None:
    assert set(demo.PLUGINS) <= set(BUNDLED)
    state = get_state(make_demo())
    assert {r.name for r in state.loaded()} == set(demo.PLUGINS)
    assert {r.status for r in state.records.values()} == {"loaded"}


def test_index_lists_the_plugins_and_links_to_the_admin_page(
    make_demo: Callable[..., Flask],
) -> None:
    response = make_demo().test_client().get("/")
    assert response.status_code == 200
    page = response.text
    assert 'href="/admin/plugins"' in page
    assert 'href="/api/status"' in page and 'href="/slow"' in page
    assert "<strong>timer</strong>" in page
    assert "X-Request-Time" in response.headers


def test_the_admin_pages_list_every_bundled_plugin(
    demo: ModuleType, make_demo: Callable[..., Flask]
) -> None:
    client = log_in_as_admin(make_demo())
    assert "timer" in client.get("/admin/plugins").text
    listing = client.get("/admin/plugins.json").get_json()
    assert [p["name"] for p in listing["plugins"]] == demo.PLUGINS
    assert all(p["status"] == "loaded" for p in listing["plugins"])
    assert client.get("/admin/stats/dashboard").status_code == 200


def test_the_admin_pages_are_for_administrators_only(make_demo: Callable[..., Flask]) -> None:
    app = make_demo()
    anonymous = app.test_client()
    response = anonymous.get("/admin/plugins")
    assert response.status_code == 302
    assert response.location.startswith("/auth/login?next=/admin/plugins")
    assert anonymous.get("/admin/stats", headers={"Accept": "application/json"}).status_code == 403
    with app.app_context():
        register_user("guest", PASSWORD)
    user = app.test_client()
    log_in(user, "guest")
    assert user.get("/admin/plugins").status_code == 403
    assert user.get("/admin/stats/dashboard").status_code == 403


def test_the_first_start_creates_the_admin_with_a_password_shown_once(
    make_demo: Callable[..., Flask], caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="plugboard_demo"):
        app = make_demo()
        make_demo()  # a restart: the administrator exists, nothing is shown
    [message] = [m for m in caplog.messages if "demo administrator" in m]
    password = message.split("the password ")[1].split(" ")[0]
    with app.app_context():
        admin = check_credentials("admin", password)
        assert admin is not None and admin.role_names == {"admin"}


def test_me_needs_a_login_by_session_or_token(make_demo: Callable[..., Flask]) -> None:
    app = make_demo()
    client = app.test_client()
    assert client.get("/api/me", headers={"Accept": "application/json"}).status_code == 401
    with app.app_context():
        register_user("guest", PASSWORD)
    log_in(client, "guest")
    assert client.get("/api/me").get_json() == {"username": "guest", "roles": []}
    tokens = app.test_client().post(
        "/auth/api/login", json={"username": "guest", "password": PASSWORD}
    )
    bearer = {"Authorization": f"Bearer {tokens.get_json()['access_token']}"}
    assert app.test_client().get("/api/me", headers=bearer).get_json()["username"] == "guest"


def test_the_json_route_lists_plugins_and_adds_a_server_timing_entry(
    make_demo: Callable[..., Flask],
) -> None:
    response = make_demo().test_client().get("/api/status")
    assert response.status_code == 200
    assert {"name": "timer", "version": __version__, "status": "loaded"} in (
        response.get_json()["plugins"]
    )
    assert response.headers["X-Request-ID"]
    timing = response.headers["Server-Timing"]
    assert timing.startswith("listing;dur=") and ", total;dur=" in timing


def test_the_slow_route_logs_a_slow_request_warning(
    demo: ModuleType,
    make_demo: Callable[..., Flask],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setattr(demo, "SLOW_SECONDS", 0.02)  # the threshold follows: 0.01 s
    client = make_demo().test_client()
    with caplog.at_level(logging.WARNING, logger="flask_plugboard.plugins.timer"):
        assert client.get("/slow").get_json() == {"slept": 0.02}
        client.get("/api/status")
    [message] = [m for m in caplog.messages if m.startswith("slow request")]
    assert message.startswith("slow request: GET /slow -> 200 OK in ")


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [("POST", "/", 405), ("DELETE", "/api/status", 405), ("GET", "/nope", 404),
     ("PUT", "/slow", 405)],
)  # fmt: skip
def test_wrong_methods_and_paths_get_a_clear_4xx(
    make_demo: Callable[..., Flask], method: str, path: str, status: int
) -> None:
    response = make_demo().test_client().open(path, method=method)
    assert response.status_code == status
    assert "X-Request-Time" in response.headers


def test_debug_is_off(make_demo: Callable[..., Flask]) -> None:
    assert make_demo().debug is False


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _get(port: int, path: str) -> http.client.HTTPResponse:
    """GET ``path`` from 127.0.0.1:``port``; the body is read before returning."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        response.read()
        return response
    finally:
        conn.close()


@pytest.fixture
def demo_copy(tmp_path: Path) -> Path:
    """examples/demo.py copied to a folder of the test's own, so its instance folder
    (database, secret key) is the test's, not the checkout's."""
    folder = tmp_path / "examples"
    folder.mkdir()
    shutil.copy(DEMO, folder / "demo.py")
    return folder / "demo.py"


@pytest.fixture
def served_demo(demo_copy: Path) -> Iterator[int]:
    """The demo started as the README says, on a free port of 127.0.0.1; yields the port."""
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("FLASK_APP", "FLASK_DEBUG")}
    argv = [sys.executable, "-m", "flask", "--app", "examples/demo.py", "run", "--port", str(port)]
    proc = subprocess.Popen(
        argv,
        cwd=demo_copy.parents[1],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                _get(port, "/api/status")
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        yield port
    finally:
        proc.terminate()
        output, _ = proc.communicate(timeout=10)
        print(output)  # shown when the test fails


def test_flask_run_serves_the_demo_on_localhost(served_demo: int) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", served_demo, timeout=5)
    try:
        conn.request("GET", "/")
        response = conn.getresponse()
        assert response.status == 200
        assert "Plugboard demo" in response.read().decode()
        assert float(response.headers["X-Request-Time"]) > 0
    finally:
        conn.close()
    assert _get(served_demo, "/auth/login").status == 200
    # Admin pages: for administrators; a browser nobody is logged in on goes to log in.
    assert _get(served_demo, "/admin/plugins").status == 302


def test_the_json_route_is_cors_enabled_and_rate_limited(make_demo: Callable[..., Flask]) -> None:
    client = make_demo().test_client()
    origin = {"Origin": "http://localhost:3000"}
    response = client.get("/api/status", headers=origin)
    assert response.headers["Access-Control-Allow-Origin"] == "http://localhost:3000"
    codes = [client.get("/api/status").status_code for _ in range(60)]
    assert codes.count(429) == 1 and codes[-1] == 429
