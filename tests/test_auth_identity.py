"""Who makes a request: identity sources, g.user, login_required, roles_required, and the
host hooks plugboard_current_user and plugboard_admin_access (admin pages)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask, Request, g

from auth_support import FAST_ARGON2, PASSWORD
from flask_plugboard._state import get_state
from flask_plugboard.db import get_db, upgrade_database
from flask_plugboard.plugins.auth import (
    Auth,
    AuthError,
    User,
    add_identity_source,
    current_user,
    deactivate,
    find_user,
    login_required,
    register_user,
    roles_required,
)
from flask_plugboard.plugins.auth._state import get_auth_state
from flask_plugboard.testing import build_app


def header_source(request: Request) -> User | None:
    """For tests only: trusts an X-Test-User header. Real sources are sessions and tokens."""
    name = request.headers.get("X-Test-User")
    return None if name is None else find_user(name)


def make_app(tmp_path: Path, **config: object) -> Flask:
    app = build_app(
        [Auth],
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'app.sqlite'}",
            "PLUGBOARD_ADMIN": True,
            **FAST_ARGON2,
            **config,
        },
        instance_path=str(tmp_path / "instance"),
    )
    upgrade_database(app)
    add_identity_source(app, header_source)

    @app.get("/me")
    def me() -> str:
        return g.user.username if g.user is not None else "nobody"

    @app.get("/private")
    @login_required
    def private() -> str:
        user = current_user()
        assert user is not None
        return f"hello {user.username}"

    @app.get("/editors")
    @roles_required("editor", "writer")
    def editors() -> str:
        return "editors only"

    with app.app_context():
        register_user("alice", PASSWORD, roles=["admin"])
        register_user("bob", PASSWORD, roles=["editor", "writer"])
        register_user("carol", PASSWORD, roles=["editor"])
    return app


@pytest.fixture
def app(tmp_path: Path) -> Iterator[Flask]:
    app = make_app(tmp_path)
    yield app
    with app.app_context():
        get_db(app).engine.dispose()


def get(app: Flask, path: str, user: str | None = None) -> tuple[int, str]:
    headers = {} if user is None else {"X-Test-User": user}
    response = app.test_client().get(path, headers=headers)
    return response.status_code, response.get_data(as_text=True)


def test_g_user_is_the_identified_user_or_none(app: Flask) -> None:
    assert get(app, "/me", "alice") == (200, "alice")
    assert get(app, "/me") == (200, "nobody")
    assert get(app, "/me", "nobody-by-that-name") == (200, "nobody")


def test_g_user_is_set_lazily_when_load_user_is_off(tmp_path: Path) -> None:
    app = make_app(tmp_path, AUTH_LOAD_USER=False)

    assert get(app, "/private", "alice") == (200, "hello alice")
    assert get(app, "/private")[0] == 401


def test_login_required_refuses_nobody_with_401(app: Flask) -> None:
    assert get(app, "/private", "bob") == (200, "hello bob")
    assert get(app, "/private")[0] == 401


def test_roles_required_needs_every_role(app: Flask) -> None:
    assert get(app, "/editors", "bob") == (200, "editors only")
    assert get(app, "/editors", "carol")[0] == 403
    assert get(app, "/editors", "alice")[0] == 403
    assert get(app, "/editors")[0] == 401


def test_a_deactivated_user_counts_as_nobody(app: Flask) -> None:
    with app.app_context():
        deactivate("bob")

    assert get(app, "/private", "bob")[0] == 401
    assert get(app, "/me", "bob") == (200, "nobody")


def test_roles_required_without_role_names_fails_at_import_time() -> None:
    with pytest.raises(AuthError, match=r"@roles_required\('admin'\)"):
        roles_required()
    with pytest.raises(AuthError, match="with the parentheses"):
        roles_required(lambda: "view")  # type: ignore[arg-type]


def test_admin_pages_need_the_admin_role(app: Flask) -> None:
    assert get(app, "/admin/plugins", "alice")[0] == 200
    assert get(app, "/admin/plugins", "bob")[0] == 403
    # Nobody logged in: a browser is sent to the login page, and comes back after it.
    response = app.test_client().get("/admin/plugins?tab=x", headers={"Accept": "text/html"})
    assert response.status_code == 302
    assert response.location == "/auth/login?next=/admin/plugins?tab%3Dx"
    assert response.headers["Cache-Control"] == "no-store"
    json_client = app.test_client().get("/admin/plugins.json")
    assert json_client.status_code == 403 and "may not see" in json_client.json["error"]


def test_the_admin_role_is_a_setting(tmp_path: Path) -> None:
    app = make_app(tmp_path, AUTH_ADMIN_ROLE="editor")

    assert get(app, "/admin/plugins", "carol")[0] == 200
    assert get(app, "/admin/plugins", "alice")[0] == 403


def test_current_user_hook_names_the_user_for_other_plugins(app: Flask) -> None:
    hook = get_state(app).hook.plugboard_current_user
    with app.test_request_context(headers={"X-Test-User": "Alice"}):
        from flask import request

        assert hook(request=request) == "alice"
    with app.test_request_context():
        from flask import request

        assert hook(request=request) is None


def test_without_an_identity_source_nobody_is_identified(tmp_path: Path) -> None:
    app = build_app(
        [Auth],
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'app.sqlite'}",
            "PLUGBOARD_ADMIN": True,
            **FAST_ARGON2,
        },
        instance_path=str(tmp_path / "instance"),
    )
    upgrade_database(app)
    with app.app_context():
        register_user("alice", PASSWORD, roles=["admin"])

    # Admin pages fail closed: auth decides, and no source names the administrator that
    # the header names (only make_app adds the header source).
    client = app.test_client()
    assert client.get("/admin/plugins.json", headers={"X-Test-User": "alice"}).status_code == 403
    (tmp_path / "with_source").mkdir()
    # The same request where a source reads the header: the refusal above is the source's.
    with_source = make_app(tmp_path / "with_source").test_client()
    assert (
        with_source.get("/admin/plugins.json", headers={"X-Test-User": "alice"}).status_code == 200
    )


def test_a_source_that_breaks_gives_503_where_a_user_is_needed(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    app = make_app(tmp_path)

    def broken(request: Request) -> User | None:
        raise RuntimeError("the user directory is down")

    get_auth_state(app).sources.insert(0, broken)
    with caplog.at_level(logging.WARNING, logger="flask_plugboard.plugins.auth"):
        assert get(app, "/me", "alice") == (200, "nobody")  # public: served, as nobody
        response = app.test_client().get("/private", headers={"X-Test-User": "alice"})
    assert response.status_code == 503 and response.headers["Retry-After"] == "1"
    assert "could not be checked" in response.json["error"]
    assert any("RuntimeError" in m for m in caplog.messages)


def test_refused_credentials_do_not_hide_the_next_source(tmp_path: Path) -> None:
    from jwt import InvalidSignatureError

    app = make_app(tmp_path)

    def stale_token(request: Request) -> User | None:
        raise InvalidSignatureError("Signature verification failed")

    get_auth_state(app).sources.insert(0, stale_token)
    # The next source (the session, here a header) still names the user...
    assert get(app, "/private", "alice") == (200, "hello alice")
    # ...and when none does, the token's own refusal is the answer.
    response = app.test_client().get("/private", headers={"Accept": "application/json"})
    assert response.status_code == 422
    assert response.json == {"msg": "Signature verification failed"}


def test_auth_guards_admin_pages_as_a_plain_extension(tmp_path: Path) -> None:
    from flask_plugboard.plugins.stats import Stats

    app = Flask("plain_admin", instance_path=str(tmp_path / "instance"))
    app.config.update(
        TESTING=True,
        SECRET_KEY="a-test-secret-key-of-enough-length-0123456789",
        SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'app.sqlite'}",
        PLUGBOARD_ADMIN=True,
        STATS_METRICS=True,
        **FAST_ARGON2,
    )
    Auth(app)
    Stats(app)
    add_identity_source(app, header_source)
    with app.app_context():
        Auth.metadata.create_all(get_db(app).engine)  # type: ignore[union-attr]
        register_user("alice", PASSWORD, roles=["admin"])
        register_user("bob", PASSWORD)
    client = app.test_client()
    for path in ("/admin/stats", "/admin/stats/dashboard", "/metrics"):
        assert client.get(path).status_code == 403, path
        assert client.get(path, headers={"X-Test-User": "bob"}).status_code == 403, path
        assert client.get(path, headers={"X-Test-User": "alice"}).status_code == 200, path
    with app.app_context():
        get_db(app).engine.dispose()
