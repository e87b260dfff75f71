"""A pytest plugin for plugin authors (registered through the ``pytest11`` entry point).

Fixtures:

- ``plugboard_app``: a Flask app with the host and the plugins named by the
  ``@pytest.mark.plugboard(plugins=[...], config={...})`` marker, or else by the
  ``plugboard_plugins`` and ``plugboard_config`` fixtures (override them in a
  ``conftest.py``). ``TESTING`` is on, so a failing plugin fails the test (strict host).
- ``plugboard_client``: ``plugboard_app.test_client()``.
- ``plugboard_runner``: a CLI runner of ``plugboard_app`` that runs commands as ``flask``
  does, inside an app context, so a plugin's plain ``click`` group works as on the
  command line.
- ``make_plugboard_app``: the factory behind ``plugboard_app``, for tests that need
  several apps or a recorder from the start.
- ``hook_recorder``: records every hook call on ``plugboard_app`` from the moment it is
  requested (name, arguments, result or exception). Context proxies among the arguments
  (``flask.request``) are recorded as the objects they stood for, usable after the request.
- ``postgres_url`` and ``redis_url``: the real servers named by
  ``PLUGBOARD_TEST_POSTGRES_URL`` (default ``postgresql+psycopg://postgres@127.0.0.1:5432/test``)
  and ``PLUGBOARD_TEST_REDIS_URL`` (default ``redis://127.0.0.1:6379/0``); the test is
  skipped, saying why, when the server does not answer or its driver is not installed.
- ``plugboard_database``: config (``{"SQLALCHEMY_DATABASE_URI": ...}``) of a database the
  test owns, once on a SQLite file and once (marked ``postgres``) on a fresh schema of the
  real PostgreSQL, dropped afterwards. It creates no table: return it from
  ``plugboard_config`` and call ``flask_plugboard.db.upgrade_database(plugboard_app)``.

Config precedence, lowest first: the kit's ``TESTING=True``, a random ``SECRET_KEY`` and
``PLUGBOARD_PLUGINS=[]`` (no entry-point plugin loads unless named), then the
``plugboard_config`` fixture, then the marker's ``config``. The marker's ``plugins``
replace the ``plugboard_plugins`` fixture's.
"""

from __future__ import annotations

import contextlib
import dataclasses
import importlib
import os
import secrets
import socket
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pluggy
import pytest
from click.testing import Result
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from werkzeug.local import LocalProxy

from .._host import Plugboard
from .._state import get_state
from ..plugin import Plugin

__all__ = [
    "POSTGRES_URL",
    "REDIS_URL",
    "HookCall",
    "HookRecorder",
    "PlugboardCliRunner",
    "build_app",
    "postgres_schema",
    "schema_url",
]

