"""Fixtures of the survey service's tests: the service on SQLite and on the real
PostgreSQL (``plugboard_database``, from flask_plugboard.testing)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from surveys_support import dispose, surveys_app


@pytest.fixture
def make_surveys_app(
    plugboard_database: dict[str, Any], tmp_path: Path
) -> Iterator[Callable[..., Flask]]:
    """``make_surveys_app(**config)``: the service on ``plugboard_database`` (SQLite, and
    PostgreSQL when it answers), migrated; its connections closed afterwards."""
    apps: list[Flask] = []

    def make(**config: Any) -> Flask:
        app = surveys_app(tmp_path / f"instance{len(apps)}", {**plugboard_database, **config})
        apps.append(app)
        return app

    yield make
    for app in apps:
        dispose(app)


@pytest.fixture
def app(make_surveys_app: Callable[..., Flask]) -> Flask:
    """The survey service, on SQLite and on PostgreSQL."""
    return make_surveys_app()


@pytest.fixture
def client(app: Flask) -> Any:
    return app.test_client()
