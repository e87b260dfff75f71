"""``flask plugins list | show | order | doctor``: what a user reads in the terminal."""

from __future__ import annotations

import dataclasses
import importlib.util
import json
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import Result
from flask import Blueprint, Flask, Request, Response, render_template

from flask_plugboard import Plugin, hookimpl, plugin_blueprint, setting
from flask_plugboard.testing import build_app

SECRET = "sk-live-0123456789"


class Hello(Plugin):
    name = "hello"
    version = "1.2.0"
    description = "Says hello."

    def setup(self, app: Flask, settings: Any) -> None:
        app.add_url_rule("/hello", "hello", lambda: "hello")

    @hookimpl
    def plugboard_request_finished(self, request: Request, response: Response) -> None:
        response.headers["X-Hello"] = "1"


@dataclasses.dataclass(frozen=True)
class ClockSettings:
    slow_threshold: float = setting(1.0, min=0, doc="Seconds after which a request is slow.")
    api_key: str = setting("", secret=True, doc="Key of the metrics service.")


class Clock(Plugin):
    name = "clock"
    version = "0.3.0"
    description = "Times requests."
    requires = ("hello>=1.0",)
    host_versions = ">=0.1"
    Settings = ClockSettings

    def setup(self, app: Flask, settings: ClockSettings) -> None:
        @app.cli.command("clock-report")
        def report() -> None:
            """Print the slow requests."""


class BrokenInit(Plugin):
    name = "broken_init"

    def setup(self, app: Flask, settings: Any) -> None:
        raise RuntimeError("database unreachable")


class CycleA(Plugin):
    name = "cycle_a"
    requires = ("cycle_b",)


class CycleB(Plugin):
    name = "cycle_b"
    requires = ("cycle_a",)


class TooNew(Plugin):
    name = "too_new"
    requires = ("hello>=2",)


class FutureHost(Plugin):
    name = "future_host"
    host_versions = ">=99"


@dataclasses.dataclass(frozen=True)
class MailerSettings:
    password: str = setting(secret=True, doc="The SMTP password.")


class Mailer(Plugin):
    name = "mailer"
    Settings = MailerSettings


class HelloAgain(Plugin):
    name = "hello_again"

    def setup(self, app: Flask, settings: Any) -> None:
        app.add_url_rule("/hello", "hello_again", lambda: "hello again", methods=["GET", "POST"])


class About(Plugin):
    name = "about"

    def setup(self, app: Flask, settings: Any) -> None:
        app.add_url_rule("/about", "plugin_about", lambda: "plugin about")


class Flaky(Plugin):
    name = "flaky"

    @hookimpl
    def plugboard_request_finished(self, request: Request, response: Response) -> None:
        raise ValueError("collector bug")


def lenient(plugins: list[Any], **config: Any) -> Flask:
    """An app that starts without the plugins that fail, as in production."""
    return build_app(plugins, {"PLUGBOARD_STRICT": False, **config})


def run(app: Flask, *args: str) -> Result:
    return app.test_cli_runner().invoke(args=["plugins", *args])


@pytest.fixture
def mixed_app() -> Flask:
    """Plugins failing at each phase next to healthy ones."""
    return lenient(
        [Hello, Clock, BrokenInit, CycleA, CycleB],
        PLUGBOARD_PLUGINS=["nowhere_such_module:Thing"],
        CLOCK_SLOW_THRESHOLD=2.5,
        CLOCK_API_KEY=SECRET,
    )


# -- list -------------------------------------------------------------------------------


def test_list_shows_every_plugin_in_aligned_columns(mixed_app: Flask) -> None:
    result = run(mixed_app, "list")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    header = lines[0]
    assert header.split() == ["NAME", "VERSION", "STATUS", "SOURCE", "HOOKS", "ROUTES"]
    rows = {line.split()[0]: line for line in lines[1:] if not line.startswith(" ")}
    assert set(rows) == {"hello", "clock", "broken_init", "cycle_a", "cycle_b", "thing"}
    status_column = header.index("STATUS")
    for row in rows.values():
        assert row[status_column - 1] == " " and row[status_column] != " "
    assert "1.2.0" in rows["hello"] and "loaded" in rows["hello"]
    assert rows["hello"].split()[-2:] == ["1", "1"]  # one hook, one route
    assert "failed (init)" in rows["broken_init"]
    assert "failed (import)" in rows["thing"]
    assert "import path nowhere_such_module:Thing" in rows["thing"]
    assert "failed (requirements)" in rows["cycle_a"]


