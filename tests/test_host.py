"""The host: discovery, validation, ordering, init and failure isolation, as an app sees them."""

from __future__ import annotations

import dataclasses
import logging
import textwrap
from pathlib import Path
from typing import Any

import pytest
from flask import Flask, Request, Response

from flask_plugboard import (
    Plugboard,
    PlugboardError,
    Plugin,
    PluginFailure,
    get_state,
    hookimpl,
    hookspec,
    setting,
)
from flask_plugboard.testing import build_app


class Hello(Plugin):
    name = "hello"
    version = "1.2.0"
    description = "Says hello."

    def setup(self, app: Flask, settings: Any) -> None:
        app.add_url_rule("/hello", "hello", lambda: "hello")


class NeedsHello(Plugin):
    name = "needs_hello"
    requires = ("hello>=1.0",)


class BrokenInit(Plugin):
    name = "broken_init"

    def setup(self, app: Flask, settings: Any) -> None:
        app.add_url_rule("/half", "half", lambda: "half")
        app.before_request(lambda: None)
        raise RuntimeError("database unreachable")


class NeedsBroken(Plugin):
    name = "needs_broken"
    requires = ("broken_init",)


@dataclasses.dataclass(frozen=True)
class StrictSettings:
    limit: int = setting(10, min=1, doc="A limit.")
    api_key: str = setting("", secret=True, doc="A key.")


class Configurable(Plugin):
    name = "configurable"
    Settings = StrictSettings


class Raiser(Plugin):
    name = "raiser"

    @hookimpl
    def plugboard_request_finished(self, request: Request, response: Response) -> None:
        raise ValueError("collector bug")


class Stamper(Plugin):
    name = "stamper"

    @hookimpl
    def plugboard_request_finished(self, request: Request, response: Response) -> None:
        response.headers["X-Stamp"] = "1"


def lenient(**config: Any) -> dict[str, Any]:
    return {"PLUGBOARD_STRICT": False, **config}


def make(plugins: list[Any], **config: Any) -> Flask:
    app = build_app(plugins, lenient(**config))
    app.add_url_rule("/", "index", lambda: "index")
    return app


def test_plugin_works_as_a_plain_extension_on_two_apps() -> None:
    plugin = Hello()
    apps = [Flask("a"), Flask("b")]
    for app in apps:
        plugin.init_app(app)
        assert app.extensions["hello"] is plugin
        assert app.test_client().get("/hello").text == "hello"
    assert not any(isinstance(v, Flask) for v in vars(plugin).values())


def test_double_init_is_refused_with_the_fix() -> None:
    app = Flask("a")
    Hello(app)
    with pytest.raises(PlugboardError, match="already registered.*call init_app once"):
        Hello().init_app(app)
    Plugboard(app)
    with pytest.raises(PlugboardError, match="already initialised"):
        Plugboard(app)


def test_requirements_load_first_and_routes_are_attributed() -> None:
    app = make([NeedsHello, Hello])
    state = get_state(app)
    assert [r.name for r in state.loaded()] == ["hello", "needs_hello"]
    assert state.records["hello"].routes == ["GET /hello"]


def test_init_failure_is_rolled_back_and_dependants_are_disabled() -> None:
    app = make([BrokenInit, NeedsBroken, Hello])
    state = get_state(app)
    broken = state.records["broken_init"]
    assert broken.status == "failed (init)"
    assert "database unreachable" in broken.failure.error  # type: ignore[union-attr]
    assert state.records["needs_broken"].status == "failed (requirements)"
    assert "requires 'broken_init'" in state.records["needs_broken"].failure.error  # type: ignore[union-attr]
    client = app.test_client()
    assert client.get("/half").status_code == 404
    assert client.get("/hello").text == "hello"
    assert "broken_init" not in app.extensions
    assert app.before_request_funcs == {}


def test_strict_mode_fails_start_up_and_is_the_default_under_testing() -> None:
    with pytest.raises(PluginFailure) as info:
        build_app([BrokenInit])
    assert info.value.plugin == "broken_init" and info.value.phase == "init"


def test_bad_settings_disable_the_plugin_naming_the_key() -> None:
    app = make([Configurable, Hello], CONFIGURABLE_LIMIT=0)
    record = get_state(app).records["configurable"]
    assert record.status == "failed (validate)"
    assert "CONFIGURABLE_LIMIT = 0" in record.failure.error  # type: ignore[union-attr]
    assert get_state(app).records["hello"].status == "loaded"


def test_bad_host_settings_fail_start_up() -> None:
    with pytest.raises(PlugboardError, match="PLUGBOARD_QUARANTINE_AFTER = -1"):
        build_app([], {"PLUGBOARD_QUARANTINE_AFTER": -1})


