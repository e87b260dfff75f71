"""``flask auth``: the first administrator, roles, passwords, deactivation, logging out
everywhere and pruning, as an operator types them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask

from auth_support import FAST_ARGON2, PASSWORD, auth_app, dispose
from flask_plugboard.db import session
from flask_plugboard.plugins.auth import Auth, check_credentials, find_user, register_user
from flask_plugboard.plugins.auth._models import AuthSession, LoginFailure, ResetToken, utcnow
from flask_plugboard.testing import build_app

NEW_PASSWORD = "seven brisk otters paddle home"


@pytest.fixture
def app(tmp_path: Path) -> Iterator[Flask]:
    app = auth_app(tmp_path / "instance")
    yield app
    dispose(app)


def run(app: Flask, *args: str, password: str | None = None) -> tuple[int, str]:
    stdin = None if password is None else password + "\n"
    result = app.test_cli_runner().invoke(args=["auth", *args], input=stdin)
    return result.exit_code, result.output


def test_create_admin_makes_a_user_with_the_admin_role(app: Flask) -> None:
    code, output = run(
        app, "create-admin", "--username", "ada", "--password-stdin", password=PASSWORD
    )
    assert code == 0, output
    assert "created administrator 'ada' (role 'admin')" in output
    assert PASSWORD not in output
    with app.app_context():
        user = check_credentials("ada", PASSWORD)
        assert user is not None and user.role_names == {"admin"}


def test_create_admin_takes_the_username_as_an_argument(app: Flask) -> None:
    code, output = run(app, "create-admin", "alice", "--password-stdin", password=PASSWORD)
    assert code == 0, output
    assert "created administrator 'alice' (role 'admin')" in output
    with app.app_context():
        user = check_credentials("alice", PASSWORD)
        assert user is not None and user.role_names == {"admin"}


def test_create_admin_refuses_two_different_usernames(app: Flask) -> None:
    code, output = run(
        app, "create-admin", "alice", "--username", "bob", "--password-stdin", password=PASSWORD
    )
    assert code == 2 and "two usernames given, 'alice' and --username 'bob'" in output
    with app.app_context():
        assert find_user("alice") is None and find_user("bob") is None


def test_create_admin_asks_for_a_missing_username(app: Flask) -> None:
    result = app.test_cli_runner().invoke(
        args=["auth", "create-admin"], input=f"ada\n{PASSWORD}\n{PASSWORD}\n"
    )
    assert result.exit_code == 0, result.output
    assert "Username:" in result.output and "created administrator 'ada'" in result.output


def test_create_admin_prompts_twice_for_the_password(app: Flask) -> None:
    result = app.test_cli_runner().invoke(
        args=["auth", "create-admin", "--username", "ada"], input=f"{PASSWORD}\n{PASSWORD}\n"
    )
    assert result.exit_code == 0, result.output
    assert "Repeat the password" in result.output


@pytest.mark.parametrize(
    ("args", "password", "message"),
    [
        (["--username", "ada"], "short", "too short"),
        (["--username", "a b"], PASSWORD, "not valid"),
        (["--username", "ada", "--email", "nope"], PASSWORD, "name@example.org"),
    ],
)
def test_create_admin_refuses_bad_input_with_the_reason(
    app: Flask, args: list[str], password: str, message: str
) -> None:
    code, output = run(app, "create-admin", *args, "--password-stdin", password=password)
    assert code == 1 and message in output
    assert "Traceback" not in output
    with app.app_context():
        assert find_user("ada") is None


def test_a_second_admin_with_a_taken_name_is_refused(app: Flask) -> None:
    run(app, "create-admin", "--username", "ada", "--password-stdin", password=PASSWORD)
    code, output = run(
        app, "create-admin", "--username", "ADA", "--password-stdin", password=PASSWORD
    )
    assert code == 1 and "is taken" in output


def test_commands_before_the_tables_exist_say_to_upgrade(tmp_path: Path) -> None:
    app = build_app(
        [Auth],
        {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.sqlite'}", **FAST_ARGON2},
        instance_path=str(tmp_path / "instance"),
    )
    code, output = run(
        app, "create-admin", "--username", "ada", "--password-stdin", password=PASSWORD
    )
    assert code == 1 and "run `flask db upgrade` first" in output


def test_roles_are_given_and_taken(app: Flask) -> None:
    with app.app_context():
        register_user("bob", PASSWORD)
    assert run(app, "add-role", "bob", "editor") == (0, "'bob' now has the roles: editor\n")
    assert run(app, "remove-role", "bob", "editor") == (0, "'bob' now has the roles: none\n")
    code, output = run(app, "add-role", "nobody", "editor")
    assert code == 1 and "no user is named 'nobody'" in output


def test_deactivate_and_activate(app: Flask) -> None:
    with app.app_context():
        register_user("bob", PASSWORD)
    assert run(app, "deactivate", "bob")[0] == 0
    with app.app_context():
        assert check_credentials("bob", PASSWORD) is None
    assert run(app, "activate", "bob")[0] == 0
    with app.app_context():
        assert check_credentials("bob", PASSWORD) is not None


def test_set_password_replaces_the_old_one_and_ends_sessions(app: Flask) -> None:
    with app.app_context():
        user = register_user("bob", PASSWORD)
        version = user.token_version
    code, output = run(app, "set-password", "bob", "--password-stdin", password=NEW_PASSWORD)
    assert code == 0 and "sessions and tokens ended" in output
    with app.app_context():
        assert check_credentials("bob", PASSWORD) is None
        user = check_credentials("bob", NEW_PASSWORD)
        assert user is not None and user.token_version == version + 1
    code, output = run(app, "set-password", "bob", "--password-stdin", password="short")
    assert code == 1 and "too short" in output


def _add_session(user_id: int, expires_at: dt.datetime, key: str) -> None:
    session().add(AuthSession(key_hash=key, user_id=user_id, expires_at=expires_at))
    session().commit()


def test_logout_everywhere_deletes_every_session_of_the_user(app: Flask) -> None:
    with app.app_context():
        bob = register_user("bob", PASSWORD)
        carol = register_user("carol", PASSWORD)
        later = utcnow() + dt.timedelta(hours=1)
        _add_session(bob.id, later, "a" * 64)
        _add_session(bob.id, later, "b" * 64)
        _add_session(carol.id, later, "c" * 64)
        bob_id, carol_id, version = bob.id, carol.id, bob.token_version
    assert run(app, "logout-everywhere", "bob") == (0, "logged 'bob' out everywhere\n")
    with app.app_context():
        owners = session().scalars(sa.select(AuthSession.user_id)).all()
        assert owners == [carol_id]
        user = find_user("bob")
        assert user is not None and user.id == bob_id and user.token_version == version + 1


def test_prune_deletes_only_what_has_expired(app: Flask) -> None:
    with app.app_context():
        bob = register_user("bob", PASSWORD)
        now = utcnow()
        _add_session(bob.id, now - dt.timedelta(seconds=1), "a" * 64)
        _add_session(bob.id, now + dt.timedelta(hours=1), "b" * 64)
        session().add_all(
            [
                ResetToken(token_hash="c" * 64, user_id=bob.id, expires_at=now - dt.timedelta(1)),
                ResetToken(token_hash="d" * 64, user_id=bob.id, expires_at=now + dt.timedelta(1)),
            ]
        )
        session().commit()
    code, output = run(app, "prune")
    assert code == 0
    assert "1 sessions" in output and "1 reset links" in output
    with app.app_context():
        assert session().scalars(sa.select(AuthSession.key_hash)).all() == ["b" * 64]
        assert session().scalars(sa.select(ResetToken.token_hash)).all() == ["d" * 64]


def test_prune_deletes_login_failures_whose_window_and_lock_are_over(app: Flask) -> None:
    now = utcnow()
    old = now - dt.timedelta(hours=2)
    with app.app_context():
        db = session()
        db.add_all(
            [
                LoginFailure(key="stale", failures=2, last_failed_at=old),
                LoginFailure(key="recent", failures=2, last_failed_at=now),
                LoginFailure(
                    key="locked", failures=0, last_failed_at=old, locked_until=now + dt.timedelta(1)
                ),
            ]
        )
        db.commit()

    code, output = run(app, "prune")

    assert code == 0 and "1 login failures" in output
    with app.app_context():
        keys = session().scalars(sa.select(LoginFailure.key).order_by(LoginFailure.key)).all()
        assert keys == ["locked", "recent"]