def test_list_puts_each_error_on_an_indented_line_below_its_plugin(mixed_app: Flask) -> None:
    lines = run(mixed_app, "list").output.splitlines()
    below = lines[[n for n, line in enumerate(lines) if line.startswith("broken_init")][0] + 1]
    assert below.startswith("    ")
    assert "RuntimeError: database unreachable" in below
    assert any(
        line.startswith("    ") and "requirement cycle: cycle_a -> cycle_b -> cycle_a" in line
        for line in lines
    )
    assert any("No module named 'nowhere_such_module'" in line for line in lines)


def test_list_json(mixed_app: Flask) -> None:
    result = run(mixed_app, "list", "--json")
    assert result.exit_code == 0
    data = {item["name"]: item for item in json.loads(result.output)}
    assert data["hello"]["status"] == "loaded"
    assert data["hello"]["hooks"] == ["plugboard_request_finished"]
    assert data["hello"]["routes"] == ["GET /hello"]
    assert data["clock"]["commands"] == ["clock-report"]
    assert data["broken_init"]["failure"] == {
        "phase": "init",
        "error": "RuntimeError: database unreachable",
    }
    assert SECRET not in result.output


def test_list_of_an_app_without_plugins_says_where_to_look() -> None:
    result = run(build_app([]), "list")
    assert result.exit_code == 0
    assert "flask plugins list --available" in result.output


def test_list_available_names_what_plugboard_plugins_accepts() -> None:
    app = build_app([Hello])
    result = run(app, "list", "--available")
    assert result.exit_code == 0
    timer = next(line for line in result.output.splitlines() if line.startswith("timer"))
    assert "not enabled" in timer and "bundled" in timer
    data = json.loads(run(app, "list", "--available", "--json").output)
    assert {"name": "timer", "source": "bundled (flask_plugboard.plugins.timer:Timer)",
            "status": None} in data  # fmt: skip


# -- show -------------------------------------------------------------------------------


def test_show_prints_metadata_settings_hooks_routes_and_commands(mixed_app: Flask) -> None:
    result = run(mixed_app, "show", "clock")
    assert result.exit_code == 0, result.output
    out = result.output
    assert out.startswith("clock 0.3.0: loaded\n  Times requests.")
    assert "requires       hello>=1.0" in out
    assert "host versions  >=0.1" in out
    assert "commands       clock-report" in out
    assert "CLOCK_SLOW_THRESHOLD = 2.5\n" in out
    assert "float, default 1.0. Seconds after which a request is slow." in out
    assert "CLOCK_API_KEY = ***\n" in out
    assert "str, secret, default ''. Key of the metrics service." in out
    assert SECRET not in out


def test_show_hooks_and_routes(mixed_app: Flask) -> None:
    out = run(mixed_app, "show", "hello").output
    assert "hooks          plugboard_request_finished" in out
    assert "routes\n  GET /hello" in out
    assert "settings\n  (none declared)" in out


def test_show_a_failed_plugin_gives_the_phase_and_error(mixed_app: Flask) -> None:
    out = run(mixed_app, "show", "broken_init").output
    assert "status         failed (init)" in out
    assert "error          at init: RuntimeError: database unreachable" in out


def test_show_a_plugin_with_a_bad_setting_still_hides_its_secret() -> None:
    app = lenient([Hello, Clock], CLOCK_SLOW_THRESHOLD=-1, CLOCK_API_KEY=SECRET)
    out = run(app, "show", "clock").output
    assert "failed (validate)" in out
    assert "CLOCK_SLOW_THRESHOLD = -1\n" in out
    assert "CLOCK_API_KEY = ***\n" in out
    assert SECRET not in out


def test_show_a_required_setting_that_is_missing() -> None:
    out = run(lenient([Mailer]), "show", "mailer").output
    assert "MAILER_PASSWORD = (not set; required)" in out
    assert "str, secret, required. The SMTP password." in out


def test_show_unknown_plugin_is_a_usage_error_naming_the_known_ones(mixed_app: Flask) -> None:
    result = run(mixed_app, "show", "nope")
    assert result.exit_code == 2
    assert "no plugin named 'nope' on this app" in result.output
    assert "hello, clock" in result.output


def test_show_an_installed_plugin_that_is_not_enabled_says_how_to_enable_it() -> None:
    result = run(build_app([Hello]), "show", "timer")
    assert result.exit_code == 2
    assert "installed but not enabled on this app: add it to PLUGBOARD_PLUGINS" in result.output


# -- order ------------------------------------------------------------------------------


