"""The app's SECRET_KEY: generated and kept in development, required strong in production.

The rule (see docs/batteries/auth.md): AUTH_ENVIRONMENT says which; unset, it is
development when Flask's debug or TESTING is on, production otherwise. So an app started
without being told otherwise is treated as production, the safe side.

- Development: a missing key is generated once (``secrets.token_hex(32)``) and kept in
  the instance folder, readable by the owner only (0600), so sessions survive restarts.
- Production: start-up stops with a :class:`SettingsError` when the key is missing,
  shorter than 32 characters, or a well-known value copied from tutorials.
"""

from __future__ import annotations

import logging
import os
import secrets

from flask import Flask

from flask_plugboard.errors import SettingsError, UnsafeToStartError

__all__ = ["MIN_LENGTH", "WEAK_KEYS", "check_secret_key", "ensure_secret_key", "is_development"]

logger = logging.getLogger("flask_plugboard.plugins.auth")

MIN_LENGTH = 32

#: Values found in tutorials, books and templates; compared ignoring case and spaces.
WEAK_KEYS: frozenset[str] = frozenset(
    {
        "dev",  # the Flask tutorial's
        "development",
        "secret",
        "secretkey",
        "secret-key",
        "secret_key",
        "mysecret",
        "mysecretkey",
        "supersecret",
        "super-secret",
        "super secret key",
        "super-secret-key",
        "changeme",
        "change-me",
        "change_me",
        "changethis",
        "please-change-me",
        "your-secret-key",
        "your-secret-key-here",
        "you-will-never-guess",  # the Flask Mega-Tutorial's
        "hard to guess string",  # "Flask Web Development"'s
        "default",
        "password",
        "test",
        "testing",
        "flask",
        "key",
        "insecure",
        '_5#y2l"f4q8z\n\xec]/',  # the Flask quickstart's example key
    }
)

_FIX = (
    "set SECRET_KEY to a long random value, e.g. the output of "
    "`python -c 'import secrets; print(secrets.token_hex(32))'`, in app.config or the "
    "environment variable FLASK_SECRET_KEY (read by app.config.from_prefixed_env()); "
    "on a developer machine set AUTH_ENVIRONMENT = 'development' to have one generated"
)


def is_development(app: Flask, environment: str | None) -> bool:
    """Apply the rule: AUTH_ENVIRONMENT when set, else debug or TESTING."""
    if environment is not None:
        return environment == "development"
    return bool(app.debug or app.testing)


def _as_text(key: str | bytes) -> str:
    return key.decode("latin-1") if isinstance(key, bytes) else key


def check_secret_key(key: object) -> str | None:
    """Why ``key`` is not fit for production, or None when it is. Never shows the key."""
    if key is None or key == "" or key == b"":
        return "SECRET_KEY is not set"
    if not isinstance(key, str | bytes):
        return f"SECRET_KEY is a {type(key).__name__}, not a string"
    text = _as_text(key)
    if text.strip().lower() in WEAK_KEYS:
        return "SECRET_KEY is a well-known example value that anyone can look up"
    if len(key) < MIN_LENGTH:
        return f"SECRET_KEY is too short ({len(key)} characters, at least {MIN_LENGTH} needed)"
    return None


def ensure_secret_key(app: Flask, environment: str | None, file_name: str) -> None:
    """Make sure ``app`` has a usable SECRET_KEY, or raise :class:`SettingsError`."""
    problem = check_secret_key(app.config.get("SECRET_KEY"))
    if problem is None:
        return
    if not is_development(app, environment):
        raise UnsafeToStartError(
            f"{problem}: the auth plugin refuses to start in production; {_FIX}"
        )
    if app.config.get("SECRET_KEY"):
        logger.warning("%s; fine in development, never in production", problem)
        return
    app.config["SECRET_KEY"] = _kept_key(os.path.join(app.instance_path, file_name))


def _kept_key(path: str) -> str:
    """Read the key kept at ``path``, creating it (mode 0600) on first use."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    try:
        # O_EXCL: of two workers starting together, one writes and the other reads.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        with open(path, encoding="ascii") as f:
            key = f.read().strip()
        if check_secret_key(key) is not None:
            raise SettingsError(
                f"the development secret key file {path} is empty or damaged: delete it "
                "and restart to have a new one generated"
            ) from None
        return key
    key = secrets.token_hex(32)
    with os.fdopen(fd, "w", encoding="ascii") as f:
        f.write(key + "\n")
    logger.info("generated a development SECRET_KEY, kept in %s", path)
    return key
