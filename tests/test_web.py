"""Plugin blueprints, templates, slots, cache-busted static files and the admin pages."""

from __future__ import annotations

import dataclasses
import json
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Blueprint, Flask, Request, Response, render_template, render_template_string
from markupsafe import Markup

import flask_plugboard
from flask_plugboard import (
    PlugboardError,
    Plugin,
    PluginFailure,
    SettingsError,
    get_state,
    hookimpl,
    plugin_blueprint,
    setting,
)
from flask_plugboard._web import plugin_static
from flask_plugboard.testing import HookRecorder, build_app

SECRET = "hunter2-very-secret-token"


class Greeter(Plugin):
    """A plugin with templates and static files in a folder of the test's choosing."""

    name = "greeter"
    version = "1.0.0"
    url_prefix = "/greet"

    def __init__(self, root: Path) -> None:
        self.root = root
        super().__init__()

    def blueprint(self, app: Flask, settings: Any) -> Blueprint:
        bp = plugin_blueprint(self, __name__, root_path=str(self.root))
        bp.add_url_rule("/", "index", lambda: render_template("greeter/hello.html"))
        bp.add_url_rule(
            "/page",
            "page",
            lambda: render_template_string("{{ plugin_static('greeter', 'a.css') }}"),
        )
        return bp


def _plugin_root(tmp_path: Path, css: str = "body { color: red }") -> Path:
    root = tmp_path / "greeter_pkg"
    (root / "templates" / "greeter").mkdir(parents=True)
    (root / "templates" / "greeter" / "hello.html").write_text("hello from the plugin")
    (root / "static").mkdir()
    (root / "static" / "a.css").write_text(css)
    return root


def _app_with_root(app_root: Path) -> Callable[[Flask], None]:
    """A build_app setup that makes ``app_root`` the app's folder (its templates/ live there)."""

    def setup(app: Flask) -> None:
        app.root_path = str(app_root)

    return setup


# -- templates ------------------------------------------------------------------------------


def test_plugin_templates_render_and_the_app_overrides_them(tmp_path: Path) -> None:
    root = _plugin_root(tmp_path)
    plain = build_app([Greeter(root)])
    assert plain.test_client().get("/greet/").text == "hello from the plugin"

    app_root = tmp_path / "app"
    (app_root / "templates" / "greeter").mkdir(parents=True)
    (app_root / "templates" / "greeter" / "hello.html").write_text("hello from the app")
    overriding = build_app([Greeter(root)], setup=_app_with_root(app_root))
    assert overriding.test_client().get("/greet/").text == "hello from the app"


def test_plugin_without_folders_gets_a_plain_blueprint(tmp_path: Path) -> None:
    bp = plugin_blueprint(Greeter(tmp_path), __name__, root_path=str(tmp_path))
    assert bp.name == "greeter"
    assert bp.template_folder is None
    assert bp.static_folder is None


def test_url_prefix_comes_from_config(tmp_path: Path) -> None:
    root = _plugin_root(tmp_path)
    app = build_app([Greeter(root)], {"GREETER_URL_PREFIX": "/hello-there"})
    client = app.test_client()
    assert client.get("/greet/").status_code == 404
    assert client.get("/hello-there/").text == "hello from the plugin"
    assert client.get("/hello-there/page").text.startswith("/hello-there/_static/greeter/a.css?v=")


def test_url_prefix_comes_from_the_environment_like_any_setting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FLASK_GREETER_URL_PREFIX", "/from-env")
    app = build_app([Greeter(_plugin_root(tmp_path))], {"GREETER_URL_PREFIX": "/from-config"})
    assert app.test_client().get("/from-env/").text == "hello from the plugin"
    assert app.config["GREETER_URL_PREFIX"] == "/from-env"


