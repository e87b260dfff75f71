"""Secret setting values never reach a log line: any logger, any handler, tracebacks too."""

from __future__ import annotations

import dataclasses
import io
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask

from flask_plugboard import Plugin, UnsafeToStartError, setting
from flask_plugboard.testing import build_app

SECRET = "sk-live-abcdef123"


@dataclasses.dataclass(frozen=True)
class KeySettings:
    api_key: str = setting("", secret=True, doc="A key.")


class Keyed(Plugin):
    name = "keyed"
    Settings = KeySettings

    def setup(self, app: Flask, settings: Any) -> None:
        def fail() -> str:
            raise RuntimeError(f"upstream refused key {settings.api_key}")

        def plain() -> str:
            raise LookupError("no row 42")

        app.add_url_rule("/fail", "fail", fail)
        app.add_url_rule("/plain", "plain", plain)


@pytest.fixture
def late_handler() -> Iterator[io.StringIO]:
    """A handler on the root logger, added after the app started, printing tracebacks."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    yield stream
    root.removeHandler(handler)
    root.setLevel(level)


@pytest.mark.parametrize("name", ["myplugin.client", "", "werkzeug", "keyed.sub"])
def test_every_logger_is_redacted(name: str, late_handler: io.StringIO) -> None:
    build_app([Keyed], {"KEYED_API_KEY": SECRET})
    logging.getLogger(name).warning("calling upstream with key %s", SECRET)
    assert SECRET not in late_handler.getvalue()
    assert "calling upstream with key ***" in late_handler.getvalue()


def test_a_handler_added_later_sees_redacted_text(late_handler: io.StringIO) -> None:
    app = build_app([Keyed], {"KEYED_API_KEY": SECRET})
    app.logger.error("key=%s", SECRET)
    assert late_handler.getvalue() == "key=***\n"


def test_messages_without_secrets_keep_their_arguments(caplog: pytest.LogCaptureFixture) -> None:
    build_app([Keyed], {"KEYED_API_KEY": SECRET})
    with caplog.at_level(logging.INFO):
        logging.getLogger("myplugin").info("%d items", 3)
    assert [(r.msg, r.args) for r in caplog.records] == [("%d items", (3,))]


def test_a_500_keeps_its_traceback_redacted(late_handler: io.StringIO) -> None:
    app = build_app(
        [Keyed],
        {"KEYED_API_KEY": SECRET, "TESTING": False, "PLUGBOARD_ENVIRONMENT": "production"},
    )
    assert app.test_client().get("/fail").status_code == 500
    logged = late_handler.getvalue()
    assert "Exception on /fail [GET]" in logged
    assert "Traceback (most recent call last):" in logged
    assert 'in fail\n    raise RuntimeError(f"upstream refused key {settings.api_key}")' in logged
    assert "RuntimeError: upstream refused key ***" in logged
    assert SECRET not in logged


def test_a_500_without_a_secret_keeps_its_traceback(late_handler: io.StringIO) -> None:
    app = build_app([Keyed], {"KEYED_API_KEY": SECRET, "TESTING": False})
    assert app.test_client().get("/plain").status_code == 500
    logged = late_handler.getvalue()
    assert "Exception on /plain [GET]\nTraceback (most recent call last):" in logged
    assert "LookupError: no row 42" in logged


def test_a_traceback_without_secrets_is_left_alone(caplog: pytest.LogCaptureFixture) -> None:
    build_app([Keyed], {"KEYED_API_KEY": SECRET})
    try:
        raise ValueError("nothing secret")
    except ValueError:
        logging.getLogger("myplugin").exception("boom")
    (record,) = caplog.records
    assert record.exc_info is not None and "ValueError: nothing secret" in caplog.text


def test_a_short_secret_is_refused_in_production() -> None:
    with pytest.raises(UnsafeToStartError, match="KEYED_API_KEY is 3 characters long") as info:
        build_app([Keyed], {"KEYED_API_KEY": "abc", "TESTING": False})
    assert "at least 6" in str(info.value) and "abc" not in str(info.value)


def test_a_short_host_secret_is_refused_in_production() -> None:
    with pytest.raises(UnsafeToStartError, match="PLUGBOARD_REDIS_URL is 4 characters"):
        build_app([], {"PLUGBOARD_REDIS_URL": "r://", "PLUGBOARD_ENVIRONMENT": "production"})


def test_a_short_secret_warns_and_is_redacted_in_development(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING):
        # An unusual value: the secret stays redacted as long as the app lives.
        build_app([Keyed], {"KEYED_API_KEY": "q7Z", "PLUGBOARD_ENVIRONMENT": "development"})
    assert "KEYED_API_KEY is 3 characters long" in caplog.text
    logging.getLogger("myplugin").warning("key q7Z")
    assert caplog.messages[-1] == "key ***"


def test_a_plain_extension_redacts_its_secrets(late_handler: io.StringIO) -> None:
    app = Flask("plain")
    app.config["KEYED_API_KEY"] = SECRET
    Keyed(app)
    logging.getLogger("myplugin.client").warning("key %s", SECRET)
    assert late_handler.getvalue() == "key ***\n"
