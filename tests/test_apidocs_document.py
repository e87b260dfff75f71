"""The OpenAPI document: valid OpenAPI 3.1, built from the app's real routes and plugins."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.views import MethodView
from openapi_spec_validator import validate

from apidocs_support import Item, TwoLetters, sample_routes
from flask_plugboard import PlugboardError, Plugin, PluginFailure, get_state, hookimpl
from flask_plugboard.plugins import apidocs
from flask_plugboard.plugins.apidocs import ApiDocs, api, openapi_document
from flask_plugboard.plugins.apidocs._paths import openapi_path
from flask_plugboard.plugins.ratelimit import RateLimit
from flask_plugboard.plugins.stats import Stats

MakeApp = Callable[..., Flask]


@pytest.fixture
def make_app(make_plugboard_app: MakeApp) -> MakeApp:
    """An app with sample routes and the host with ``plugins`` (default: apidocs)."""

    def make(plugins: list[str] | None = None, **config: Any) -> Flask:
        names = ["apidocs"] if plugins is None else plugins
        return make_plugboard_app([], {"PLUGBOARD_PLUGINS": names, **config}, setup=sample_routes)

    return make


def _doc(app: Flask) -> dict[str, Any]:
    response = app.test_client().get("/openapi.json")
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    document: dict[str, Any] = response.get_json()
    validate(document)  # the OpenAPI 3.1 schema (openapi-spec-validator)
    return document


def _op(doc: dict[str, Any], path: str, method: str) -> dict[str, Any]:
    op: dict[str, Any] = doc["paths"][path][method]
    return op


def test_the_document_is_valid_openapi_31_with_the_app_s_info(make_app: MakeApp) -> None:
    doc = _doc(
        make_app(
            APIDOCS_TITLE="Shop API",
            APIDOCS_VERSION="2.1",
            APIDOCS_DESCRIPTION="Sells *things*.",
            APIDOCS_SERVERS=["https://api.example.com", "/v2"],
        )
    )
    assert doc["openapi"] == "3.1.0"
    assert doc["info"] == {"title": "Shop API", "version": "2.1", "description": "Sells *things*."}
    assert doc["servers"] == [{"url": "https://api.example.com"}, {"url": "/v2"}]


def test_defaults_name_the_app_and_no_server(make_app: MakeApp) -> None:
    doc = _doc(make_app())
    assert doc["info"] == {"title": "plugboard_test_app", "version": "1.0.0"}
    assert "servers" not in doc


def test_under_a_url_prefix_the_server_is_the_script_root(make_app: MakeApp) -> None:
    app = make_app()
    response = app.test_client().get("/openapi.json", base_url="http://localhost/shop")
    assert response.get_json()["servers"] == [{"url": "/shop"}]
    assert "servers" not in app.test_client().get("/openapi.json").get_json()


def test_every_route_and_method_is_there_but_static_redirects_and_the_docs(
    make_app: MakeApp,
) -> None:
    doc = _doc(make_app())
    operations = {(path, method) for path, item in doc["paths"].items() for method in item}
    assert operations == {
        ("/items", "post"),
        ("/items", "get"),
        ("/items/{item_id}", "get"),
        ("/any/{n}/{x}/{u}/{rest}", "get"),
        ("/pick/{colour}/{code}/{iso}/{name}", "get"),
        ("/both", "get"),
        ("/both", "post"),
        ("/shop/basket", "get"),
    }


def test_path_parameters_are_typed_from_their_converters(make_app: MakeApp) -> None:
    doc = _doc(make_app())
    params = {p["name"]: p for p in _op(doc, "/any/{n}/{x}/{u}/{rest}", "get")["parameters"]}
    assert all(p["in"] == "path" and p["required"] is True for p in params.values())
    assert params["n"]["schema"] == {"type": "integer", "maximum": 5}  # signed: no minimum
    assert params["x"]["schema"] == {"type": "number", "minimum": 0}
    assert "decimal point" in params["x"]["description"]
    assert params["u"]["schema"] == {"type": "string", "format": "uuid"}
    assert params["rest"]["schema"] == {"type": "string", "minLength": 1}
    params = {
        p["name"]: p for p in _op(doc, "/pick/{colour}/{code}/{iso}/{name}", "get")["parameters"]
    }
    assert params["colour"]["schema"] == {"type": "string", "enum": ["blue", "red"]}
    assert params["code"]["schema"] == TwoLetters.openapi_schema  # the converter's own
    assert params["iso"]["schema"] == {"type": "string", "pattern": "^[^/]{3}$"}
    assert params["name"]["schema"] == {"type": "string", "pattern": "^[^/]{1,}$"}
    assert [p["name"] for p in _op(doc, "/items/{item_id}", "get")["parameters"]] == ["item_id"]
    item_id = _op(doc, "/items/{item_id}", "get")["parameters"][0]
    assert item_id["schema"] == {"type": "integer", "minimum": 0}


def test_summary_and_description_come_from_the_docstring(make_app: MakeApp) -> None:
    doc = _doc(make_app())
    create = _op(doc, "/items", "post")
    assert create["summary"] == "Create an item."
    assert create["description"] == "The name must be new.\nIt gets an id."
    assert _op(doc, "/items", "get")["summary"] == "Search items, a summary written over two lines."
    assert "description" not in _op(doc, "/items", "get")
    assert "summary" not in _op(doc, "/both", "get")


def test_operation_ids_are_the_endpoints_and_unique(make_app: MakeApp) -> None:
    doc = _doc(make_app())
    assert _op(doc, "/items", "post")["operationId"] == "create_item"
    assert _op(doc, "/shop/basket", "get")["operationId"] == "shop.basket"
    assert _op(doc, "/both", "get")["operationId"] == "both_get"
    assert _op(doc, "/both", "post")["operationId"] == "both_post"


def test_a_decorated_route_documents_its_body_responses_and_errors(make_app: MakeApp) -> None:
    doc = _doc(make_app())
    create = _op(doc, "/items", "post")
    assert create["requestBody"] == {
        "required": True,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ItemIn"}}},
    }
    responses = create["responses"]
    assert set(responses) == {"201", "409", "400", "422"}
    assert responses["201"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Item"
    }
    assert responses["409"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ApiError"
    }
    assert responses["422"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/InvalidRequest"
    }
    schemas = doc["components"]["schemas"]
    assert schemas["ItemIn"]["properties"]["name"]["description"] == "Shown in lists."
    assert schemas["ItemIn"]["description"] == "What a new item needs."
    assert set(schemas) >= {"ItemIn", "Item", "ApiError", "InvalidRequest", "FieldError"}


def test_query_and_header_models_become_parameters(make_app: MakeApp) -> None:
    doc = _doc(make_app())
    search = _op(doc, "/items", "get")
    assert search["deprecated"] is True
    params = {(p["in"], p["name"]): p for p in search["parameters"]}
    assert set(params) == {
        ("query", "q"),
        ("query", "page"),
        ("query", "tag"),
        ("header", "X-Api-Key"),
        ("header", "x-trace"),
    }
    assert params[("query", "q")]["required"] is True
    assert params[("query", "q")]["description"] == "Words to look for."
    assert params[("query", "page")] == {
        "name": "page", "in": "query", "required": False,
        "schema": {"type": "integer", "default": 1},
    }  # fmt: skip
    assert params[("query", "tag")]["schema"]["type"] == "array"
    assert params[("header", "X-Api-Key")]["required"] is True
    assert set(search["responses"]) == {"200", "422"}  # no body: no 400
    # The models whose fields became parameters are not left behind as schemas.
    assert "Search" not in doc["components"]["schemas"]
    assert "Auth" not in doc["components"]["schemas"]


def test_undecorated_routes_say_only_what_is_known(make_app: MakeApp) -> None:
    doc = _doc(make_app())
    assert _op(doc, "/items/{item_id}", "get")["responses"] == {"200": {"description": "OK"}}
    assert "requestBody" not in _op(doc, "/both", "post")
    assert "tags" not in _op(doc, "/items/{item_id}", "get")


def test_tags_are_per_plugin_or_blueprint_with_the_plugin_s_description(
    make_app: MakeApp,
) -> None:
    doc = _doc(make_app(["apidocs", "stats", "ratelimit"], PLUGBOARD_ADMIN=True))
    assert _op(doc, "/shop/basket", "get")["tags"] == ["shop"]
    assert _op(doc, "/items", "post")["tags"] == ["items"]  # the decorator's
    assert _op(doc, "/admin/stats/dashboard", "get")["tags"] == ["stats"]
    assert _op(doc, "/admin/plugins", "get")["tags"] == ["plugboard"]
    tags = {t["name"]: t for t in doc["tags"]}
    assert tags["stats"]["description"] == Stats.description
    assert "description" not in tags["shop"]


def test_a_plugin_route_outside_its_blueprint_gets_its_tag(make_app: MakeApp) -> None:
    doc = _doc(make_app(["apidocs", "stats"], STATS_METRICS=True))
    assert _op(doc, "/metrics", "get")["tags"] == ["stats"]


def test_429_with_its_headers_is_added_to_limited_routes_only(make_app: MakeApp) -> None:
    doc = _doc(make_app(["apidocs", "ratelimit"]))
    limited = _op(doc, "/items", "post")["responses"]["429"]
    assert set(limited["headers"]) == {"Retry-After", "RateLimit", "RateLimit-Policy"}
    assert all(h["required"] for h in limited["headers"].values())
    assert limited["headers"]["Retry-After"]["schema"] == {"type": "integer", "minimum": 1}
    assert "10 per 1 minute per client address" in limited["description"]
    assert limited["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/RateLimited"
    }
    assert "429" not in _op(doc, "/items", "get")["responses"]
    assert "429" not in _op(doc, "/items/{item_id}", "get")["responses"]
    assert "503" not in _op(doc, "/items", "post")["responses"]


def test_without_ratelimit_nothing_is_said_of_limits(make_app: MakeApp) -> None:
    doc = _doc(make_app())
    assert "429" not in _op(doc, "/items", "post")["responses"]
    assert "RateLimited" not in doc["components"]["schemas"]


def test_a_default_limit_reaches_every_route_and_fail_closed_adds_503(make_app: MakeApp) -> None:
    doc = _doc(make_app(["apidocs", "ratelimit"], RATELIMIT_DEFAULT="100/hour",
                        RATELIMIT_FAIL="closed"))  # fmt: skip
    for path, item in doc["paths"].items():
        for method, op in item.items():
            assert "429" in op["responses"], (path, method)
            assert "503" in op["responses"], (path, method)
    # The docs' own routes are not limited by the document's say-so: they are not in it.
    assert "/openapi.json" not in doc["paths"] and "/docs" not in doc["paths"]


def test_apidocs_exclude_leaves_out_endpoints_and_blueprints(make_app: MakeApp) -> None:
    doc = _doc(make_app(APIDOCS_EXCLUDE=["shop", "get_item"]))
    assert "/shop/basket" not in doc["paths"]
    assert "/items/{item_id}" not in doc["paths"]
    assert "/items" in doc["paths"]


class Guard(Plugin):
    """A plugin that protects some views and says so through the apidocs hooks."""

    name = "guard"

    @hookimpl
    def apidocs_components(self, app: Flask) -> dict[str, Any]:
        return {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {"Item": {"type": "string"}},  # clashes with the app's model
        }

    @hookimpl
    def apidocs_operation(self, endpoint: str, operation: dict[str, Any]) -> None:
        if endpoint == "create_item":
            operation["security"] = [{"bearer": []}]
            operation["responses"]["401"] = {"description": "Log in first."}


def test_other_plugins_add_security_and_responses_through_hooks(
    make_plugboard_app: MakeApp, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="flask_plugboard.plugins.apidocs"):
        app = make_plugboard_app([Guard], {"PLUGBOARD_PLUGINS": ["apidocs"]}, setup=sample_routes)
        doc = _doc(app)
    assert doc["components"]["securitySchemes"] == {"bearer": {"type": "http", "scheme": "bearer"}}
    create = _op(doc, "/items", "post")
    assert create["security"] == [{"bearer": []}]
    assert create["responses"]["401"] == {"description": "Log in first."}
    assert "security" not in _op(doc, "/items", "get")
    # The clashing schema is refused, naming the plugin; the app's model stays.
    assert doc["components"]["schemas"]["Item"]["type"] == "object"
    assert any("'guard'" in m and "'Item'" in m for m in caplog.messages)


class Broken(Plugin):
    name = "broken"

    @hookimpl
    def apidocs_operation(self, operation: dict[str, Any]) -> None:
        raise RuntimeError("boom")


def test_a_failing_hook_costs_only_its_own_additions(
    make_plugboard_app: MakeApp, caplog: pytest.LogCaptureFixture
) -> None:
    config = {"PLUGBOARD_PLUGINS": ["apidocs"], "PLUGBOARD_QUARANTINE_AFTER": 0}
    with caplog.at_level(logging.ERROR):
        app = make_plugboard_app([Broken], config, setup=sample_routes)
        doc = _doc(app)
    assert "/items" in doc["paths"]
    assert any("'broken'" in m and "apidocs_operation" in m for m in caplog.messages)
    assert get_state(app).records["broken"].health.failures > 0  # type: ignore[union-attr]


def test_auth_documents_its_security_and_refusals_where_a_view_really_has_them(
    make_auth_app: MakeApp,
) -> None:
    from flask_plugboard.plugins.auth import Auth as AuthPlugin
    from flask_plugboard.plugins.auth import login_required, roles_required

    app = make_auth_app(plugins=(AuthPlugin, ApiDocs))

    @app.get("/notes")
    @login_required
    def notes() -> dict[str, Any]:
        """Your notes."""
        return {}

    @app.post("/notes")
    @roles_required("editor")
    @api(body=Item, status=201)
    def add_note(body: Item) -> dict[str, Any]:
        """Add a note."""
        return {}

    doc = _doc(app)  # validates against the OpenAPI 3.1 schema
    schemes = doc["components"]["securitySchemes"]
    assert schemes["bearerAuth"] == {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": schemes["bearerAuth"]["description"],
    }
    assert schemes["sessionCookie"]["in"] == "cookie"
    listing = _op(doc, "/notes", "get")
    assert listing["security"] == [{"bearerAuth": []}, {"sessionCookie": []}]
    assert {"401", "422"} <= set(listing["responses"]) and "403" not in listing["responses"]
    adding = _op(doc, "/notes", "post")
    assert adding["responses"]["403"]["description"] == "Needs the role(s) editor."
    # The view's own validation errors and a malformed token share the 422.
    assert len(adding["responses"]["422"]["content"]["application/json"]["schema"]["oneOf"]) == 2
    # Token endpoints take only tokens; the login and public pages need nothing.
    assert _op(doc, "/auth/api/refresh", "post")["security"] == [{"bearerAuth": []}]
    assert _op(doc, "/auth/api/me", "get")["security"] == [{"bearerAuth": []}]
    login = _op(doc, "/auth/api/login", "post")
    assert login["tags"] == ["auth"] and "security" not in login
    assert "401" in _op(doc, "/auth/api/me", "get")["responses"]
    assert "/auth/login" in doc["paths"]


def test_the_document_is_revalidated_by_etag(make_app: MakeApp) -> None:
    client = make_app().test_client()
    first = client.get("/openapi.json")
    assert first.headers["Cache-Control"] == "no-cache"
    etag = first.headers["ETag"]
    again = client.get("/openapi.json", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""


def test_two_apps_in_one_process_document_their_own_routes(make_plugboard_app: MakeApp) -> None:
    def one(app: Flask) -> None:
        @app.get("/one")
        @api(response=Item)
        def only_one() -> Item:
            return Item(id=1, name="a", price=1)

    def two(app: Flask) -> None:
        @app.get("/two")
        def only_two() -> str:
            return "two"

    first = make_plugboard_app([], {"PLUGBOARD_PLUGINS": ["apidocs"], "APIDOCS_TITLE": "one"},
                               setup=one, import_name="one")  # fmt: skip
    second = make_plugboard_app([], {"PLUGBOARD_PLUGINS": ["apidocs"], "APIDOCS_TITLE": "two",
                                     "APIDOCS_JSON_PATH": "/spec.json"},
                                setup=two, import_name="two")  # fmt: skip
    doc1, doc2 = _doc(first), second.test_client().get("/spec.json").get_json()
    assert (doc1["info"]["title"], list(doc1["paths"])) == ("one", ["/one"])
    assert (doc2["info"]["title"], list(doc2["paths"])) == ("two", ["/two"])
    assert first.test_client().get("/spec.json").status_code == 404


def test_a_plain_extension_without_the_host_with_ratelimit_too() -> None:
    app = Flask(__name__)
    sample_routes(app)
    RateLimit(app)
    ApiDocs(app)
    doc = _doc(app)
    assert "429" in _op(doc, "/items", "post")["responses"]
    assert _op(doc, "/shop/basket", "get")["tags"] == ["shop"]
    assert openapi_document(app) == doc


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"APIDOCS_JSON_PATH": "api.json"}, "APIDOCS_JSON_PATH = 'api.json' is not a URL path"),
        ({"APIDOCS_UI_PATH": "/my docs"}, "APIDOCS_UI_PATH = '/my docs' is not a URL path"),
        ({"APIDOCS_JSON_PATH": ""}, "APIDOCS_UI_PATH = '/docs' needs the document"),
        ({"APIDOCS_UI_PATH": "/openapi.json"}, "are both '/openapi.json'"),
        ({"APIDOCS_SERVERS": ["api.example.com"]}, "'api.example.com', which is not a server URL"),
        ({"APIDOCS_SERVERS": "https://api.example.com"}, "APIDOCS_SERVERS"),
        ({"APIDOCS_VERSION": " "}, "APIDOCS_VERSION"),
        ({"APIDOCS_ACCESS": "staff"}, "APIDOCS_ACCESS = 'staff'"),
        ({"APIDOCS_EXCLUDE": "shop"}, "APIDOCS_EXCLUDE"),
    ],
)  # fmt: skip
def test_bad_settings_fail_at_start_up_naming_the_key(
    make_app: MakeApp, config: dict[str, Any], message: str
) -> None:
    with pytest.raises(PluginFailure, match="apidocs") as info:
        make_app(**config)
    assert message in str(info.value)


def test_without_ui_or_document_paths_nothing_is_served(make_app: MakeApp) -> None:
    client = make_app(APIDOCS_UI_PATH="").test_client()
    assert client.get("/docs").status_code == 404
    assert client.get("/openapi.json").status_code == 200
    client = make_app(APIDOCS_UI_PATH="", APIDOCS_JSON_PATH="").test_client()
    assert client.get("/openapi.json").status_code == 404


class Gatekeeper(Plugin):
    """Says no to every admin page."""

    name = "gatekeeper"

    @hookimpl
    def plugboard_admin_access(self) -> bool:
        return False


def test_admin_access_follows_the_admin_rule(
    make_app: MakeApp, make_plugboard_app: MakeApp
) -> None:
    closed = make_app(APIDOCS_ACCESS="admin").test_client()
    assert closed.get("/openapi.json").status_code == 404  # PLUGBOARD_ADMIN is off
    assert closed.get("/docs", headers={"Accept": "text/html"}).status_code == 404
    nobody_decides = make_app(APIDOCS_ACCESS="admin", PLUGBOARD_ADMIN=True).test_client()
    assert nobody_decides.get("/openapi.json").status_code == 403  # closed by default
    opened = make_app(
        APIDOCS_ACCESS="admin", PLUGBOARD_ADMIN=True, PLUGBOARD_ADMIN_ACCESS="open"
    ).test_client()
    assert opened.get("/openapi.json").status_code == 200
    config = {"PLUGBOARD_PLUGINS": ["apidocs"], "APIDOCS_ACCESS": "admin", "PLUGBOARD_ADMIN": True}
    denied = make_plugboard_app([Gatekeeper], config, setup=sample_routes).test_client()
    assert denied.get("/openapi.json").status_code == 403  # the access hook said no
    assert denied.get("/docs").status_code == 403
    public = make_plugboard_app([Gatekeeper], {**config, "APIDOCS_ACCESS": "public"},
                                setup=sample_routes).test_client()  # fmt: skip
    assert public.get("/openapi.json").status_code == 200


def test_the_page_loads_everything_from_the_app_under_a_strict_csp(make_app: MakeApp) -> None:
    client = make_app(APIDOCS_SERVERS=["https://api.example.com/v1"]).test_client()
    response = client.get("/docs")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self';" in csp and "default-src 'none'" in csp
    assert "connect-src 'self' https://api.example.com/v1;" in csp
    assert "<script>" not in page and "http" not in page.replace('href="data:,"', "")
    assert 'data-openapi-url="/openapi.json"' in page
    assets = [
        part.split('"')[0]
        for part in page.split('src="')[1:] + page.split('rel="stylesheet" href="')[1:]
    ]
    assert len(assets) == 4
    for url in assets:
        with client.get(url) as asset:
            assert asset.status_code == 200, url
            assert asset.headers["Cache-Control"] == "public, max-age=31536000, immutable"
            if "swagger-ui-bundle.js" in url:
                assert b"SwaggerUIBundle" in asset.data


def test_flask_openapi_write_writes_the_document(make_app: MakeApp, tmp_path: Path) -> None:
    app = make_app()
    runner = app.test_cli_runner()
    target = tmp_path / "openapi.json"
    result = runner.invoke(args=["openapi", "write", str(target)])
    assert result.exit_code == 0, result.output
    assert "wrote the OpenAPI document (8 operations) to" in result.output
    written = json.loads(target.read_text())
    validate(written)
    assert written == openapi_document(app)
    assert target.read_text().startswith('{\n  "openapi": "3.1.0"')

    result = runner.invoke(args=["openapi", "write", "-", "--indent", "0"])
    assert result.exit_code == 0
    assert result.output.count("\n") == 1 and json.loads(result.output) == written

    result = runner.invoke(args=["openapi", "write", "-", "--indent", "-1"])
    assert result.exit_code == 2 and "--indent" in result.output
    result = runner.invoke(args=["openapi", "write", str(tmp_path / "no" / "such.json")])
    assert result.exit_code == 1 and "Could not open file" in result.output


def test_rule_strings_become_openapi_paths() -> None:
    assert openapi_path("/a/<int:b>/<string(length=2):c>/<d>") == "/a/{b}/{c}/{d}"
    assert openapi_path("/static/<path:filename>") == "/static/{filename}"
    assert openapi_path("/plain") == "/plain"


def test_the_plugin_s_exported_names_are_pinned() -> None:
    assert sorted(apidocs.__all__) == [
        "ApiDocs",
        "ApiDocsSettings",
        "ApiError",
        "ApiSpec",
        "FieldError",
        "InvalidRequest",
        "ResponseValidationError",
        "api",
        "openapi_document",
        "spec_of",
    ]


def test_a_type_pydantic_cannot_document_is_named_with_its_view(
    make_plugboard_app: MakeApp,
) -> None:
    def routes(app: Flask) -> None:
        @app.get("/odd")
        @api(response=Callable[[], int])
        def odd() -> str:
            return "odd"

    app = make_plugboard_app([], {"PLUGBOARD_PLUGINS": ["apidocs"]}, setup=routes)
    with pytest.raises(PlugboardError, match="JSON Schema of the response 200 of 'odd'"):
        openapi_document(app)


def test_class_based_views_are_documented_per_method(make_plugboard_app: MakeApp) -> None:
    class Things(MethodView):
        """Things, all of them."""

        def get(self) -> str:
            """List things."""
            return "[]"

        @api(body=Item, response={201: Item})
        def post(self, body: Item) -> Item:
            return body

    def routes(app: Flask) -> None:
        app.add_url_rule("/things", view_func=Things.as_view("things"))

    doc = _doc(make_plugboard_app([], {"PLUGBOARD_PLUGINS": ["apidocs"]}, setup=routes))
    assert _op(doc, "/things", "get")["summary"] == "List things."
    assert _op(doc, "/things", "get")["responses"] == {"200": {"description": "OK"}}
    post = _op(doc, "/things", "post")
    assert post["summary"] == "Things, all of them."  # the class's, the method has none
    assert set(post["responses"]) == {"201", "400", "422"}