def test_order_numbers_the_plugins_with_reasons_then_the_left_out(mixed_app: Flask) -> None:
    result = run(mixed_app, "order")
    assert result.exit_code == 1  # plugins are left out: a script must notice
    out = result.output
    assert "  1. hello: (no requirements)" in out
    assert "  2. clock: after hello (requires hello)" in out
    assert "  3. broken_init: (no requirements)" in out
    assert "then failed at init: RuntimeError: database unreachable" in out
    left_out = out.split("left out\n")[1]
    assert "cycle_a: failed at requirements:" in left_out
    assert "is part of a requirement cycle: cycle_a -> cycle_b -> cycle_a" in left_out
    assert "thing: failed at import:" in left_out


# -- doctor -----------------------------------------------------------------------------


def test_doctor_passes_on_a_healthy_app() -> None:
    app = build_app([Hello, Clock])
    result = run(app, "doctor")
    assert result.exit_code == 0, result.output
    assert "FAIL" not in result.output
    assert "OK   clock requires hello>=1.0: hello 1.2.0" in result.output
    assert "OK   clock supports Plugboard >=0.1" in result.output
    assert "OK   clock: 2 settings valid" in result.output
    assert "No problems found." in result.output


def test_doctor_reports_failed_plugins_and_exits_1(mixed_app: Flask) -> None:
    result = run(mixed_app, "doctor")
    assert result.exit_code == 1
    out = result.output
    assert "OK   hello 1.2.0 loaded" in out
    assert "FAIL broken_init failed at init: RuntimeError: database unreachable" in out
    assert "FAIL cycle_a failed at requirements:" in out
    assert "FAIL thing failed at import:" in out
    assert out.rstrip().endswith("6 problems found.")  # the cycle's two, twice: see below


def test_doctor_shows_a_misspelt_hook_as_a_failure() -> None:
    class Misspelt(Plugin):
        name = "misspelt"

        @hookimpl
        def plugboard_request_finised(self, request: Request, response: Response) -> None:
            pass

    result = run(lenient([Hello, Misspelt]), "doctor")
    assert result.exit_code == 1
    assert (
        "FAIL misspelt failed at hooks: hook implementation 'plugboard_request_finised' "
        "matches no hookspec" in result.output
    )
    assert "did you mean 'plugboard_request_finished'?" in result.output


def test_settings_are_parsed_once_for_start_up_doctor_and_listings() -> None:
    parsed: list[int] = []

    @dataclasses.dataclass(frozen=True)
    class CountedSettings:
        limit: int = setting(3, min=1, doc="A limit.")

        def __post_init__(self) -> None:
            parsed.append(self.limit)

    class Counted(Plugin):
        name = "counted"
        Settings = CountedSettings

        def setup(self, app: Flask, settings: CountedSettings) -> None:
            assert settings.limit == 7

    app = build_app([Counted], {"COUNTED_LIMIT": 7})
    assert "OK   counted: 1 setting valid" in run(app, "doctor").output
    listed = json.loads(run(app, "list", "--json").output)
    assert [p["settings"] for p in listed] == [{"limit": 7}]
    assert "limit" in run(app, "show", "counted").output
    assert parsed == [7]


def test_doctor_shows_the_settings_error_found_at_start_up() -> None:
    out = run(lenient([Clock, Hello], CLOCK_SLOW_THRESHOLD=-1), "doctor").output
    assert "FAIL clock failed at validate: CLOCK_SLOW_THRESHOLD = -1 is not valid" in out
    assert "FAIL clock: CLOCK_SLOW_THRESHOLD = -1 is not valid for plugin 'clock'" in out


def test_doctor_checks_requirement_and_host_version_ranges() -> None:
    out = run(lenient([Hello, TooNew, FutureHost]), "doctor").output
    assert (
        "FAIL too_new requires hello>=2, but hello is version 1.2.0: "
        "install a version matching >=2"
    ) in out
    assert "FAIL future_host supports Plugboard >=99, but this is Plugboard 0.1.0" in out


def test_doctor_reports_a_required_setting_that_is_missing() -> None:
    result = run(lenient([Mailer]), "doctor")
    assert result.exit_code == 1
    assert (
        "FAIL mailer: MAILER_PASSWORD is required and not set: set it in app.config "
        "or the environment variable FLASK_MAILER_PASSWORD (The SMTP password.)"
    ) in result.output