def test_unknown_name_lists_what_is_installed() -> None:
    app = make([], PLUGBOARD_PLUGINS=["nope", "timer"])
    record = get_state(app).records["nope"]
    assert record.status == "failed (import)"
    assert "no plugin named 'nope' is installed; installed:" in record.failure.error  # type: ignore[union-attr]
    assert "timer" in record.failure.error  # type: ignore[union-attr]


def test_import_failure_is_recorded() -> None:
    app = make([], PLUGBOARD_PLUGINS=["no_such_module_xyz:Plugin"])
    record = get_state(app).records["plugin"]
    assert record.status == "failed (import)"
    assert "No module named 'no_such_module_xyz'" in record.failure.error  # type: ignore[union-attr]


def test_host_version_range_is_checked() -> None:
    class Future(Plugin):
        name = "future"
        host_versions = ">=99"

    class BadRange(Plugin):
        name = "bad_range"
        host_versions = "at least 2"

    state = get_state(make([Future, BadRange]))
    assert "supports Plugboard >=99" in state.records["future"].failure.error  # type: ignore[union-attr]
    assert "is not a version specifier" in state.records["bad_range"].failure.error  # type: ignore[union-attr]


def test_same_plugin_twice_is_reported() -> None:
    state = get_state(make([Hello, Hello]))
    assert state.records["hello"].status == "loaded"
    with pytest.raises(PluginFailure, match="listed twice"):
        build_app([Hello, Hello])


def test_invalid_plugin_name_is_refused_at_class_creation() -> None:
    with pytest.raises(PlugboardError, match="plugin name 'my-plugin'"):

        class Dashed(Plugin):
            name = "my-plugin"


def test_raising_hook_does_not_fail_the_request_and_quarantines(
    caplog: pytest.LogCaptureFixture,
) -> None:
    app = make([Raiser, Stamper], PLUGBOARD_QUARANTINE_AFTER=3)
    client = app.test_client()
    state = get_state(app)
    with caplog.at_level(logging.ERROR, logger="flask_plugboard"):
        for _ in range(5):
            response = client.get("/")
            assert response.status_code == 200
            assert response.headers["X-Stamp"] == "1"
    health = state.records["raiser"].health
    assert health is not None
    assert (health.failures, health.quarantined) == (3, True)
    assert state.records["raiser"].status == "quarantined"
    assert "collector bug" in (health.last_error or "")
    assert any(
        "plugin 'raiser': hook plugboard_request_finished raised" in m for m in caplog.messages
    )
    assert any("quarantined" in m for m in caplog.messages)
    assert state.pm.get_plugin("raiser") is None


def test_success_resets_the_consecutive_count() -> None:
    class Flaky(Plugin):
        name = "flaky"

        @hookimpl
        def plugboard_request_finished(self, request: Request, response: Response) -> None:
            if request.path == "/fail":
                raise ValueError("only sometimes")

    app = make([Flaky], PLUGBOARD_QUARANTINE_AFTER=2)
    app.add_url_rule("/fail", "fail", lambda: "x")
    client = app.test_client()
    for path in ["/fail", "/", "/fail", "/", "/fail"]:
        client.get(path)
    health = get_state(app).records["flaky"].health
    assert health is not None and health.failures == 3 and not health.quarantined


def test_one_hook_failing_every_time_quarantines_though_another_succeeds(
    caplog: pytest.LogCaptureFixture,
) -> None:
    class HalfBroken(Plugin):
        name = "half_broken"

        @hookimpl
        def plugboard_request_started(self, request: Request) -> None:
            pass

        @hookimpl
        def plugboard_request_finished(self, request: Request, response: Response) -> None:
            raise ValueError("finished bug")

    app = make([HalfBroken], PLUGBOARD_QUARANTINE_AFTER=20)
    client = app.test_client()
    with caplog.at_level(logging.ERROR, logger="flask_plugboard"):
        for _ in range(20):
            assert client.get("/").status_code == 200
    record = get_state(app).records["half_broken"]
    assert record.status == "quarantined"
    assert record.health is not None and record.health.consecutive == 20
    said = "plugin 'half_broken' quarantined after its hook plugboard_request_finished failed"
    assert any(m.startswith(f"{said} 20 times in a row") for m in caplog.messages)
    assert get_state(app).pm.get_plugin("half_broken") is None


def test_request_hooks_cost_nothing_when_unimplemented() -> None:
    bare = make([Hello])
    assert bare.before_request_funcs == {} and bare.after_request_funcs == {}


