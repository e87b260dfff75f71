"""The bundled cors plugin: what a browser (and a cache) sees, and the start-up refusals."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

import pytest
from flask import Blueprint, Flask, Response, session
from werkzeug.test import TestResponse

from flask_plugboard import Plugin, PluginFailure, SettingsError
from flask_plugboard.plugins.cors import Cors, cors, cors_blueprint
from flask_plugboard.plugins.cors._policy import Policy, PolicyError, parse_options
from flask_plugboard.testing import build_app

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

SITE = "https://example.com"
ACAO = "Access-Control-Allow-Origin"


def _routes(app: Flask) -> None:
    app.add_url_rule("/", "index", lambda: "hello")
    app.add_url_rule("/items", "items", lambda: {"items": [1]}, methods=["GET", "POST"])

    @app.get("/boom")
    def boom() -> str:
        raise ZeroDivisionError("boom")


def cors_app(
    config: dict[str, Any] | None = None, setup: Callable[[Flask], None] = _routes
) -> Flask:
    """An app with the host, the cors plugin and a few routes."""
    return build_app([], {"PLUGBOARD_PLUGINS": ["cors"], **(config or {})}, setup=setup)


def plain_app(config: dict[str, Any] | None = None) -> Flask:
    """An app with Cors(app) as a plain extension, no host."""
    app = Flask("plain")
    app.config.update(TESTING=True, **(config or {}))
    Cors(app)
    _routes(app)
    return app


def get(app: Flask, path: str = "/", origin: str | None = SITE, **kwargs: Any) -> TestResponse:
    headers = {"Origin": origin} if origin is not None else {}
    return app.test_client().get(path, headers=headers, **kwargs)


def preflight(
    app: Flask,
    path: str = "/items",
    origin: str = SITE,
    method: str = "POST",
    headers: str | None = None,
    **extra: str,
) -> TestResponse:
    sent = {"Origin": origin, "Access-Control-Request-Method": method, **extra}
    if headers is not None:
        sent["Access-Control-Request-Headers"] = headers
    return app.test_client().options(path, headers=sent)


def vary(response: TestResponse) -> list[str]:
    return [v.strip() for line in response.headers.getlist("Vary") for v in line.split(",")]


# -- simple (actual) requests -----------------------------------------------------------


@pytest.mark.parametrize("make", [cors_app, plain_app])
def test_an_allowed_origin_is_echoed_and_caches_are_told(make: Callable[..., Flask]) -> None:
    app = make({"CORS_ORIGINS": [SITE, "https://other.example"]})
    response = get(app)
    assert response.status_code == 200
    assert response.text == "hello"
    assert response.headers[ACAO] == SITE
    assert "Origin" in vary(response)
    assert "Access-Control-Allow-Credentials" not in response.headers
    assert get(app, origin="https://other.example").headers[ACAO] == "https://other.example"


def test_another_origin_gets_no_cors_header_but_still_vary() -> None:
    app = cors_app({"CORS_ORIGINS": [SITE]})
    response = get(app, origin="https://evil.io")
    assert response.status_code == 200
    assert response.text == "hello"
    assert ACAO not in response.headers
    assert vary(response) == ["Origin"]


def test_a_request_without_origin_still_tells_caches_the_answer_depends_on_it() -> None:
    # Otherwise a cached same-origin answer (no CORS header) is served to a CORS request.
    response = get(cors_app({"CORS_ORIGINS": [SITE]}), origin=None)
    assert ACAO not in response.headers
    assert vary(response) == ["Origin"]


def test_the_wildcard_answers_star_to_everyone_with_no_vary() -> None:
    app = cors_app({"CORS_ORIGINS": "*", "CORS_EXPOSE_HEADERS": ["X-Total"]})
    for origin in (SITE, "https://anyone.io", None):
        response = get(app, origin=origin)
        assert response.headers[ACAO] == "*"
        assert response.headers["Access-Control-Expose-Headers"] == "X-Total"
        assert "Vary" not in response.headers


def test_credentials_echo_the_origin_never_star() -> None:
    app = cors_app({"CORS_ORIGINS": [SITE], "CORS_ALLOW_CREDENTIALS": True})
    response = get(app)
    assert response.headers[ACAO] == SITE
    assert response.headers["Access-Control-Allow-Credentials"] == "true"
    refused = get(app, origin="https://evil.io")
    assert "Access-Control-Allow-Credentials" not in refused.headers
    assert ACAO not in refused.headers


def test_exposed_headers_are_listed() -> None:
    app = cors_app({"CORS_ORIGINS": [SITE], "CORS_EXPOSE_HEADERS": "X-Total, X-Page"})
    assert get(app).headers["Access-Control-Expose-Headers"] == "X-Total, X-Page"


def test_no_app_wide_origins_means_no_cors_at_all() -> None:
    response = get(cors_app())
    assert ACAO not in response.headers
    assert "Vary" not in response.headers


def test_errors_and_unknown_urls_carry_the_app_policy() -> None:
    # So the page's script sees the 404 or 500 instead of an opaque CORS failure.
    app = cors_app({"CORS_ORIGINS": [SITE]})
    assert get(app, "/nowhere").status_code == 404
    assert get(app, "/nowhere").headers[ACAO] == SITE
    app.config["PROPAGATE_EXCEPTIONS"] = False
    boom = get(app, "/boom")
    assert boom.status_code == 500
    assert boom.headers[ACAO] == SITE


def test_vary_of_the_app_is_kept() -> None:
    def setup(app: Flask) -> None:
        @app.get("/")
        def index() -> str:
            return str(session.get("n", 0))  # reading the session adds Vary: Cookie

    response = get(cors_app({"CORS_ORIGINS": [SITE]}, setup))
    assert set(vary(response)) == {"Cookie", "Origin"}


def test_a_view_that_answers_cors_itself_is_left_alone() -> None:
    def setup(app: Flask) -> None:
        @app.get("/")
        def index() -> Response:
            return Response("mine", headers={"access-control-allow-origin": "https://mine.io"})

    response = get(cors_app({"CORS_ORIGINS": [SITE]}, setup))
    assert response.headers.getlist(ACAO) == ["https://mine.io"]


# -- which origins match --------------------------------------------------------------


@pytest.mark.parametrize(
    "origin",
    [
        "https://example.com.evil.io",
        "https://evil.example.com",
        "https://evilexample.com",
        "http://example.com",
        "https://example.com:8443",
        "https://EXAMPLE.com",
        "https://example.com/",
        "null",
        "",
    ],
)
def test_an_exact_origin_matches_nothing_else(origin: str) -> None:
    response = get(cors_app({"CORS_ORIGINS": [SITE]}), origin=origin)
    assert ACAO not in response.headers


def test_a_string_with_dots_is_not_a_pattern() -> None:
    # The dots of an exact origin are dots: "https://api.example.com" is no regex.
    app = cors_app({"CORS_ORIGINS": ["https://api.example.com"]})
    assert get(app, origin="https://api.example.com").headers[ACAO] == "https://api.example.com"
    assert ACAO not in get(app, origin="https://apixexample.com").headers


SUBDOMAINS = re.compile(r"https://[a-z0-9-]+\.example\.com")


@pytest.mark.parametrize(
    ("origin", "allowed"),
    [
        ("https://api.example.com", True),
        ("https://a-b.example.com", True),
        ("https://example.com", False),
        ("https://api.example.com.evil.io", False),  # fullmatch: no prefix match
        ("https://example.com.evil.io", False),
        ("https://evil.io/https://api.example.com", False),
        ("xhttps://api.example.com", False),  # no search either
        ("http://api.example.com", False),
        ("null", False),
    ],
)
def test_a_compiled_pattern_must_match_the_whole_origin(origin: str, allowed: bool) -> None:
    app = cors_app({"CORS_ORIGINS": [SUBDOMAINS]})
    assert (get(app, origin=origin).headers.get(ACAO) == origin) is allowed


def test_a_regex_from_the_environment_is_explicit_and_anchored(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("FLASK_CORS_ORIGINS", '[{"regex": "https://.*\\\\.example\\\\.com"}]')
    app = cors_app()
    assert get(app, origin="https://evil.example.com").headers[ACAO] == "https://evil.example.com"
    assert ACAO not in get(app, origin="https://example.com").headers
    assert ACAO not in get(app, origin="https://x.example.com.evil.io").headers


def test_only_well_formed_origins_reach_a_pattern() -> None:
    app = cors_app({"CORS_ORIGINS": [re.compile(r".*")]})
    assert get(app, origin="https://a.io").headers[ACAO] == "https://a.io"
    assert ACAO not in get(app, origin="null").headers
    assert ACAO not in get(app, origin="https://a.io/path").headers
    assert preflight(app, origin="null").status_code == 403


def test_origins_from_a_comma_separated_environment_variable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("FLASK_CORS_ORIGINS", "https://a.io, https://b.io")
    app = cors_app()
    assert get(app, origin="https://b.io").headers[ACAO] == "https://b.io"


# -- start-up refusals ----------------------------------------------------------------


def _refusal(config: dict[str, Any]) -> str:
    with pytest.raises(SettingsError) as info:
        plain_app(config)
    return str(info.value)


def test_wildcard_with_credentials_is_refused_at_start_up() -> None:
    message = _refusal({"CORS_ORIGINS": "*", "CORS_ALLOW_CREDENTIALS": True})
    assert "CORS_ORIGINS" in message
    assert "CORS_ALLOW_CREDENTIALS" in message
    assert "List the origins" in message


def test_wildcard_with_credentials_fails_the_host_start_up() -> None:
    with pytest.raises(PluginFailure, match="CORS_ALLOW_CREDENTIALS"):
        cors_app({"CORS_ORIGINS": ["*"], "CORS_ALLOW_CREDENTIALS": True})


def test_wildcard_with_credentials_leaves_the_plugin_out_when_not_strict() -> None:
    app = cors_app({"CORS_ORIGINS": "*", "CORS_ALLOW_CREDENTIALS": True, "PLUGBOARD_STRICT": False})
    assert ACAO not in get(app).headers
    assert "cors" not in app.extensions


@pytest.mark.parametrize(
    ("origin", "fix"),
    [
        ("https://example.com/", "no trailing slash"),
        ("https://example.com/api", "no path"),
        ("example.com", "scheme://host"),
        ("https://Example.com", "write 'https://example.com'"),
        ("https://example.com:443", "write 'https://example.com'"),
        ("http://localhost:99999", "port"),
        ("null", "sandboxed"),
        (r"https://.*\.example\.com", "never read as patterns"),
        ("https://*.example.com", "re.compile"),
    ],
)
def test_a_malformed_origin_is_refused_with_the_fix(origin: str, fix: str) -> None:
    message = _refusal({"CORS_ORIGINS": [origin]})
    assert "CORS_ORIGINS" in message
    assert fix in message


@pytest.mark.parametrize(
    ("config", "fix"),
    [
        ({"CORS_ORIGINS": ["*", SITE]}, "use '*' alone"),
        ({"CORS_ORIGINS": [{"regex": "https://(unclosed"}]}, "does not compile"),
        ({"CORS_ORIGINS": [{"pattern": "x"}]}, '{"regex"'),
        ({"CORS_ORIGINS": [re.compile(rb"https://x")]}, "bytes"),
        ({"CORS_ORIGINS": [SITE], "CORS_METHODS": ["GET POST"]}, "CORS_METHODS"),
        ({"CORS_ORIGINS": [SITE], "CORS_EXPOSE_HEADERS": ["*"]}, "list the names"),
        ({"CORS_ORIGINS": [SITE], "CORS_MAX_AGE": -1}, "CORS_MAX_AGE"),
        ({"CORS_ORIGINS": [SITE], "CORS_ALLOW_CREDENTIALS": "yes"}, "CORS_ALLOW_CREDENTIALS"),
    ],
)
def test_other_bad_settings_are_refused_naming_the_key(config: dict[str, Any], fix: str) -> None:
    assert fix in _refusal(config)


def test_a_view_declaring_wildcard_with_credentials_is_refused_at_once() -> None:
    with pytest.raises(SettingsError, match=r"@cors\(\.\.\.\) on view '.*api'.*List the origins"):

        @cors(origins="*", allow_credentials=True)
        def api() -> str:
            return "x"


def test_credentials_must_be_declared_with_their_origins() -> None:
    # Else a view could inherit credentials from the app for a '*' of its blueprint.
    with pytest.raises(SettingsError, match="allow_credentials needs origins"):
        cors_blueprint(Blueprint("api", __name__), allow_credentials=True)
    with pytest.raises(SettingsError, match="would never match"):
        cors(origins=["https://example.com/"])(lambda: "x")


# -- preflight --------------------------------------------------------------------------


def test_a_preflight_is_answered_with_what_is_allowed() -> None:
    app = cors_app({"CORS_ORIGINS": [SITE], "CORS_ALLOW_HEADERS": ["Content-Type", "X-Token"]})
    response = preflight(app, method="PUT", headers="x-token, CONTENT-TYPE")
    assert response.status_code == 204
    assert response.data == b""
    assert response.headers[ACAO] == SITE
    methods = response.headers["Access-Control-Allow-Methods"].split(", ")
    assert "PUT" in methods
    assert "DELETE" in methods
    # Header names compare without regard to case.
    assert response.headers["Access-Control-Allow-Headers"] == "x-token, CONTENT-TYPE"
    assert response.headers["Access-Control-Max-Age"] == "600"
    assert "Origin" in vary(response)
    assert "Access-Control-Allow-Credentials" not in response.headers
    assert "Content-Length" not in response.headers  # never on a 204


def test_a_preflight_leaves_out_what_is_not_allowed() -> None:
    app = cors_app({"CORS_ORIGINS": [SITE], "CORS_METHODS": ["GET", "POST"]})
    response = preflight(app, method="DELETE", headers="Content-Type, X-Secret")
    assert response.status_code == 204
    assert response.headers["Access-Control-Allow-Methods"] == "GET, POST"
    assert response.headers["Access-Control-Allow-Headers"] == "Content-Type"


def test_star_methods_and_headers_echo_what_is_asked() -> None:
    app = cors_app({"CORS_ORIGINS": [SITE], "CORS_METHODS": "*", "CORS_ALLOW_HEADERS": ["*"]})
    response = preflight(app, method="PURGE", headers="X-Anything")
    assert response.headers["Access-Control-Allow-Methods"] == "PURGE"
    assert response.headers["Access-Control-Allow-Headers"] == "X-Anything"


def test_garbage_in_a_preflight_is_never_echoed() -> None:
    app = cors_app({"CORS_ORIGINS": [SITE], "CORS_METHODS": "*", "CORS_ALLOW_HEADERS": "*"})
    response = preflight(app, method="GET<script>", headers="X-Ok, bad header, <b>, ,")
    assert response.status_code == 204
    assert "Access-Control-Allow-Methods" not in response.headers
    assert response.headers["Access-Control-Allow-Headers"] == "X-Ok"


def test_a_preflight_with_credentials_and_no_max_age() -> None:
    app = cors_app({"CORS_ORIGINS": [SITE], "CORS_ALLOW_CREDENTIALS": True, "CORS_MAX_AGE": None})
    response = preflight(app)
    assert response.headers["Access-Control-Allow-Credentials"] == "true"
    assert response.headers[ACAO] == SITE
    assert "Access-Control-Max-Age" not in response.headers


def test_a_preflight_from_another_origin_is_refused() -> None:
    response = preflight(cors_app({"CORS_ORIGINS": [SITE]}), origin="https://evil.io")
    assert response.status_code == 403
    assert ACAO not in response.headers
    assert "Access-Control-Allow-Methods" not in response.headers
    assert "Origin" in vary(response)
    assert b"refused" in response.data


def test_a_preflight_where_no_policy_applies_is_refused() -> None:
    assert preflight(cors_app()).status_code == 403


def test_a_preflight_for_an_unknown_url_gets_the_app_policy() -> None:
    response = preflight(cors_app({"CORS_ORIGINS": [SITE]}), path="/nowhere")
    assert response.status_code == 204
    assert response.headers[ACAO] == SITE


def test_an_options_request_that_is_no_preflight_reaches_the_app() -> None:
    app = cors_app({"CORS_ORIGINS": [SITE]})
    response = app.test_client().options("/items", headers={"Origin": SITE})
    assert response.status_code == 200
    assert set(response.headers["Allow"].split(", ")) >= {"GET", "POST", "OPTIONS"}


def test_private_network_access_only_when_opted_in() -> None:
    ask = {"Access-Control-Request-Private-Network": "true"}
    opted_in = cors_app({"CORS_ORIGINS": [SITE], "CORS_ALLOW_PRIVATE_NETWORK": True})
    response = preflight(opted_in, **ask)
    assert response.headers["Access-Control-Allow-Private-Network"] == "true"
    assert "Access-Control-Request-Private-Network" in vary(response)
    assert "Access-Control-Allow-Private-Network" not in preflight(opted_in).headers
    default = preflight(cors_app({"CORS_ORIGINS": [SITE]}), **ask)
    assert default.status_code == 204
    assert "Access-Control-Allow-Private-Network" not in default.headers


# -- preflight runs before auth and rate limits ----------------------------------------


def _guarded(app: Flask) -> list[str]:
    """A counting, limiting before_request and a 401-ing auth decorator on /private."""
    seen: list[str] = []

    @app.before_request
    def limit() -> Response | None:
        seen.append("before_request")
        if len(seen) > 1:
            return Response("slow down", status=429)
        return None

    def login_required(view: Callable[[], str]) -> Callable[[], Any]:
        @functools.wraps(view)
        def wrapped() -> Any:
            seen.append("auth")
            return Response("log in", status=401)

        return wrapped

    @app.route("/private", methods=["GET", "DELETE"])
    @login_required
    def private() -> str:
        return "secret"

    return seen


def _guarded_setup(app: Flask) -> None:
    app.extensions["test.seen"] = _guarded(app)


def test_a_preflight_runs_no_before_request_no_auth_and_counts_nothing() -> None:
    app = cors_app({"CORS_ORIGINS": [SITE]}, _guarded_setup)
    seen = app.extensions["test.seen"]
    for _ in range(3):
        response = preflight(app, path="/private", method="DELETE")
        assert response.status_code == 204
        assert response.headers[ACAO] == SITE
    assert seen == []
    # The actual request is the first the limit sees; its 401 is readable by the page.
    response = app.test_client().delete("/private", headers={"Origin": SITE})
    assert response.status_code == 401
    assert response.headers[ACAO] == SITE
    assert seen == ["before_request", "auth"]


class _CountingMiddleware(Plugin):
    """A plugin with WSGI middleware of its own, the way a rate limiter might be."""

    name = "counting"

    def setup(self, app: Flask, settings: Any) -> None:
        calls: list[str] = []
        app.extensions["test.calls"] = calls
        inner = app.wsgi_app

        def counting(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
            calls.append(environ["REQUEST_METHOD"])
            return inner(environ, start_response)

        app.wsgi_app = counting  # type: ignore[method-assign]


def test_under_the_host_preflights_never_reach_other_plugins_middleware() -> None:
    # cors loads first here, yet its middleware ends up outside the other plugin's.
    app = build_app(
        [_CountingMiddleware],
        {"PLUGBOARD_PLUGINS": ["cors"], "CORS_ORIGINS": [SITE]},
        setup=_routes,
    )
    assert preflight(app).status_code == 204
    assert app.extensions["test.calls"] == []
    assert get(app).headers[ACAO] == SITE
    assert app.extensions["test.calls"] == ["GET"]


def test_behind_proxies_preflights_still_skip_the_app() -> None:
    app = cors_app({"CORS_ORIGINS": [SITE], "PLUGBOARD_PROXIES": 1}, _guarded_setup)
    assert preflight(app, path="/private", method="DELETE").status_code == 204
    assert app.extensions["test.seen"] == []


# -- per blueprint and per view --------------------------------------------------------


def _layers(app: Flask) -> None:
    app.add_url_rule("/", "index", lambda: "app")

    @app.get("/view")
    @cors(origins=["https://view.io"], expose_headers=["X-View"])
    def view() -> str:
        return "view"

    @app.get("/closed")
    @cors(origins=[])
    def closed() -> str:
        return "closed"

    api = cors_blueprint(
        Blueprint("api", __name__), origins=["https://api.io"], allow_credentials=True
    )
    api.add_url_rule("/things", "things", lambda: "things", methods=["GET", "PUT"])

    @api.get("/public")
    @cors(origins="*")
    def public() -> str:
        return "public"

    inner = Blueprint("inner", __name__)
    inner.add_url_rule("/deep", "deep", lambda: "deep")
    api.register_blueprint(inner, url_prefix="/inner")
    app.register_blueprint(api, url_prefix="/api")


def test_views_and_blueprints_have_their_own_policies() -> None:
    app = cors_app(
        {"CORS_ORIGINS": [SITE], "CORS_METHODS": ["GET", "PUT"], "CORS_MAX_AGE": 60}, _layers
    )
    assert get(app, "/").headers[ACAO] == SITE
    # The view's origins replace the app's.
    assert ACAO not in get(app, "/view").headers
    view = get(app, "/view", origin="https://view.io")
    assert view.headers[ACAO] == "https://view.io"
    assert view.headers["Access-Control-Expose-Headers"] == "X-View"
    # origins=[] turns CORS off: no header, and no Vary since nothing depends on it.
    closed = get(app, "/closed")
    assert ACAO not in closed.headers
    assert "Vary" not in closed.headers
    # The blueprint, with credentials, and the blueprint nested in it.
    things = get(app, "/api/things", origin="https://api.io")
    assert things.headers[ACAO] == "https://api.io"
    assert things.headers["Access-Control-Allow-Credentials"] == "true"
    assert ACAO not in get(app, "/api/things").headers
    assert get(app, "/api/inner/deep", origin="https://api.io").headers[ACAO] == "https://api.io"
    # A view of the blueprint declares '*': credentials are not inherited for it.
    public = get(app, "/api/public", origin="https://anyone.io")
    assert public.headers[ACAO] == "*"
    assert "Access-Control-Allow-Credentials" not in public.headers


def test_preflights_follow_the_policy_of_the_view_they_ask_for() -> None:
    app = cors_app(
        {"CORS_ORIGINS": [SITE], "CORS_METHODS": ["GET", "PUT"], "CORS_MAX_AGE": 60}, _layers
    )
    response = preflight(app, "/api/things", origin="https://api.io", method="PUT")
    assert response.status_code == 204
    assert response.headers["Access-Control-Allow-Credentials"] == "true"
    # Options the blueprint does not set come from the app.
    assert response.headers["Access-Control-Allow-Methods"] == "GET, PUT"
    assert response.headers["Access-Control-Max-Age"] == "60"
    assert preflight(app, "/api/things", origin=SITE, method="PUT").status_code == 403
    assert preflight(app, "/closed", method="GET").status_code == 403


def test_one_url_with_a_policy_per_method() -> None:
    def setup(app: Flask) -> None:
        app.add_url_rule("/doc", "read", lambda: "doc")

        @app.delete("/doc")
        @cors(origins=["https://admin.io"], methods=["DELETE"])
        def delete() -> str:
            return "gone"

    app = cors_app({"CORS_ORIGINS": [SITE]}, setup)
    assert preflight(app, "/doc", method="GET").status_code == 204
    assert preflight(app, "/doc", method="DELETE").status_code == 403
    admin = preflight(app, "/doc", origin="https://admin.io", method="DELETE")
    assert admin.headers["Access-Control-Allow-Methods"] == "DELETE"


def test_one_instance_serves_two_apps_with_their_own_settings() -> None:
    extension = Cors()
    first, second = Flask("first"), Flask("second")
    first.config["CORS_ORIGINS"] = ["https://one.io"]
    second.config["CORS_ORIGINS"] = "*"
    for app in (first, second):
        extension.init_app(app)
        app.add_url_rule("/", "index", lambda: "hi")
    assert get(first, origin="https://one.io").headers[ACAO] == "https://one.io"
    assert ACAO not in get(first, origin="https://two.io").headers
    assert get(second, origin="https://two.io").headers[ACAO] == "*"
    assert preflight(second, "/", origin="https://two.io", method="GET").status_code == 204
    assert preflight(first, "/", origin="https://two.io", method="GET").status_code == 403


def test_a_plain_extension_on_an_app_that_has_the_host_works_at_once() -> None:
    app = build_app([], {"CORS_ORIGINS": [SITE]}, setup=_routes)
    Cors(app)
    assert get(app).headers[ACAO] == SITE
    assert preflight(app).status_code == 204


def test_settings_are_listed_with_their_keys() -> None:
    keys = {spec.key for spec in Cors().setting_specs()}
    assert keys == {
        "CORS_ORIGINS",
        "CORS_METHODS",
        "CORS_ALLOW_HEADERS",
        "CORS_EXPOSE_HEADERS",
        "CORS_ALLOW_CREDENTIALS",
        "CORS_MAX_AGE",
        "CORS_ALLOW_PRIVATE_NETWORK",
    }


# -- the policy alone, without an app --------------------------------------------------

KEYS = {
    name: f"CORS_{name.upper()}"
    for name in (
        "origins",
        "methods",
        "allow_headers",
        "expose_headers",
        "allow_credentials",
        "max_age",
        "allow_private_network",
    )
}


def _policy(**values: Any) -> Policy:
    defaults: dict[str, Any] = {
        "methods": ["GET"],
        "allow_headers": [],
        "expose_headers": [],
        "allow_credentials": False,
        "max_age": None,
        "allow_private_network": False,
    }
    return Policy(parse_options({**defaults, **values}, KEYS))


def test_a_policy_answers_from_precomputed_headers() -> None:
    policy = _policy(origins=[SITE], allow_credentials=True)
    assert policy.headers_for(SITE) == (
        (ACAO, SITE),
        ("Vary", "Origin"),
        ("Access-Control-Allow-Credentials", "true"),
    )
    assert policy.headers_for("https://evil.io") == (("Vary", "Origin"),)
    assert policy.headers_for(None) == (("Vary", "Origin"),)
    status, headers = policy.preflight(SITE, "GET", None, private_network=False)
    assert status == "204 No Content"
    assert dict(headers)["Access-Control-Allow-Methods"] == "GET"


def test_a_policy_refuses_a_preflight_from_another_origin() -> None:
    status, headers = _policy(origins=[SUBDOMAINS]).preflight(
        "https://a.example.com.evil.io", "GET", "content-type", private_network=True
    )
    assert status == "403 Forbidden"
    assert not any(name.startswith("Access-Control-Allow") for name, _ in headers)


def test_parsing_names_the_key_it_refuses() -> None:
    with pytest.raises(PolicyError, match=r"^CORS_ALLOW_HEADERS: 'X Token'"):
        _policy(origins=[SITE], allow_headers=["X Token"])