def test_doctor_finds_routes_registered_twice() -> None:
    def app_routes(app: Flask) -> None:
        app.add_url_rule("/about", "about", lambda: "app about")

    app = build_app(
        [Hello, HelloAgain, About], {"PLUGBOARD_STRICT": False}, setup=app_routes
    )
    result = run(app, "doctor")
    assert result.exit_code == 1
    assert (
        "FAIL GET /hello is registered by plugin 'hello' and by plugin 'hello_again'; "
        "only one of them answers: change one of the two rules"
    ) in result.output
    assert "FAIL GET /about is registered by the app and by plugin 'about'" in result.output


def test_doctor_tells_a_plugin_with_a_blueprint_to_move_it() -> None:
    class Greeter(Plugin):
        name = "greeter"

        def blueprint(self, app: Flask, settings: Any) -> Blueprint:
            bp = Blueprint("greeter", __name__)
            bp.add_url_rule("/hello", "hello", lambda: "greetings")
            return bp

    result = run(build_app([Hello, Greeter]), "doctor")
    assert (
        "FAIL GET /hello is registered by plugin 'hello' and by plugin 'greeter'; only one "
        "of them answers: move plugin 'greeter' with GREETER_URL_PREFIX"
    ) in result.output


def test_doctor_accepts_the_same_path_with_other_methods() -> None:
    class Poster(Plugin):
        name = "poster"

        def setup(self, app: Flask, settings: Any) -> None:
            app.add_url_rule("/hello", "post_hello", lambda: "posted", methods=["POST"])

    out = run(build_app([Hello, Poster]), "doctor").output
    assert "OK   no route clashes" in out


def test_doctor_suggests_the_setting_a_config_key_misspells() -> None:
    app = build_app(
        [Hello, Clock],
        {"CLOCK_SLOW_TRESHOLD": 3, "CLOCK_COLOUR": "red", "PLUGBOARD_QUARANTINE": 2},
    )
    result = run(app, "doctor")
    assert result.exit_code == 1
    out = result.output
    assert (
        "FAIL CLOCK_SLOW_TRESHOLD is set but is not a setting of plugin 'clock': "
        "did you mean CLOCK_SLOW_THRESHOLD?"
    ) in out
    assert (
        "FAIL CLOCK_COLOUR is set but is not a setting of plugin 'clock': its settings are "
        "CLOCK_API_KEY, CLOCK_SLOW_THRESHOLD, CLOCK_URL_PREFIX"
    ) in out
    assert "did you mean PLUGBOARD_QUARANTINE_AFTER?" in out


def test_doctor_leaves_flask_keys_and_the_url_prefix_alone() -> None:
    class Session(Plugin):
        name = "session"

    app = build_app([Session], {"SESSION_URL_PREFIX": "/s", "SESSION_COOKIE_NAME": "sid"})
    result = run(app, "doctor")
    assert result.exit_code == 0, result.output


def test_doctor_reports_a_quarantined_plugin() -> None:
    app = build_app([Flaky], {"PLUGBOARD_QUARANTINE_AFTER": 1})
    app.add_url_rule("/", "index", lambda: "ok")
    assert app.test_client().get("/").status_code == 200
    result = run(app, "doctor")
    assert result.exit_code == 1
    assert (
        "FAIL flaky is quarantined after 1 hook failure (last: plugboard_request_finished: "
        "ValueError: collector bug): its hooks no longer run"
    ) in result.output
    show = run(app, "show", "flaky").output
    assert "flaky 0: quarantined" in show
    assert "last error     plugboard_request_finished: ValueError: collector bug" in show


def test_doctor_reports_members_of_a_requirement_cycle_as_failed(mixed_app: Flask) -> None:
    requirements = run(mixed_app, "doctor").output.split("requirements\n")[1].split("host")[0]
    assert (
        "FAIL cycle_a is not loaded: plugin 'cycle_a' is part of a requirement cycle: "
        "cycle_a -> cycle_b -> cycle_a"
    ) in requirements
    assert "FAIL cycle_b is not loaded:" in requirements
    assert "OK   cycle_a" not in requirements
    assert "OK   cycle_b" not in requirements


def test_doctor_says_a_requirement_failed_rather_than_that_it_is_missing() -> None:
    class NeedsBroken(Plugin):
        name = "needs_broken"
        requires = ("broken_init",)

    out = run(lenient([BrokenInit, NeedsBroken]), "doctor").output
    assert (
        "FAIL needs_broken is not loaded: plugin 'needs_broken' requires 'broken_init', "
        "which failed at init: RuntimeError: database unreachable"
    ) in out
    assert "not enabled" not in out


def test_order_exits_0_when_every_plugin_loads() -> None:
    result = run(build_app([Hello, Clock]), "order")
    assert result.exit_code == 0, result.output
    assert "left out" not in result.output


