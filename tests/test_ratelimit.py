"""The bundled ratelimit plugin on memory storage: limits, keys, responses and settings."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

import pytest
from flask import Blueprint, Flask, Request
from werkzeug.test import TestResponse

from flask_plugboard import Plugin, PluginFailure, SettingsError, get_state, hookimpl
from flask_plugboard.plugins.ratelimit import (
    LimitInfo,
    RateLimit,
    exempt,
    limit,
    limit_blueprint,
    limits_for,
    worker_count,
)
from flask_plugboard.plugins.ratelimit._rules import is_login, split_limits
from flask_plugboard.testing import build_app

LOGGER = "flask_plugboard.plugins.ratelimit"
STRATEGIES = ["fixed-window", "moving-window", "sliding-window-counter"]


def limited_app(
    config: dict[str, Any] | None = None,
    routes: Callable[[Flask], None] | None = None,
    plugins: list[Any] | None = None,
) -> Flask:
    """An app with the host, the ratelimit plugin and an index route (plus ``routes``)."""

    def setup(app: Flask) -> None:
        app.add_url_rule("/", "index", lambda: "hello")
        app.add_url_rule("/other", "other", lambda: "other")
        if routes is not None:
            routes(app)

    config = {"PLUGBOARD_PLUGINS": ["ratelimit"], **(config or {})}
    return build_app(plugins or [], config, setup=setup)


def statuses(app: Flask, path: str, times: int, **kwargs: Any) -> list[int]:
    client = app.test_client()
    return [client.get(path, **kwargs).status_code for _ in range(times)]


def rejected(app: Flask, path: str, times: int, **kwargs: Any) -> TestResponse:
    """Send ``times`` requests that must pass, then return the next (refused) response."""
    client = app.test_client()
    for _ in range(times):
        assert client.get(path, **kwargs).status_code == 200
    response = client.get(path, **kwargs)
    assert response.status_code == 429
    return response


# -- limits at each level ------------------------------------------------------------------


def test_default_limit_is_counted_per_route_and_answers_429_with_json_and_headers() -> None:
    app = limited_app({"RATELIMIT_DEFAULT": "2/minute"})
    response = rejected(app, "/", 2)
    assert response.json == {
        "error": "rate limit exceeded",
        "limit": "2 per 1 minute",
        "scope": "index",
        "retry_after": int(response.headers["Retry-After"]),
    }
    assert 1 <= int(response.headers["Retry-After"]) <= 60
    assert response.headers["RateLimit-Policy"] == '"index/60";q=2;w=60'
    assert response.headers["RateLimit"] == f'"index/60";r=0;t={response.headers["Retry-After"]}'
    assert "X-RateLimit-Limit" not in response.headers
    # Counted per route: the other route has its own two requests.
    assert statuses(app, "/other", 3) == [200, 200, 429]


def test_several_limits_in_one_string_each_count_and_the_429_names_the_one_hit() -> None:
    app = limited_app({"RATELIMIT_DEFAULT": "5/minute; 2/hour"})
    response = rejected(app, "/", 2)
    assert response.json is not None
    assert response.json["limit"] == "2 per 1 hour"
    assert response.headers["RateLimit-Policy"] == '"index/60";q=5;w=60, "index/3600";q=2;w=3600'


def test_decorator_limits_replace_the_default_and_stack() -> None:
    def routes(app: Flask) -> None:
        @app.get("/search")
        @limit("3/minute")
        @limit("1/hour", key=lambda request: "everyone")
        def search() -> str:
            return "found"

    app = limited_app({"RATELIMIT_DEFAULT": "1/minute"}, routes)
    infos = limits_for("search", app)
    assert [(i.limit, i.scope) for i in infos] == [
        ("1 per 1 hour", "search"),
        ("3 per 1 minute", "search"),
    ]
    response = rejected(app, "/search", 1)
    assert response.json is not None and response.json["limit"] == "1 per 1 hour"


def test_route_limits_from_config_and_unknown_endpoints_are_reported(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, LOGGER)
    app = limited_app({"RATELIMIT_ROUTES": {"other": "1/minute", "nope": "1/minute"}})
    assert statuses(app, "/other", 2) == [200, 429]
    assert statuses(app, "/", 3) == [200, 200, 200]  # no default: unlimited
    assert "'nope'" in caplog.text


def test_shared_limits_count_across_routes() -> None:
    def routes(app: Flask) -> None:
        app.add_url_rule("/a", "a", limit(shared="writes")(lambda: "a"))
        app.add_url_rule("/b", "b", limit("2/minute", shared="burst")(lambda: "b"))
        app.add_url_rule("/c", "c", limit("2/minute", shared="burst")(lambda: "c"))

    config = {
        "RATELIMIT_SHARED": {"writes": "3/minute"},
        "RATELIMIT_ROUTES": {"other": "@writes"},
    }
    app = limited_app(config, routes)
    client = app.test_client()
    assert [client.get(p).status_code for p in ["/a", "/other", "/a", "/other"]] == [
        200,
        200,
        200,
        429,
    ]
    assert [client.get(p).status_code for p in ["/b", "/c", "/b", "/c"]] == [200, 200, 429, 429]
    assert limits_for("other", app)[0].scope == "shared:writes"


def test_blueprint_limits_count_across_its_routes_unless_a_route_has_its_own() -> None:
    api = Blueprint("api", __name__)
    api.add_url_rule("/x", "x", lambda: "x")
    api.add_url_rule("/y", "y", lambda: "y")
    api.add_url_rule("/z", "z", limit("5/minute")(lambda: "z"))
    limit_blueprint(api, "2/minute")
    admin = Blueprint("admin", __name__)
    admin.add_url_rule("/stats", "stats", lambda: "stats")

    def routes(app: Flask) -> None:
        app.register_blueprint(api, url_prefix="/api")
        app.register_blueprint(admin, url_prefix="/admin")

    app = limited_app({"RATELIMIT_BLUEPRINTS": {"admin": "1/minute"}}, routes)
    client = app.test_client()
    assert [client.get(p).status_code for p in ["/api/x", "/api/y", "/api/x"]] == [200, 200, 429]
    assert statuses(app, "/api/z", 3) == [200, 200, 200]
    assert statuses(app, "/admin/stats", 2) == [200, 429]
    assert limits_for("api.x", app)[0].scope == "bp:api"


def test_exempt_routes_and_blueprints_and_static_files_are_never_counted() -> None:
    open_bp = Blueprint("public", __name__)
    open_bp.add_url_rule("/p", "p", lambda: "p")
    hidden = exempt(Blueprint("hidden", __name__))
    hidden.add_url_rule("/h", "h", lambda: "h")

    def routes(app: Flask) -> None:
        app.add_url_rule("/free", "free", exempt(lambda: "free"))
        app.register_blueprint(open_bp, url_prefix="/public")
        app.register_blueprint(hidden, url_prefix="/hidden")

    config = {"RATELIMIT_DEFAULT": "1/minute", "RATELIMIT_EXEMPT": ["other", "public"]}
    app = limited_app(config, routes)
    for path in ["/free", "/other", "/public/p", "/hidden/h"]:
        assert statuses(app, path, 3) == [200, 200, 200], path
    assert limits_for("static", app) == []
    assert statuses(app, "/", 2) == [200, 429]


def test_unmatched_urls_are_counted_under_the_default() -> None:
    app = limited_app({"RATELIMIT_DEFAULT": "2/minute"})
    assert statuses(app, "/no-such-page", 3) == [404, 404, 429]


# -- strategies ------------------------------------------------------------------------------


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_every_strategy_allows_the_limit_then_refuses(strategy: str) -> None:
    app = limited_app({"RATELIMIT_DEFAULT": "3/minute", "RATELIMIT_STRATEGY": strategy})
    assert statuses(app, "/", 5) == [200, 200, 200, 429, 429]
    response = app.test_client().get("/")
    assert 1 <= int(response.headers["Retry-After"]) <= 60
    assert limits_for("index", app)[0].strategy == strategy


@pytest.mark.parametrize("strategy", ["fixed-window", "moving-window"])
def test_memory_storage_forgets_counts_once_their_window_is_over(strategy: str) -> None:
    app = limited_app({"RATELIMIT_DEFAULT": "5/second", "RATELIMIT_STRATEGY": strategy})
    client = app.test_client()
    for n in range(3):
        client.get("/", environ_base={"REMOTE_ADDR": f"192.0.2.{n}"})
    storage = app.extensions["plugboard.ratelimit"].storage

    def held() -> int:
        return len(storage.storage) + sum(map(len, storage.events.values()))

    assert held() == 3
    deadline = time.monotonic() + 5
    while held() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert held() == 0


def test_a_route_can_pick_its_own_strategy() -> None:
    def routes(app: Flask) -> None:
        app.add_url_rule("/m", "m", limit("2/minute", strategy="moving-window")(lambda: "m"))

    app = limited_app({}, routes)
    assert limits_for("m", app)[0].strategy == "moving-window"
    assert statuses(app, "/m", 3) == [200, 200, 429]


# -- keys ------------------------------------------------------------------------------------


def test_clients_are_counted_apart_by_address() -> None:
    app = limited_app({"RATELIMIT_DEFAULT": "1/minute"})
    first = {"environ_base": {"REMOTE_ADDR": "192.0.2.1"}}
    second = {"environ_base": {"REMOTE_ADDR": "192.0.2.2"}}
    assert statuses(app, "/", 2, **first) == [200, 429]
    assert statuses(app, "/", 1, **second) == [200]


def test_the_address_is_proxy_aware_when_the_host_trusts_proxies() -> None:
    app = limited_app({"RATELIMIT_DEFAULT": "1/minute", "PLUGBOARD_PROXIES": 1})
    client = app.test_client()

    def via(addr: str) -> int:
        return client.get("/", headers={"X-Forwarded-For": addr}).status_code

    assert [via("198.51.100.1"), via("198.51.100.2"), via("198.51.100.1")] == [200, 200, 429]


class HeaderUser(Plugin):
    """Stands in for auth: the user is whoever the X-User header names."""

    name = "headeruser"

    @hookimpl
    def plugboard_current_user(self, request: Request) -> str | None:
        return request.headers.get("X-User")


def test_the_user_key_counts_users_from_the_auth_hook_and_else_addresses() -> None:
    config = {"RATELIMIT_DEFAULT": "1/minute", "RATELIMIT_KEY": "user"}
    app = limited_app(config, plugins=[HeaderUser])
    client = app.test_client()
    alice = {"X-User": "alice"}
    bob = {"X-User": "bob"}
    # Same address for everyone: only the user tells them apart.
    assert [client.get("/", headers=h).status_code for h in [alice, bob, alice]] == [200, 200, 429]
    assert [client.get("/").status_code for _ in range(2)] == [200, 429]


def test_the_user_key_falls_back_to_the_address_without_auth() -> None:
    app = limited_app({"RATELIMIT_DEFAULT": "1/minute", "RATELIMIT_KEY": "user"})
    assert statuses(app, "/", 2, headers={"X-User": "alice"}) == [200, 429]


def test_the_api_key_header_counts_each_key_and_never_stores_it_in_clear() -> None:
    config = {"RATELIMIT_DEFAULT": "1/minute", "RATELIMIT_KEY": "api_key:X-Api-Key"}
    app = limited_app(config)
    client = app.test_client()

    def call(key: str) -> int:
        return client.get("/", headers={"X-Api-Key": key}).status_code

    assert [call("k-one"), call("k-two"), call("k-one")] == [200, 200, 429]
    storage = app.extensions["plugboard.ratelimit"].storage
    assert storage.storage and not any("k-one" in key for key in storage.storage)


def by_tenant(request: Request) -> str | None:
    """A custom key: the tenant in the path; requests without one are not counted."""
    return request.args.get("tenant")


def test_custom_key_functions_by_object_and_import_path_and_none_skips() -> None:
    config = {"RATELIMIT_DEFAULT": "1/minute", "RATELIMIT_KEY": f"{__name__}:by_tenant"}
    app = limited_app(config)
    client = app.test_client()
    paths = ["/?tenant=a", "/?tenant=b", "/?tenant=a", "/", "/"]
    assert [client.get(p).status_code for p in paths] == [200, 200, 429, 200, 200]

    def routes(app: Flask) -> None:
        app.add_url_rule("/t", "t", limit("1/minute", key=by_tenant)(lambda: "t"))

    app = limited_app({}, routes)
    assert statuses(app, "/t?tenant=a", 2) == [200, 429]
    assert limits_for("t", app)[0].key == "by_tenant"


# -- responses -------------------------------------------------------------------------------


def test_headers_on_every_response_when_asked_with_the_older_x_headers() -> None:
    config = {
        "RATELIMIT_DEFAULT": "3/minute",
        "RATELIMIT_HEADERS": "always",
        "RATELIMIT_X_HEADERS": True,
    }
    app = limited_app(config)
    client = app.test_client()
    seen = []
    for _ in range(3):
        response = client.get("/")
        assert response.status_code == 200
        assert response.headers["RateLimit-Policy"] == '"index/60";q=3;w=60'
        seen.append((response.headers["RateLimit"], response.headers["X-RateLimit-Remaining"]))
    assert [r for r, _ in seen][0].startswith('"index/60";r=2;t=')
    assert [x for _, x in seen] == ["2", "1", "0"]
    refused = client.get("/")
    assert refused.status_code == 429
    assert refused.headers["X-RateLimit-Limit"] == "3"
    assert refused.headers.getlist("RateLimit") == [refused.headers["RateLimit"]]


def test_cors_preflights_are_never_counted() -> None:
    app = limited_app({"RATELIMIT_DEFAULT": "1/minute"})
    client = app.test_client()
    preflight = {"Origin": "https://a.example", "Access-Control-Request-Method": "GET"}
    for _ in range(3):
        assert client.options("/", headers=preflight).status_code == 200
    assert statuses(app, "/", 2) == [200, 429]


def test_disabled_counts_nothing() -> None:
    app = limited_app({"RATELIMIT_DEFAULT": "1/minute", "RATELIMIT_ENABLED": False})
    assert statuses(app, "/", 3) == [200, 200, 200]


# -- what other plugins learn ------------------------------------------------------------------


def test_other_plugins_learn_the_limits_of_a_route_through_the_hook() -> None:
    def routes(app: Flask) -> None:
        app.add_url_rule("/login", "login", limit("5/minute")(lambda: "in"))

    app = limited_app({"RATELIMIT_DEFAULT": "100/hour"}, routes)
    expected = LimitInfo(
        limit="5 per 1 minute",
        amount=5,
        window=60,
        scope="login",
        key="remote_addr",
        strategy="fixed-window",
        fail="closed",  # a login: fails closed by default
        policy="login/60",
    )
    assert limits_for("login", app) == [expected]
    result = get_state(app).hook.plugboard_route_limits(app=app, endpoint="login")
    # Without a host hookspec pluggy returns every implementation's answer; with the
    # proposed firstresult spec, ratelimit's own answer.
    infos = result[0] if result and isinstance(result[0], list) else result
    assert infos == [expected]
    assert infos[0].as_dict()["fail"] == "closed"
    assert limits_for("index", app)[0].fail == "open"


def test_one_plugin_instance_serves_two_apps_with_their_own_counts() -> None:
    plugin = RateLimit()
    apps = []
    for _ in range(2):
        app = Flask(__name__)
        app.config["RATELIMIT_DEFAULT"] = "1/minute"
        app.add_url_rule("/", "index", lambda: "hello")
        plugin.init_app(app)
        apps.append(app)
    assert [statuses(app, "/", 2) for app in apps] == [[200, 429], [200, 429]]


# -- settings and start-up ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("config", "named"),
    [
        ({"RATELIMIT_DEFAULT": "lots"}, "RATELIMIT_DEFAULT = 'lots'"),
        ({"RATELIMIT_DEFAULT": "0/minute"}, "at least 1 request"),
        ({"RATELIMIT_ROUTES": {"other": "10/fortnight"}}, "RATELIMIT_ROUTES['other']"),
        ({"RATELIMIT_BLUEPRINTS": {"api": ""}}, "RATELIMIT_BLUEPRINTS['api']"),
        ({"RATELIMIT_SHARED": {"login": 5}}, "RATELIMIT_SHARED"),
        ({"RATELIMIT_STRATEGY": "leaky-bucket"}, "RATELIMIT_STRATEGY = 'leaky-bucket'"),
        ({"RATELIMIT_KEY": "ip address"}, "RATELIMIT_KEY = 'ip address'"),
        ({"RATELIMIT_KEY": "api_key:"}, "api_key:<Header-Name>"),
        ({"RATELIMIT_KEY": "no_such_module:key"}, "cannot be imported"),
        ({"RATELIMIT_FAIL": "maybe"}, "RATELIMIT_FAIL = 'maybe'"),
        ({"RATELIMIT_STORAGE_URL": "nosuch://x"}, "RATELIMIT_STORAGE_URL (scheme 'nosuch')"),
        ({"RATELIMIT_ROUTES": {"other": "@nope"}}, "shared limit 'nope'"),
    ],
)
def test_bad_settings_fail_at_start_up_naming_the_key_and_value(
    config: dict[str, Any], named: str
) -> None:
    with pytest.raises(PluginFailure) as info:
        limited_app(config)
    assert named in str(info.value)


def test_bad_decorator_arguments_fail_where_they_are_written() -> None:
    with pytest.raises(SettingsError, match=r"@limit\('ten a minute'\)"):
        limit("ten a minute")
    with pytest.raises(SettingsError, match="strategy = 'token-bucket'"):
        limit("1/minute", strategy="token-bucket")  # type: ignore[arg-type]
    with pytest.raises(SettingsError, match="fail = 'sometimes'"):
        limit("1/minute", fail="sometimes")  # type: ignore[arg-type]
    with pytest.raises(SettingsError, match="key = 'everyone'"):
        limit("1/minute", key="everyone")
    with pytest.raises(SettingsError, match="shared=<name>"):
        limit()


def test_a_shared_limit_used_by_a_route_but_never_defined_fails_at_start_up() -> None:
    def routes(app: Flask) -> None:
        app.add_url_rule("/a", "a", limit(shared="ghost")(lambda: "a"))

    with pytest.raises(PluginFailure, match="shared limit 'ghost'.*RATELIMIT_SHARED"):
        limited_app({}, routes)


def test_memory_storage_under_several_workers_warns_at_start_up(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    caplog.set_level(logging.WARNING, LOGGER)
    limited_app({"RATELIMIT_DEFAULT": "1/minute"})
    assert "worker processes" not in caplog.text
    monkeypatch.setenv("WEB_CONCURRENCY", "4")
    limited_app({"RATELIMIT_DEFAULT": "1/minute"})
    assert "memory storage and the server runs 4 worker processes" in caplog.text


@pytest.mark.parametrize(
    ("argv", "environ", "expected"),
    [
        (["python", "app.py"], {}, 1),
        (["/venv/bin/gunicorn", "-w", "3", "app:app"], {}, 3),
        (["/venv/bin/gunicorn", "--workers=5", "app:app"], {}, 5),
        (["/venv/bin/gunicorn", "-w2", "app:app"], {}, 2),
        (["/venv/bin/gunicorn", "app:app"], {"GUNICORN_CMD_ARGS": "--workers 6"}, 6),
        (["/venv/bin/gunicorn", "-w", "3", "app:app"], {"WEB_CONCURRENCY": "8"}, 8),
        (["flask", "run"], {"WEB_CONCURRENCY": "nope"}, 1),
    ],
)
def test_worker_count_reads_the_server_command_line_and_environment(
    argv: list[str], environ: dict[str, str], expected: int
) -> None:
    assert worker_count(argv, environ) == expected


@pytest.mark.parametrize(
    ("name", "login"),
    [
        ("login", True),
        ("auth.login", True),
        ("login_post", True),
        ("api.token", True),
        ("auth.signin", True),
        ("blog.logins_report", False),
        ("index", False),
        ("catalog", False),
    ],
)
def test_login_like_names_fail_closed_by_default(name: str, login: bool) -> None:
    assert is_login(name) is login


def test_route_config_values_mix_own_limits_and_shared_names() -> None:
    own, shared = split_limits("@login; 100/day", "X")
    assert [repr(i) for i in own] == ["100 per 1 day"]
    assert shared == ["login"]
    with pytest.raises(SettingsError, match="'@' must be followed"):
        split_limits("@", "X")


def test_a_bad_storage_url_is_named_without_its_password() -> None:
    with pytest.raises(PluginFailure) as info:
        limited_app({"RATELIMIT_STORAGE_URL": "nosuch://admin:hunter2@cache:1234"})
    assert "RATELIMIT_STORAGE_URL (scheme 'nosuch')" in str(info.value)
    assert "hunter2" not in str(info.value)