def test_plugins_publish_hookspecs_for_each_other(
    make_plugboard_app: Any,
) -> None:
    class Specs:
        @hookspec
        def greeting_words(self) -> list[str]:  # type: ignore[empty-body]
            """Words to greet with."""

    class Greeter(Plugin):
        name = "greeter"
        hookspecs = Specs

        def setup(self, app: Flask, settings: Any) -> None:
            def greet() -> str:
                words = get_state().hook.greeting_words()
                return " ".join(w for group in words for w in group)

            app.add_url_rule("/greet", "greet", greet)

    class Polite(Plugin):
        name = "polite"
        optional = ("greeter",)

        @hookimpl
        def greeting_words(self) -> list[str]:
            return ["good", "day"]

    app = make_plugboard_app([Polite, Greeter])
    assert app.test_client().get("/greet").text == "good day"
    assert get_state(app).records["polite"].hooks == ["greeting_words"]


class Misspelt(Plugin):
    name = "misspelt"

    @hookimpl
    def plugboard_request_finised(self, request: Request, response: Response) -> None:
        response.headers["X-Never"] = "1"


def test_a_misspelt_hook_fails_start_up_under_strict_mode() -> None:
    with pytest.raises(PluginFailure) as caught:
        build_app([Hello, Misspelt], {"PLUGBOARD_STRICT": True})
    message = str(caught.value)
    assert caught.value.plugin == "misspelt" and caught.value.phase == "hooks"
    assert "'plugboard_request_finised'" in message
    assert "did you mean 'plugboard_request_finished'?" in message
    assert "optionalhook=True" in message


def test_a_misspelt_hook_leaves_its_plugin_out_when_not_strict(
    caplog: pytest.LogCaptureFixture,
) -> None:
    app = make([Hello, Misspelt])
    record = get_state(app).records["misspelt"]
    assert record.status == "failed (hooks)"
    assert record.plugin is not None and "misspelt" not in app.extensions
    assert get_state(app).pm.get_plugin("misspelt") is None
    assert app.test_client().get("/hello").text == "hello"
    assert "plugin 'misspelt' failed at hooks" in caplog.text
    assert "plugboard_request_finished" in caplog.text


def test_a_plugin_requiring_one_with_a_misspelt_hook_is_told_why() -> None:
    class NeedsMisspelt(Plugin):
        name = "needs_misspelt"
        requires = ("misspelt",)

    app = make([Misspelt, NeedsMisspelt])
    failure = get_state(app).records["needs_misspelt"].failure
    assert failure is not None and failure.phase == "requirements"
    assert "'misspelt', which failed at hooks" in failure.error


def test_a_hook_of_a_plugin_that_is_absent_may_be_marked_optional() -> None:
    class Polite(Plugin):
        name = "polite"
        optional = ("greeter",)

        @hookimpl(optionalhook=True)
        def greeting_words(self) -> list[str]:
            return ["good", "day"]

        @hookimpl(specname="plugboard_request_finished")
        def stamp(self, response: Response) -> None:
            response.headers["X-Polite"] = "1"

    app = build_app([Polite], {"PLUGBOARD_STRICT": True})
    app.add_url_rule("/", "index", lambda: "index")
    assert app.test_client().get("/").headers["X-Polite"] == "1"
    assert get_state(app).records["polite"].status == "loaded"


def test_a_wrong_specname_is_named_with_its_method() -> None:
    class Wrong(Plugin):
        name = "wrong"

        @hookimpl(specname="plugboard_app_redy")
        def ready(self, app: Flask) -> None:
            pass

    with pytest.raises(PluginFailure) as caught:
        build_app([Wrong], {"PLUGBOARD_STRICT": True})
    assert "'ready' (specname 'plugboard_app_redy')" in str(caught.value)
    assert "did you mean 'plugboard_app_ready'?" in str(caught.value)


def test_secrets_are_redacted_in_log_lines(caplog: pytest.LogCaptureFixture) -> None:
    app = make([Configurable], CONFIGURABLE_API_KEY="sk-live-abcdef123")
    with caplog.at_level(logging.INFO):
        app.logger.info("calling upstream with key sk-live-abcdef123")
    assert "sk-live-abcdef123" not in caplog.text
    assert "calling upstream with key ***" in caplog.text


def _write_dist(root: Path, dist: str, module: str, source: str, entry_points: str) -> None:
    (root / f"{module}.py").write_text(textwrap.dedent(source))
    info = root / f"{dist}-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(textwrap.dedent(entry_points))