def _reporter(plugin_name: str) -> type[Plugin]:
    class Reporter(Plugin):
        name = plugin_name

        def setup(self, app: Flask, settings: Any) -> None:
            @app.cli.command("report")
            def report() -> None:
                """Print a report."""
                click.echo(plugin_name)

    return Reporter


def test_two_plugins_registering_one_command_are_named_at_start_up_and_by_doctor(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level("WARNING", logger="flask_plugboard"):
        app = build_app([_reporter("first"), _reporter("second")])
    clash = (
        "the command 'flask report' is registered by plugins 'first' and 'second'; only "
        "'second''s runs: rename the command of one of them"
    )
    assert clash in caplog.messages
    result = run(app, "doctor")
    assert result.exit_code == 1
    assert f"FAIL {clash}" in result.output
    assert app.test_cli_runner().invoke(args=["report"]).output == "second\n"


def test_a_plugin_that_fails_after_replacing_a_command_gives_it_back() -> None:
    class Replacer(Plugin):
        name = "replacer"

        def setup(self, app: Flask, settings: Any) -> None:
            @app.cli.command("report")
            def report() -> None:
                click.echo("replacer")

            raise RuntimeError("half-way")

    app = lenient([_reporter("first"), Replacer])
    assert app.test_cli_runner().invoke(args=["report"]).output == "first\n"


def _templated(plugin_name: str, root: Path) -> type[Plugin]:
    (root / "templates").mkdir(parents=True)
    (root / "templates" / "page.html").write_text(plugin_name)

    class Templated(Plugin):
        name = plugin_name

        def blueprint(self, app: Flask, settings: Any) -> Blueprint:
            bp = plugin_blueprint(self, __name__, root_path=str(root))
            bp.add_url_rule("/page", "page", lambda: render_template("page.html"))
            return bp

    return Templated


def test_two_plugins_with_one_template_name_are_named_at_start_up_and_by_doctor(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    plugins = [_templated("first", tmp_path / "a"), _templated("second", tmp_path / "b")]
    with caplog.at_level("WARNING", logger="flask_plugboard"):
        app = build_app(plugins, {"FIRST_URL_PREFIX": "/first", "SECOND_URL_PREFIX": "/second"})
    clash = (
        "the template 'page.html' is in plugins 'first' and 'second'; Flask renders "
        "'first''s for all of them: keep each plugin's templates under "
        "templates/<plugin name>/"
    )
    assert clash in caplog.messages
    assert app.test_client().get("/second/page").get_data(as_text=True) == "first"
    result = run(app, "doctor")
    assert result.exit_code == 1
    assert f"FAIL {clash}" in result.output


def test_an_apps_own_template_of_a_plugins_name_is_an_override_not_a_clash(
    tmp_path: Path,
) -> None:
    app = build_app([_templated("first", tmp_path / "a")])
    assert "OK   no template clashes" in run(app, "doctor").output


# -- wiring -----------------------------------------------------------------------------


def test_every_app_gets_its_own_plugins_group() -> None:
    first, second = build_app([Hello]), build_app([])
    assert first.cli.commands["plugins"] is not second.cli.commands["plugins"]
    group = first.cli.commands["plugins"]
    assert isinstance(group, click.Group)
    assert {"list", "show", "order", "doctor", "new"} <= set(group.commands)


@pytest.mark.skipif(
    importlib.util.find_spec("flask_plugboard._migrate") is None,
    reason="the migrations module (flask_plugboard._migrate) is not written yet",
)
def test_the_db_group_is_under_flask_and_under_plugins() -> None:
    app = build_app([])
    group = app.cli.commands["plugins"]
    assert isinstance(group, click.Group)
    assert app.cli.commands["db"] is group.commands["db"]


def test_a_secret_in_an_error_message_is_hidden_everywhere() -> None:
    @dataclasses.dataclass(frozen=True)
    class LeakySettings:
        password: str = setting(secret=True, doc="The password.")

    class Leaky(Plugin):
        name = "leaky"
        Settings = LeakySettings

        def setup(self, app: Flask, settings: LeakySettings) -> None:
            raise RuntimeError(f"cannot log in with {settings.password}")

    app = lenient([Leaky], LEAKY_PASSWORD=SECRET)
    for args in (["list"], ["list", "--json"], ["show", "leaky"], ["order"], ["doctor"]):
        output = run(app, *args).output
        assert "cannot log in with ***" in output, args
        assert SECRET not in output, args