@pytest.mark.parametrize(("value", "shown"), [("hello", "'hello'"), (5, "5"), (["/a"], "['/a']")])
def test_a_url_prefix_that_is_not_a_path_fails_start_up_naming_the_key(
    tmp_path: Path, value: Any, shown: str
) -> None:
    with pytest.raises(PluginFailure) as caught:
        build_app([Greeter(tmp_path)], {"GREETER_URL_PREFIX": value})
    assert (
        f"GREETER_URL_PREFIX = {shown} is not valid for plugin 'greeter': expected a path "
        "starting with '/' (like '/greeter'), or '' for the root"
    ) in str(caught.value)


def test_url_prefix_is_a_listed_setting_with_its_default(tmp_path: Path) -> None:
    app = build_app([Greeter(_plugin_root(tmp_path))])
    out = app.test_cli_runner().invoke(args=["plugins", "show", "greeter"]).output
    assert "GREETER_URL_PREFIX = '/greet'" in out
    assert "URL prefix of the plugin's routes" in out
    listed = app.test_cli_runner().invoke(args=["plugins", "list", "--json"]).output
    assert json.loads(listed)[0]["settings"] == {"url_prefix": "/greet"}


# -- slots ----------------------------------------------------------------------------------


class First(Plugin):
    name = "first"

    @hookimpl
    def plugboard_template_slot(self, slot: str, context: dict[str, Any]) -> str | None:
        if slot == "footer":
            return f"<i>{context['user']}</i>"
        return None


class Second(Plugin):
    name = "second"
    requires = ("first",)

    @hookimpl
    def plugboard_template_slot(self, slot: str, context: dict[str, Any]) -> Markup | None:
        return Markup("<b>second</b>") if slot == "footer" else None


def test_slots_join_plugins_in_load_order_and_escape_plain_strings() -> None:
    # Listed second first: Second requires First, so First loads (and renders) first.
    app = build_app([Second, First])
    with app.test_request_context():
        html = render_template_string('<p>{{ plugboard_slot("footer", user="<ann>") }}</p>')
        empty = render_template_string('<p>{{ plugboard_slot("header") }}</p>')
    assert html == "<p>&lt;i&gt;&lt;ann&gt;&lt;/i&gt;<b>second</b></p>"
    assert empty == "<p></p>"


def test_slot_without_any_implementation_is_empty() -> None:
    app = build_app([])
    with app.test_request_context():
        assert render_template_string('[{{ plugboard_slot("head") }}]') == "[]"


# -- static files ---------------------------------------------------------------------------


def test_static_url_changes_when_the_file_does(tmp_path: Path) -> None:
    root = _plugin_root(tmp_path, "body { color: red }")
    before = build_app([Greeter(root)])
    with before.test_request_context():
        first = plugin_static("greeter", "a.css")
    assert first.startswith("/greet/_static/greeter/a.css?v=")
    assert len(first.split("v=")[1]) == 10

    (root / "static" / "a.css").write_text("body { color: blue }")
    after = build_app([Greeter(root)])
    with after.test_request_context():
        assert plugin_static("greeter", "a.css") != first
    with before.test_request_context():
        # Computed once per app: a running production app does not re-read its files.
        assert plugin_static("greeter", "a.css") == first


def test_debug_app_notices_a_changed_static_file(tmp_path: Path) -> None:
    root = _plugin_root(tmp_path, "a {}")
    app = build_app([Greeter(root)], {"DEBUG": True})
    with app.test_request_context():
        first = plugin_static("greeter", "a.css")
        (root / "static" / "a.css").write_text("a { color: green }")
        assert plugin_static("greeter", "a.css") != first


def test_only_versioned_static_urls_are_cached_for_a_year(tmp_path: Path) -> None:
    app = build_app([Greeter(_plugin_root(tmp_path))])
    client = app.test_client()
    url = client.get("/greet/page").text

    with client.get(url) as versioned:
        assert versioned.status_code == 200
        assert versioned.text == "body { color: red }"
        assert versioned.cache_control.max_age == 365 * 24 * 60 * 60
        assert versioned.cache_control.immutable

    for plain_url in ["/greet/_static/greeter/a.css", "/greet/_static/greeter/a.css?v=0123456789"]:
        with client.get(plain_url) as plain:
            assert plain.status_code == 200
            assert plain.cache_control.max_age is None
            assert not plain.cache_control.immutable


