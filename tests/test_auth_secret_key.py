"""The SECRET_KEY rule: generated and kept in development, strong or no start in production."""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from auth_support import FAST_ARGON2
from flask_plugboard import Plugboard, UnsafeToStartError
from flask_plugboard.plugins.auth import Auth, check_secret_key


def start(tmp_path: Path, **config: Any) -> Flask:
    """Start an app the way a deployment does: the host, not strict, no TESTING."""
    app = Flask("secret_key_app", instance_path=str(tmp_path / "instance"))
    app.config.update(
        SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'app.sqlite'}",
        PLUGBOARD_PLUGINS=[],
        **FAST_ARGON2,
    )
    app.config.update(config)
    Plugboard(app, plugins=[Auth])
    return app


def test_development_generates_a_key_once_and_keeps_it(tmp_path: Path) -> None:
    first = start(tmp_path, AUTH_ENVIRONMENT="development")
    key = first.config["SECRET_KEY"]
    assert check_secret_key(key) is None
    path = tmp_path / "instance" / "secret_key"
    assert path.read_text().strip() == key
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    # The next start (a restart, another worker) reads the same key: sessions survive.
    assert start(tmp_path, AUTH_ENVIRONMENT="development").config["SECRET_KEY"] == key


def test_debug_or_testing_counts_as_development(tmp_path: Path) -> None:
    assert start(tmp_path, TESTING=True, PLUGBOARD_STRICT=False).config["SECRET_KEY"]
    assert (tmp_path / "instance" / "secret_key").exists()


@pytest.mark.parametrize(
    ("key", "reason"),
    [
        (None, "SECRET_KEY is not set"),
        ("", "SECRET_KEY is not set"),
        ("dev", "well-known"),
        ("you-will-never-guess", "well-known"),
        ("Super Secret Key", "well-known"),
        ("a" * 20, "too short"),
    ],
)
def test_production_refuses_to_start_without_a_strong_key(
    tmp_path: Path, key: str | None, reason: str
) -> None:
    config = {} if key is None else {"SECRET_KEY": key}
    # Not strict, so any other plugin failure would be isolated: this one stops start-up.
    with pytest.raises(UnsafeToStartError, match=reason) as info:
        start(tmp_path, PLUGBOARD_STRICT=False, **config)
    message = str(info.value)
    assert "refuses to start in production" in message and "token_hex" in message
    if key and len(key) > 3:
        assert key not in message  # the key itself is never shown
    assert not (tmp_path / "instance" / "secret_key").exists()


def test_production_starts_with_a_strong_key(tmp_path: Path) -> None:
    key = "8f1c0b7e2d9a4f63b5e0c1d2a3b4c5d6e7f8091a2b3c4d5e"
    app = start(tmp_path, SECRET_KEY=key)
    assert app.config["SECRET_KEY"] == key
    assert not (tmp_path / "instance" / "secret_key").exists()


def test_development_keeps_a_weak_key_it_is_given_but_warns(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="flask_plugboard.plugins.auth"):
        app = start(tmp_path, AUTH_ENVIRONMENT="development", SECRET_KEY="dev")
    assert app.config["SECRET_KEY"] == "dev"
    assert any("never in production" in m for m in caplog.messages)


def test_a_damaged_key_file_is_named_with_the_fix(tmp_path: Path) -> None:
    (tmp_path / "instance").mkdir()
    (tmp_path / "instance" / "secret_key").write_text("short\n")
    with pytest.raises(Exception, match="damaged: delete it"):
        start(tmp_path, AUTH_ENVIRONMENT="development", PLUGBOARD_STRICT=True)


def test_the_production_rule_holds_for_a_plain_extension_too(tmp_path: Path) -> None:
    app = Flask("plain", instance_path=str(tmp_path / "instance"))
    app.config.update(SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'x.sqlite'}")
    with pytest.raises(UnsafeToStartError, match="SECRET_KEY is not set"):
        Auth(app)


def test_production_refuses_reset_links_written_to_the_log(tmp_path: Path) -> None:
    key = "8f1c0b7e2d9a4f63b5e0c1d2a3b4c5d6e7f8091a2b3c4d5e"
    with pytest.raises(Exception, match="AUTH_MAIL_URL sends mail to the log"):
        start(tmp_path, SECRET_KEY=key, AUTH_MAIL_URL="log://", PLUGBOARD_STRICT=True)
    # In development it is the way to read reset mails; without pages nothing is mailed.
    start(tmp_path, AUTH_ENVIRONMENT="development", AUTH_MAIL_URL="log://")
    start(tmp_path / "api", SECRET_KEY=key, AUTH_MAIL_URL="log://", AUTH_PAGES=False)


@pytest.mark.parametrize(
    ("config", "named"),
    [
        ({"JWT_SECRET_KEY": "super-secret"}, "JWT_SECRET_KEY"),  # flask-jwt-extended's README
        ({"AUTH_JWT_KEYS": {"k1": "dev"}}, "AUTH_JWT_KEYS['k1']"),
        ({"AUTH_JWT_KEYS": {"k1": "x" * 40, "k0": "short"}, "AUTH_JWT_KEY_ID": "k1"}, "'k0'"),
    ],
)
def test_production_refuses_weak_token_signing_keys(
    tmp_path: Path, config: dict[str, Any], named: str
) -> None:
    strong = "8f1c0b7e2d9a4f63b5e0c1d2a3b4c5d6e7f8091a2b3c4d5e"
    with pytest.raises(UnsafeToStartError, match="tokens signed with it could be forged") as info:
        start(tmp_path, SECRET_KEY=strong, **config)
    assert named in str(info.value)
    # A developer machine may use them.
    start(tmp_path / "dev", AUTH_ENVIRONMENT="development", **config)