#: The PostgreSQL and Redis servers that database and Redis tests use.
POSTGRES_URL = os.environ.get(
    "PLUGBOARD_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
REDIS_URL = os.environ.get("PLUGBOARD_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


@dataclasses.dataclass(frozen=True)
class HookCall:
    """One recorded hook call."""

    name: str
    kwargs: Mapping[str, Any]
    result: Any
    exception: BaseException | None
    plugins: tuple[str, ...]


class HookRecorder:
    """Records the hook calls of one app's plugin manager."""

    def __init__(self, pm: pluggy.PluginManager) -> None:
        self.calls: list[HookCall] = []
        self._undo = pm.add_hookcall_monitoring(self._before, self._after)

    def _before(self, hook_name: str, hook_impls: Sequence[Any], kwargs: Mapping[str, Any]) -> None:
        return None

    def _after(
        self,
        outcome: pluggy.Result[Any],
        hook_name: str,
        hook_impls: Sequence[Any],
        kwargs: Mapping[str, Any],
    ) -> None:
        exc = outcome.exception
        self.calls.append(
            HookCall(
                name=hook_name,
                kwargs={key: _unproxied(value) for key, value in kwargs.items()},
                result=None if exc is not None else outcome.get_result(),
                exception=exc,
                plugins=tuple(impl.plugin_name for impl in hook_impls),
            )
        )

    def names(self) -> list[str]:
        """Names of the hooks called, in order."""
        return [c.name for c in self.calls]

    def calls_for(self, name: str) -> list[HookCall]:
        """Every recorded call of the hook ``name``."""
        return [c for c in self.calls if c.name == name]

    def clear(self) -> None:
        self.calls.clear()

    def close(self) -> None:
        """Stop recording."""
        self._undo()


def _unproxied(value: Any) -> Any:
    """The object behind a context proxy (``flask.request``), which outlives the context."""
    if isinstance(value, LocalProxy):
        return value._get_current_object()
    return value


class PlugboardCliRunner(FlaskCliRunner):
    """A CLI runner that runs the app's commands as ``flask`` does: in an app context.

    Flask's own runner invokes ``app.cli`` bare, so a command added with
    ``app.cli.add_command(click_group)`` (not through ``AppGroup``) finds no app context,
    where ``flask`` (whose ``FlaskGroup`` pushes one) runs it fine.
    """

    # Same signature as FlaskCliRunner.invoke, which itself departs from click's.
    def invoke(  # type: ignore[override]
        self, cli: Any = None, args: Any = None, **kwargs: Any
    ) -> Result:
        with self.app.app_context():
            return super().invoke(cli, args, **kwargs)


def build_app(
    plugins: Iterable[Plugin | type[Plugin]] = (),
    config: Mapping[str, Any] | None = None,
    *,
    instance_path: str | None = None,
    import_name: str = "plugboard_test_app",
    setup: Callable[[Flask], None] | None = None,
) -> Flask:
    """Build a test app: ``TESTING`` on, a random secret key, no entry-point plugins
    unless ``config`` sets ``PLUGBOARD_PLUGINS``; ``setup(app)`` runs before the host.
    """
    app = Flask(import_name, instance_path=instance_path)
    app.config.update(TESTING=True, SECRET_KEY=secrets.token_hex(32), PLUGBOARD_PLUGINS=[])
    app.config.update(config or {})
    if setup is not None:
        setup(app)
    Plugboard(app, plugins=plugins)
    return app


@pytest.fixture
def plugboard_plugins() -> list[Plugin | type[Plugin]]:
    """Plugins for ``plugboard_app`` when no ``plugboard`` marker names them."""
    return []


@pytest.fixture
def plugboard_config() -> dict[str, Any]:
    """Config for ``plugboard_app`` when no ``plugboard`` marker gives it."""
    return {}


@pytest.fixture
def make_plugboard_app(tmp_path: Path) -> Iterator[Callable[..., Flask]]:
    """Factory: ``make_plugboard_app(plugins=[...], config={...})`` -> app. The database
    connections of the apps it made are closed after the test."""
    apps: list[Flask] = []

    def make(
        plugins: Iterable[Plugin | type[Plugin]] = (),
        config: Mapping[str, Any] | None = None,
        **kwargs: Any,
    ) -> Flask:
        kwargs.setdefault("instance_path", str(tmp_path / "instance"))
        app = build_app(plugins, config, **kwargs)
        apps.append(app)
        return app

    yield make
    for app in apps:
        _close_connections(app)


def _close_connections(app: Flask) -> None:
    """Close the pooled connections of ``app``'s Flask-SQLAlchemy engines, if it has any:
    left to the garbage collector, they would warn (an error under ``-W error``)."""
    db = app.extensions.get("sqlalchemy")
    if db is None:
        return
    with app.app_context():
        for engine in db.engines.values():
            engine.dispose()


@pytest.fixture
def plugboard_app(
    request: pytest.FixtureRequest,
    plugboard_config: dict[str, Any],
    plugboard_plugins: list[Plugin | type[Plugin]],
    make_plugboard_app: Callable[..., Flask],
) -> Flask:
    """An app with the host and the chosen plugins."""
    # plugboard_config first: a database it names (plugboard_database) outlives the app's
    # connections, which make_plugboard_app closes.
    marker = request.node.get_closest_marker("plugboard")
    plugins: Iterable[Plugin | type[Plugin]] = plugboard_plugins
    config: dict[str, Any] = dict(plugboard_config)
    if marker is not None:
        plugins = marker.kwargs.get("plugins", plugins)
        config.update(marker.kwargs.get("config", {}))
    return make_plugboard_app(plugins, config)


@pytest.fixture
def plugboard_client(plugboard_app: Flask) -> FlaskClient:
    """A test client of ``plugboard_app``."""
    return plugboard_app.test_client()


@pytest.fixture
def plugboard_runner(plugboard_app: Flask) -> PlugboardCliRunner:
    """A CLI runner of ``plugboard_app`` that runs commands in an app context, as ``flask``."""
    return PlugboardCliRunner(plugboard_app)


@pytest.fixture
def hook_recorder(plugboard_app: Flask) -> Iterator[HookRecorder]:
    """Records the hook calls of ``plugboard_app`` from now on."""
    recorder = HookRecorder(get_state(plugboard_app).pm)
    yield recorder
    recorder.close()


def _reachable(url: str, default_port: int) -> bool:
    parts = urlsplit(url)
    try:
        with socket.create_connection(
            (parts.hostname or "127.0.0.1", parts.port or default_port), 1
        ):
            return True
    except OSError:
        return False


#: The package to install for each SQLAlchemy PostgreSQL driver.
_DRIVER_PACKAGES = {"psycopg": "psycopg[binary]", "psycopg2": "psycopg2-binary"}


def _require_driver(url: str) -> None:
    """Skip the test, naming the package to install, when ``url``'s driver is missing."""
    scheme = urlsplit(url).scheme
    driver = scheme.partition("+")[2] or "psycopg2"
    try:
        importlib.import_module(driver)
    except ImportError:
        package = _DRIVER_PACKAGES.get(driver, driver)
        pytest.skip(
            f"the PostgreSQL driver {driver!r} of {scheme}:// is not installed: "
            f"pip install '{package}'"
        )


@pytest.fixture(scope="session")
def postgres_url() -> str:
    """URL of the real PostgreSQL server; skips the test when its driver is missing or
    none answers."""
    _require_driver(POSTGRES_URL)
    if not _reachable(POSTGRES_URL, 5432):
        pytest.skip(
            f"PostgreSQL is not reachable at {POSTGRES_URL} (set PLUGBOARD_TEST_POSTGRES_URL)"
        )
    return POSTGRES_URL


@pytest.fixture(scope="session")
def redis_url() -> str:
    """URL of the real Redis server; skips the test when none answers."""
    if not _reachable(REDIS_URL, 6379):
        pytest.skip(f"Redis is not reachable at {REDIS_URL} (set PLUGBOARD_TEST_REDIS_URL)")
    return REDIS_URL


@contextlib.contextmanager
def postgres_schema(url: str, prefix: str = "plugboard_test") -> Iterator[str]:
    """A new, empty schema on the PostgreSQL server at ``url``, dropped with everything in
    it afterwards; yields its name. A schema per test keeps parallel and repeated runs
    apart; name it in a URL with :func:`schema_url`."""
    import sqlalchemy as sa

    schema = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(url)
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield schema
    finally:
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def schema_url(url: str, schema: str) -> str:
    """``url`` with its connections on ``schema`` (psycopg's ``-csearch_path`` option), as
    an operator's DATABASE_URL would name it."""
    return f"{url}{'&' if '?' in url else '?'}options=-csearch_path%3D{schema}"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def plugboard_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[dict[str, Any]]:
    """Config of a database the test owns: a SQLite file, or a fresh PostgreSQL schema."""
    if request.param == "sqlite":
        yield {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'app.sqlite'}"}
        return
    url = request.getfixturevalue("postgres_url")
    with postgres_schema(url) as schema:
        yield {"SQLALCHEMY_DATABASE_URI": schema_url(url, schema)}


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "plugboard(plugins=[...], config={...}): plugins and config of the plugboard_app fixture",
    )
    config.addinivalue_line(
        "markers", "postgres: needs the PostgreSQL server (PLUGBOARD_TEST_POSTGRES_URL)"
    )
    config.addinivalue_line("markers", "redis: needs the Redis server (PLUGBOARD_TEST_REDIS_URL)")