def test_static_garbage_is_a_404(tmp_path: Path) -> None:
    client = build_app([Greeter(_plugin_root(tmp_path))]).test_client()
    assert client.get("/greet/_static/greeter/missing.css?v=abc").status_code == 404
    assert client.get("/greet/_static/greeter/../templates/greeter/hello.html").status_code == 404


def test_unknown_static_file_names_the_plugin_and_the_file(tmp_path: Path) -> None:
    app = build_app([Greeter(_plugin_root(tmp_path))])
    with app.test_request_context():
        with pytest.raises(PlugboardError, match=r"plugin 'greeter' has no static file 'b\.css'"):
            plugin_static("greeter", "b.css")
        with pytest.raises(PlugboardError, match="no static files for 'nobody'"):
            plugin_static("nobody", "a.css")


# -- admin pages ----------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class VaultSettings:
    token: str = setting("", secret=True, doc="Token for the vault.")
    region: str = setting("eu", doc="Region.")


class Vault(Plugin):
    name = "vault"
    version = "2.1.0"
    description = "Keeps secrets."
    Settings = VaultSettings

    def setup(self, app: Flask, settings: Any) -> None:
        app.add_url_rule("/vault", "vault", lambda: "vault")

    @hookimpl
    def plugboard_admin_links(self) -> list[tuple[str, str]]:
        return [("Vault", "vault"), ("Broken link", "no.such.endpoint")]


class Crashes(Plugin):
    name = "crashes"

    def setup(self, app: Flask, settings: Any) -> None:
        raise RuntimeError(f"could not connect with token {SECRET}")


class Flaky(Plugin):
    name = "flaky"

    @hookimpl
    def plugboard_request_finished(self, request: Request, response: Response) -> None:
        raise ValueError("collector down")


class Deny(Plugin):
    name = "deny"

    @hookimpl
    def plugboard_admin_access(self, request: Request) -> bool:
        return request.headers.get("X-Admin") == "yes"


class RaisingGate(Plugin):
    name = "gate"

    @hookimpl
    def plugboard_admin_access(self, request: Request) -> bool:
        raise RuntimeError("session store down")


class FailedGate(Plugin):
    name = "failed_gate"

    def setup(self, app: Flask, settings: Any) -> None:
        raise RuntimeError("no session store")

    @hookimpl
    def plugboard_admin_access(self, request: Request) -> bool:
        return True


ADMIN = {"PLUGBOARD_ADMIN": True, "PLUGBOARD_ADMIN_ACCESS": "open"}


def _mixed_app() -> Flask:
    app = build_app(
        [Vault, Crashes, Flaky],
        {
            **ADMIN,
            "PLUGBOARD_STRICT": False,
            "PLUGBOARD_QUARANTINE_AFTER": 1,
            "VAULT_TOKEN": SECRET,
        },
    )
    app.test_client().get("/vault")  # Flaky's hook raises once: quarantined
    return app


def test_admin_pages_are_not_served_unless_enabled() -> None:
    client = build_app([Vault]).test_client()
    assert client.get("/admin/plugins").status_code == 404
    assert client.get("/admin/plugins.json").status_code == 404