@pytest.fixture
def installed_plugin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    _write_dist(
        tmp_path,
        "plugboard_shout",
        "plugboard_shout",
        """
        from flask_plugboard import Plugin

        class Shout(Plugin):
            name = "shout"
            version = "1.0"
            description = "Shouts."

            def setup(self, app, settings):
                app.add_url_rule("/shout", "shout", lambda: "HEY")
        """,
        """
        [plugboard]
        shout = plugboard_shout:Shout
        """,
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    return tmp_path


def test_entry_point_plugins_load_when_no_allow_list(installed_plugin: Path) -> None:
    app = Flask("a")
    app.config["TESTING"] = True
    Plugboard(app)
    record = get_state(app).records["shout"]
    assert record.source == "entry point (plugboard_shout 1.0)"
    assert app.test_client().get("/shout").text == "HEY"


def test_allow_list_keeps_installed_plugins_out(installed_plugin: Path) -> None:
    app = build_app([], {"PLUGBOARD_PLUGINS": ["timer"]})
    assert "shout" not in get_state(app).records
    app = build_app([], {"PLUGBOARD_PLUGINS": "shout, timer"})
    assert [r.name for r in get_state(app).loaded()] == ["shout", "timer"]


def test_plugins_setting_from_the_environment(
    installed_plugin: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FLASK_PLUGBOARD_PLUGINS", '["shout"]')
    app = Flask("a")
    app.config["TESTING"] = True
    Plugboard(app)
    assert list(get_state(app).records) == ["shout"]


def test_secrets_are_redacted_in_start_up_failures_and_tracebacks(
    caplog: pytest.LogCaptureFixture,
) -> None:
    class LeaksKey(Plugin):
        name = "leaks_key"
        Settings = StrictSettings

        def setup(self, app: Flask, settings: Any) -> None:
            raise RuntimeError(f"could not connect with key={settings.api_key}")

    with caplog.at_level(logging.ERROR):
        app = make([LeaksKey], LEAKS_KEY_API_KEY="supersecret123")
    assert "supersecret123" not in caplog.text
    assert "could not connect with key=***" in caplog.text
    assert "traceback hidden" in caplog.text
    assert get_state(app).records["leaks_key"].status == "failed (init)"


def test_strict_failure_message_does_not_carry_secrets() -> None:
    class LeaksKey(Plugin):
        name = "leaks_key"
        Settings = StrictSettings

        def setup(self, app: Flask, settings: Any) -> None:
            raise RuntimeError(f"could not connect with key={settings.api_key}")

    with pytest.raises(PluginFailure) as info:
        build_app([LeaksKey], {"LEAKS_KEY_API_KEY": "supersecret123"})
    assert "supersecret123" not in str(info.value)
    assert "key=***" in str(info.value)
    assert info.value.__cause__ is None and info.value.__suppress_context__


def test_trusted_proxies_make_remote_addr_the_client() -> None:
    def setup(app: Flask) -> None:
        app.add_url_rule("/ip", "ip", lambda: request.remote_addr or "")

    from flask import request

    headers = {"X-Forwarded-For": "203.0.113.9, 10.0.0.2"}
    direct = build_app([], setup=setup).test_client()
    assert direct.get("/ip", headers=headers, environ_base={"REMOTE_ADDR": "10.0.0.1"}).text == (
        "10.0.0.1"
    )
    one = build_app([], {"PLUGBOARD_PROXIES": 1}, setup=setup).test_client()
    assert one.get("/ip", headers=headers, environ_base={"REMOTE_ADDR": "10.0.0.1"}).text == (
        "10.0.0.2"
    )
    two = build_app([], {"PLUGBOARD_PROXIES": 2}, setup=setup).test_client()
    assert two.get("/ip", headers=headers, environ_base={"REMOTE_ADDR": "10.0.0.1"}).text == (
        "203.0.113.9"
    )


def test_a_forwarded_prefix_is_ignored_unless_the_proxy_settings_trust_it() -> None:
    from flask import request

    def setup(app: Flask) -> None:
        app.add_url_rule("/root", "root", lambda: request.url_root)

    headers = {"X-Forwarded-Prefix": "/evil", "X-Forwarded-Proto": "https"}
    proxied = build_app([], {"PLUGBOARD_PROXIES": 1}, setup=setup).test_client()
    assert proxied.get("/root", headers=headers).text == "https://localhost/"
    trusted = build_app(
        [], {"PLUGBOARD_PROXIES": 1, "PLUGBOARD_PROXY_PREFIX": True}, setup=setup
    ).test_client()
    assert trusted.get("/root", headers=headers).text == "https://localhost/evil/"


def test_middleware_of_a_failed_plugin_is_removed() -> None:
    class WrapsThenFails(Plugin):
        name = "wraps_then_fails"

        def setup(self, app: Flask, settings: Any) -> None:
            inner = app.wsgi_app

            def middleware(environ: Any, start_response: Any) -> Any:
                raise RuntimeError("should never run")

            app.wsgi_app = middleware  # type: ignore[method-assign]
            _ = inner
            raise RuntimeError("late failure")

    app = make([WrapsThenFails])
    assert app.test_client().get("/").text == "index"
