"""Shared test setup: the real PostgreSQL and Redis servers, when present."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

pytest_plugins = ["pytester"]



@pytest.fixture
def auth_database(plugboard_database: dict[str, Any]) -> dict[str, Any]:
    """Config of a database the test owns (``plugboard_database``: SQLite and PostgreSQL)."""
    return plugboard_database


@pytest.fixture
def make_auth_app(auth_database: dict[str, Any], tmp_path: Path) -> Iterator[Callable[..., Flask]]:
    """``make_auth_app(plugins=(Auth,), **config)``: an auth app on ``auth_database``
    (SQLite and the real PostgreSQL), tables created; connections closed afterwards."""
    from auth_support import auth_app, dispose

    apps: list[Flask] = []

    def make(plugins: Any = None, **config: Any) -> Flask:
        extra = {} if plugins is None else {"plugins": plugins}
        app = auth_app(tmp_path / f"instance{len(apps)}", {**auth_database, **config}, **extra)
        apps.append(app)
        return app

    yield make
    for app in apps:
        dispose(app)