def test_admin_json_lists_host_and_plugins() -> None:
    response = _mixed_app().test_client().get("/admin/plugins.json")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    data = response.json
    assert data["host"] == {
        "version": flask_plugboard.__version__,
        "strict": False,
        "order": ["vault", "crashes", "flaky"],
    }
    plugins = {p["name"]: p for p in data["plugins"]}
    assert list(plugins) == ["vault", "crashes", "flaky"]
    vault = plugins["vault"]
    assert set(vault) == {
        "name",
        "version",
        "description",
        "status",
        "source",
        "requires",
        "optional",
        "hooks",
        "routes",
        "commands",
        "settings",
        "failure",
        "health",
    }
    assert vault["version"] == "2.1.0"
    assert vault["status"] == "loaded"
    assert vault["routes"] == ["GET /vault"]
    assert vault["hooks"] == ["plugboard_admin_links"]
    assert vault["settings"] == {"token": "***", "region": "eu"}
    assert vault["failure"] is None
    assert vault["health"] == {
        "failures": 0,
        "consecutive": 0,
        "quarantined": False,
        "last_error": None,
    }


def test_failed_and_quarantined_plugins_are_shown_with_their_reason() -> None:
    client = _mixed_app().test_client()
    plugins = {p["name"]: p for p in client.get("/admin/plugins.json").json["plugins"]}
    assert plugins["crashes"]["status"] == "failed (init)"
    assert plugins["crashes"]["failure"]["phase"] == "init"
    assert "could not connect" in plugins["crashes"]["failure"]["error"]
    assert plugins["crashes"]["settings"] is None
    assert plugins["flaky"]["status"] == "quarantined"
    assert plugins["flaky"]["health"]["quarantined"] is True
    assert "collector down" in plugins["flaky"]["health"]["last_error"]

    html = client.get("/admin/plugins").text
    assert "failed (init)" in html and "could not connect" in html
    assert "quarantined" in html and "collector down" in html
    assert "pb-badge--bad" in html and "pb-badge--warn" in html


def test_secrets_appear_in_neither_json_nor_html() -> None:
    client = _mixed_app().test_client()
    json_text = client.get("/admin/plugins.json").text
    html = client.get("/admin/plugins").text
    for text in (json_text, html):
        assert SECRET not in text
        assert "***" in text
    assert "could not connect with token ***" in json_text


def test_plugins_page_serves_json_to_json_clients_and_html_to_browsers() -> None:
    client = build_app([Vault], ADMIN).test_client()
    as_json = client.get("/admin/plugins", headers={"Accept": "application/json"})
    assert as_json.mimetype == "application/json"
    assert as_json.json["plugins"][0]["name"] == "vault"
    as_html = client.get("/admin/plugins", headers={"Accept": "text/html,*/*;q=0.8"})
    assert as_html.mimetype == "text/html"
    assert "Accept" in as_html.headers["Vary"]
    assert ">vault</a>" in as_html.text
    assert client.get("/admin/plugins", headers={"Accept": "garbage/&&;q=x"}).status_code == 200


def test_admin_page_links_and_stylesheet_work(caplog: pytest.LogCaptureFixture) -> None:
    client = build_app([Vault], ADMIN).test_client()
    with caplog.at_level(logging.WARNING, "flask_plugboard"):
        html = client.get("/admin/plugins").text
    assert '<a href="/vault">Vault</a>' in html
    assert "Broken link" not in html
    assert "no.such.endpoint" in caplog.text
    css_url = html.split('rel="stylesheet" href="')[1].split('"')[0]
    assert css_url.startswith("/admin/_static/plugboard/admin.css?v=")
    with client.get(css_url) as css:
        assert css.status_code == 200 and css.mimetype == "text/css"
        assert css.cache_control.immutable


def test_admin_pages_refuse_other_methods() -> None:
    client = build_app([], ADMIN).test_client()
    assert client.post("/admin/plugins.json").status_code == 405
    assert client.delete("/admin/plugins").status_code == 405


def test_access_hook_saying_no_is_a_403_as_json_or_html() -> None:
    client = build_app([Deny], ADMIN).test_client()
    denied_json = client.get("/admin/plugins.json")
    assert denied_json.status_code == 403
    assert denied_json.json == {"error": "you may not see the admin pages", "status": 403}
    denied_html = client.get("/admin/plugins")
    assert denied_html.status_code == 403
    assert "Access denied" in denied_html.text
    allowed = client.get("/admin/plugins.json", headers={"X-Admin": "yes"})
    assert allowed.status_code == 200


class Reports(Plugin):
    name = "reports"

    def blueprint(self, app: Flask, settings: None) -> Blueprint:
        bp = plugin_blueprint(self, __name__, url_prefix="/admin/reports")
        bp.add_url_rule("/", "index", lambda: "reports")
        return bp

    @hookimpl
    def plugboard_admin_links(self) -> list[tuple[str, str]]:
        return [("Reports", "reports.index")]


def test_admin_pages_lists_what_the_request_may_see_for_an_apps_navigation() -> None:
    app = build_app([Deny, Reports], ADMIN)

    with app.test_request_context("/", headers={"X-Admin": "yes"}):
        allowed = flask_plugboard.admin_pages()
    with app.test_request_context("/"):
        denied = flask_plugboard.admin_pages()
    with build_app([Reports]).test_request_context("/"):
        admin_off = flask_plugboard.admin_pages()

    assert allowed == [("Plugins", "/admin/plugins"), ("Reports", "/admin/reports/")]
    assert denied == [] and admin_off == []


def test_access_fails_closed_when_the_deciding_plugin_breaks() -> None:
    raising = build_app([RaisingGate], ADMIN).test_client()
    response = raising.get("/admin/plugins.json")
    assert response.status_code == 403
    assert "access check failed" in response.json["error"]

    failed = build_app([FailedGate], {**ADMIN, "PLUGBOARD_STRICT": False}).test_client()
    response = failed.get("/admin/plugins.json")
    assert response.status_code == 403
    assert "plugin 'failed_gate' decides" in response.json["error"]


def test_open_admin_pages_warn_once_at_the_first_request(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING, "flask_plugboard"):
        client = build_app([], ADMIN).test_client()
        assert "open to anyone" not in caplog.text  # CLI commands stay quiet
        client.get("/admin/plugins")
        client.get("/admin/plugins.json")
    warnings = [r for r in caplog.records if "open to anyone" in r.getMessage()]
    assert len(warnings) == 1
    assert "/admin/plugins" in warnings[0].getMessage()

    caplog.clear()
    with caplog.at_level(logging.WARNING, "flask_plugboard"):
        build_app([Deny], ADMIN).test_client().get("/admin/plugins")
    assert "open to anyone" not in caplog.text


def test_admin_url_prefix_is_configurable_and_checked() -> None:
    client = build_app([], {**ADMIN, "PLUGBOARD_ADMIN_URL_PREFIX": "/ops/"}).test_client()
    assert client.get("/ops/plugins.json").status_code == 200
    assert client.get("/admin/plugins.json").status_code == 404
    with pytest.raises(SettingsError, match="PLUGBOARD_ADMIN_URL_PREFIX = 'ops'"):
        build_app([], {**ADMIN, "PLUGBOARD_ADMIN_URL_PREFIX": "ops"})


def test_app_can_override_the_admin_template(tmp_path: Path) -> None:
    (tmp_path / "templates" / "plugboard").mkdir(parents=True)
    (tmp_path / "templates" / "plugboard" / "admin_plugins.html").write_text(
        "{% for p in plugins %}{{ p.name }}:{{ p.status }};{% endfor %}"
    )
    app = build_app([Vault], ADMIN, setup=_app_with_root(tmp_path))
    assert app.test_client().get("/admin/plugins").text == "vault:loaded;"


def test_admin_pages_are_closed_when_nobody_decides() -> None:
    client = build_app([], {"PLUGBOARD_ADMIN": True}).test_client()
    for path in ("/admin/plugins", "/admin/plugins.json"):
        response = client.get(path)
        assert response.status_code == 403, path
    assert "PLUGBOARD_ADMIN_ACCESS = 'open'" in client.get("/admin/plugins.json").json["error"]
    with pytest.raises(SettingsError, match="PLUGBOARD_ADMIN_ACCESS"):
        build_app([], {"PLUGBOARD_ADMIN": True, "PLUGBOARD_ADMIN_ACCESS": "yes"})


def test_a_registered_access_check_decides(caplog: pytest.LogCaptureFixture) -> None:
    def setup(app: Flask) -> None:
        def check(request: Request) -> bool | None:
            if request.headers.get("X-Raise"):
                raise RuntimeError("session store down")
            return request.headers.get("X-Admin") == "yes"

        flask_plugboard.add_admin_access_check(app, check)

    client = build_app([], {"PLUGBOARD_ADMIN": True}, setup=setup).test_client()
    assert client.get("/admin/plugins.json").status_code == 403
    assert client.get("/admin/plugins.json", headers={"X-Admin": "yes"}).status_code == 200
    with caplog.at_level(logging.ERROR, "flask_plugboard"):
        raised = client.get("/admin/plugins.json", headers={"X-Admin": "yes", "X-Raise": "1"})
    assert raised.status_code == 403 and "session store down" in caplog.text
    assert "Open to anyone" not in client.get("/admin/plugins", headers={"X-Admin": "yes"}).text


@pytest.mark.parametrize(
    ("access", "path"),
    [("open", "/admin/plugins"), ("open", "/admin/plugins.json"), ("closed", "/admin/plugins")],
)
def test_admin_pages_send_a_strict_policy(access: str, path: str) -> None:
    config = {"PLUGBOARD_ADMIN": True, "PLUGBOARD_ADMIN_ACCESS": access}
    response = build_app([], config).test_client().get(path, headers={"Accept": "text/html"})
    assert response.status_code == (200 if access == "open" else 403)
    headers = response.headers
    assert headers["Content-Security-Policy"] == flask_plugboard.ADMIN_CONTENT_SECURITY_POLICY
    assert "script-src 'self';" in headers["Content-Security-Policy"]
    assert "'unsafe-inline'" not in headers["Content-Security-Policy"]
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "no-referrer"
    assert headers["Cache-Control"] == "no-store"


def test_a_check_of_a_plugin_that_failed_at_init_is_rolled_back() -> None:
    class HalfGate(Plugin):
        name = "half_gate"

        def setup(self, app: Flask, settings: Any) -> None:
            flask_plugboard.add_admin_access_check(app, lambda request: True)
            raise RuntimeError("no session store")

    app = build_app([HalfGate], {"PLUGBOARD_ADMIN": True, "PLUGBOARD_STRICT": False})
    response = app.test_client().get("/admin/plugins.json")
    assert response.status_code == 403
    assert "no plugin decides" in response.json["error"]


class SlotWatcher(Plugin):
    name = "slot_watcher"

    @hookimpl
    def plugboard_template_slot(self, slot: str, context: dict[str, Any]) -> Markup | None:
        if slot == "admin_plugin_detail" and context["plugin"] == self.name:
            return Markup('<p class="watcher-detail">details of mine</p>')
        return None


def test_admin_slots_get_the_context_docs_hooks_md_lists() -> None:
    # The table of plugboard_template_slot in docs/hooks.md: slot -> keys of `context`.
    app = build_app([SlotWatcher], ADMIN)
    recorder = HookRecorder(get_state(app).pm)
    html = app.test_client().get("/admin/plugins").text
    recorder.close()
    contexts: dict[str, list[dict[str, Any]]] = {}
    for call in recorder.calls_for("plugboard_template_slot"):
        contexts.setdefault(call.kwargs["slot"], []).append(dict(call.kwargs["context"]))
    assert {slot: set(found[0]) for slot, found in contexts.items()} == {
        "head": {"page"},
        "admin_nav": {"page"},
        "admin_plugin_detail": {"page", "plugin"},
        "admin_plugins_after": {"page", "plugins"},
    }
    assert contexts["head"][0]["page"] == "plugins"
    assert [c["plugin"] for c in contexts["admin_plugin_detail"]] == ["slot_watcher"]
    assert html.count("details of mine") == 1
