"""The auth plugin's users in the database (SQLite and the real PostgreSQL): migrations,
registration, credentials, legacy hashes, lockout, roles, deactivation and deletion."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask import Flask
from werkzeug.security import generate_password_hash

from auth_support import PASSWORD, MakeAuthApp
from flask_plugboard.db import get_db, session
from flask_plugboard.plugins.auth import (
    AuthError,
    DuplicateUserError,
    PasswordPolicyError,
    UnknownUserError,
    User,
    activate,
    add_role,
    check_credentials,
    check_email,
    check_username,
    deactivate,
    delete_user,
    find_user,
    normalise_name,
    register_user,
    remove_role,
    set_password,
)
from flask_plugboard.plugins.auth._models import Base, LoginFailure

# passlib's hash of "correct horse battery"
PASSLIB_SHA256 = (
    "$pbkdf2-sha256$1000$XSslRAjhPKf0XuvdOyfE2A$m25SGDD83a32FnaTbMTq16DhPAqjybk9Ms2.fX84u9I"
)


MakeApp = MakeAuthApp


@pytest.fixture
def make_app(make_auth_app: MakeAuthApp) -> MakeAuthApp:
    return make_auth_app


@pytest.fixture
def app(make_app: MakeApp) -> Iterator[Flask]:
    app = make_app()
    with app.app_context():
        yield app


def stored_hash(username: str) -> str:
    session().expire_all()
    user = find_user(username)
    assert user is not None
    return user.password_hash


# -- schema ------------------------------------------------------------------------------


def test_migrations_create_the_tables_the_models_describe(app: Flask) -> None:
    engine = get_db().engine
    tables = set(sa.inspect(engine).get_table_names())
    assert {"auth_user", "auth_role", "auth_user_role", "alembic_version_auth"} <= tables
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(context, Base.metadata)
    # Only the version table is not in the models.
    assert [d for d in diff if d[0] != "remove_table" or d[1].name != "alembic_version_auth"] == []


def test_upgrade_again_changes_nothing(make_app: MakeApp) -> None:
    with make_app().app_context():
        register_user("alice", PASSWORD)
        with get_db().engine.connect() as conn:
            before = conn.execute(sa.text("SELECT version_num FROM alembic_version_auth")).all()

    # Runs upgrade_database on the migrated database.
    with make_app().app_context():
        with get_db().engine.connect() as conn:
            after = conn.execute(sa.text("SELECT version_num FROM alembic_version_auth")).all()
        assert after == before and len(after) == 1
        assert find_user("alice") is not None


# -- registration ------------------------------------------------------------------------


def test_register_and_check_credentials_by_username_or_email_ignoring_case(app: Flask) -> None:
    user = register_user("Alice", PASSWORD, email="Alice@Example.org", roles=["editor"])

    assert user.password_hash.startswith("$argon2id$")
    assert PASSWORD not in repr(user)
    assert user.created_at.tzinfo is not None
    assert check_credentials("alice", PASSWORD) == user
    assert check_credentials("ALICE@example.ORG", PASSWORD) == user
    found = check_credentials(" Alice ", PASSWORD)
    assert found is not None and found.role_names == {"editor"}
    assert found.last_login_at is not None


@pytest.mark.parametrize(
    ("username", "email", "message"),
    [
        ("ALICE", None, "the username 'ALICE' is taken"),
        ("bob", "alice@EXAMPLE.org", "belongs to another user"),
    ],
)
def test_a_taken_username_or_email_is_refused_and_nothing_is_written(
    app: Flask, username: str, email: str | None, message: str
) -> None:
    register_user("alice", PASSWORD, email="alice@example.org")

    with pytest.raises(DuplicateUserError, match=message):
        register_user(username, PASSWORD, email=email)

    assert session().scalar(sa.select(sa.func.count()).select_from(User)) == 1


def test_non_ascii_usernames_clash_ignoring_case(app: Flask) -> None:
    register_user("Ärger", PASSWORD)

    with pytest.raises(DuplicateUserError):
        register_user("ärger", PASSWORD)


@pytest.mark.parametrize(
    ("username", "email", "password", "error", "message"),
    [
        ("", None, PASSWORD, AuthError, "1 to 150 characters"),
        ("a" * 151, None, PASSWORD, AuthError, "1 to 150 characters"),
        ("al ice", None, PASSWORD, AuthError, "may not contain '@', spaces"),
        ("al@ice", None, PASSWORD, AuthError, "may not contain '@', spaces"),
        # NFKC makes it "al@ice.org": it would be looked up as an e-mail address.
        ("al\uff20ice.org", None, PASSWORD, AuthError, "may not contain '@', spaces"),
        ("alice", "not-an-address", PASSWORD, AuthError, "like name@example.org"),
        ("alice", "a@b", PASSWORD, AuthError, "like name@example.org"),
        ("alice", None, "short", PasswordPolicyError, "too short"),
        ("alice", None, "alice", PasswordPolicyError, "too short"),
        (
            "alicealice12",
            "alicealice12@example.org",
            "AliceAlice12",
            PasswordPolicyError,
            "username",
        ),
    ],
)
def test_bad_registrations_say_why_and_write_nothing(
    app: Flask,
    username: str,
    email: str | None,
    password: str,
    error: type[Exception],
    message: str,
) -> None:
    with pytest.raises(error, match=message):
        register_user(username, password, email=email)

    assert session().scalar(sa.select(sa.func.count()).select_from(User)) == 0


def test_a_bad_role_name_leaves_no_half_written_user(app: Flask) -> None:
    with pytest.raises(AuthError, match="role name"):
        register_user("alice", PASSWORD, roles=["editor", " "])

    assert find_user("alice") is None


# -- credentials --------------------------------------------------------------------------


def test_wrong_password_unknown_and_deleted_users_get_the_same_answer(app: Flask) -> None:
    register_user("alice", PASSWORD)
    register_user("bob", PASSWORD)
    delete_user("bob")

    assert check_credentials("alice", "a wrong password!") is None
    assert check_credentials("nobody", PASSWORD) is None
    assert check_credentials("bob", PASSWORD) is None
    assert check_credentials("", PASSWORD) is None
    assert check_credentials("alice", "x" * 2000) is None
    assert check_credentials("alice", PASSWORD) is not None


def test_a_deleted_user_frees_the_username(app: Flask) -> None:
    register_user("alice", PASSWORD, roles=["admin"])
    delete_user("alice")

    user = register_user("ALICE", "another long passphrase")

    assert user.role_names == frozenset()
    assert check_credentials("alice", PASSWORD) is None


def test_a_deactivated_user_cannot_log_in_until_activated(app: Flask) -> None:
    register_user("alice", PASSWORD)

    deactivate("alice")
    assert check_credentials("alice", PASSWORD) is None

    activate("alice")
    assert check_credentials("alice", PASSWORD) is not None


def test_set_password_replaces_the_old_one_and_follows_the_policy(app: Flask) -> None:
    user = register_user("alice", PASSWORD)
    before = user.password_changed_at

    set_password("alice", "a brand new passphrase")

    assert check_credentials("alice", PASSWORD) is None
    assert check_credentials("alice", "a brand new passphrase") is not None
    assert user.password_changed_at > before
    with pytest.raises(PasswordPolicyError, match="too short"):
        set_password(user, "short")


def test_unknown_users_are_named_in_errors(app: Flask) -> None:
    for change in (deactivate, activate, delete_user):
        with pytest.raises(UnknownUserError, match="no user is named 'ghost'"):
            change("ghost")
    with pytest.raises(UnknownUserError):
        add_role("ghost", "admin")


# -- legacy hashes ------------------------------------------------------------------------


def _store_hash(username: str, password_hash: str) -> None:
    user = find_user(username)
    assert user is not None
    user.password_hash = password_hash
    session().commit()


@pytest.mark.parametrize(
    "legacy",
    [
        generate_password_hash(PASSWORD, method="scrypt"),
        generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000"),
    ],
    ids=["scrypt", "pbkdf2"],
)
def test_werkzeug_hashes_log_in_and_are_upgraded_to_argon2id(app: Flask, legacy: str) -> None:
    register_user("alice", "something else entirely")
    _store_hash("alice", legacy)

    assert check_credentials("alice", "wrong password here") is None
    assert stored_hash("alice") == legacy
    assert check_credentials("alice", PASSWORD) is not None
    assert stored_hash("alice").startswith("$argon2id$")
    assert check_credentials("alice", PASSWORD) is not None


def test_passlib_hashes_log_in_and_are_upgraded(app: Flask) -> None:
    register_user("alice", "something else entirely")
    _store_hash("alice", PASSLIB_SHA256)

    assert check_credentials("alice", "correct horse battery") is not None
    assert stored_hash("alice").startswith("$argon2id$")


def test_new_argon2_parameters_rehash_on_the_next_login(make_app: MakeApp) -> None:
    with make_app().app_context():
        register_user("alice", PASSWORD)
        old = stored_hash("alice")
    with make_app(AUTH_ARGON2_TIME_COST=2).app_context():
        assert check_credentials("alice", PASSWORD) is not None
        new = stored_hash("alice")
    assert "t=1" in old and "t=2" in new


# -- lockout ------------------------------------------------------------------------------


def _fail(times: int, username: str = "alice") -> None:
    for _ in range(times):
        assert check_credentials(username, "a wrong password!") is None


def _failure(key: str = "alice") -> LoginFailure:
    session().expire_all()
    row = session().get(LoginFailure, key)
    assert row is not None, f"no failed login counted for {key!r}"
    return row


def test_repeated_failures_lock_the_account_even_for_the_right_password(app: Flask) -> None:
    register_user("alice", PASSWORD)

    _fail(5)

    assert check_credentials("alice", PASSWORD) is None
    assert _failure().locked_until is not None


def test_the_lock_ends_after_lockout_seconds(app: Flask) -> None:
    register_user("alice", PASSWORD)
    _fail(5)
    row = _failure()
    assert row.locked_until is not None
    row.locked_until = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
    session().commit()

    assert check_credentials("alice", PASSWORD) is not None


def test_a_success_resets_the_count(app: Flask) -> None:
    register_user("alice", PASSWORD)
    _fail(4)
    assert check_credentials("alice", PASSWORD) is not None

    _fail(4)

    assert check_credentials("alice", PASSWORD) is not None


def test_failures_older_than_the_window_start_the_count_again(app: Flask) -> None:
    register_user("alice", PASSWORD)
    _fail(4)
    row = _failure()
    assert row.failures == 4
    row.last_failed_at = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=901)
    session().commit()

    _fail(1)

    assert _failure().failures == 1
    assert check_credentials("alice", PASSWORD) is not None


def test_the_username_and_the_address_of_an_account_share_one_count(app: Flask) -> None:
    register_user("alice", PASSWORD, email="alice@example.org")
    _fail(3, "Alice")
    _fail(2, "ALICE@example.org")

    assert check_credentials("alice", PASSWORD) is None  # locked after 5, either way


def test_lockout_settings_apply_and_a_new_password_unlocks(make_app: MakeApp) -> None:
    with make_app(AUTH_LOCKOUT_ATTEMPTS=2, AUTH_LOCKOUT_SECONDS=3600).app_context():
        register_user("alice", PASSWORD)
        _fail(2)
        assert check_credentials("alice", PASSWORD) is None
        locked_until = _failure().locked_until
        assert locked_until is not None
        assert locked_until > dt.datetime.now(dt.UTC) + dt.timedelta(seconds=3500)

        set_password("alice", "a brand new passphrase")

        assert check_credentials("alice", "a brand new passphrase") is not None


def test_an_unknown_name_is_counted_and_locked_like_an_account(app: Flask) -> None:
    _fail(5, "Nobody")

    assert _failure("nobody").locked_until is not None


def test_lockout_attempts_zero_never_locks(make_app: MakeApp) -> None:
    with make_app(AUTH_LOCKOUT_ATTEMPTS=0).app_context():
        register_user("alice", PASSWORD)
        _fail(8)
        assert check_credentials("alice", PASSWORD) is not None


def test_failures_of_one_user_do_not_lock_another(app: Flask) -> None:
    register_user("alice", PASSWORD)
    register_user("bob", PASSWORD)

    _fail(5, "alice")

    assert check_credentials("bob", PASSWORD) is not None


# -- roles ----------------------------------------------------------------------------------


def test_roles_are_added_once_and_removed(app: Flask) -> None:
    register_user("alice", PASSWORD, roles=["editor"])
    register_user("bob", PASSWORD, roles=["editor"])

    add_role("alice", "admin")
    add_role("alice", "admin")
    remove_role("alice", "editor")
    remove_role("alice", "never-had")

    alice, bob = find_user("alice"), find_user("bob")
    assert alice is not None and alice.role_names == {"admin"}
    assert alice.has_role("admin") and not alice.has_role("admin", "editor")
    assert bob is not None and bob.role_names == {"editor"}


def test_a_deleted_users_id_is_never_given_to_a_new_user(app: Flask) -> None:
    # A token names its user by id: a new user must not inherit a deleted one's tokens.
    bob = register_user("bob", PASSWORD)
    old_id = bob.id
    delete_user("bob")
    assert register_user("carol", PASSWORD).id != old_id


# -- the same work whether or not an account exists ------------------------------------------


class _Spy:
    """argon2's PasswordHasher, noting each hash and verify in ``calls``."""

    def __init__(self, hasher: Any, calls: list[str]) -> None:
        self._hasher = hasher
        self._calls = calls

    def hash(self, password: str) -> str:
        self._calls.append("hash")
        return str(self._hasher.hash(password))

    def verify(self, stored: str, password: str) -> bool:
        self._calls.append("verify")
        return bool(self._hasher.verify(stored, password))

    def check_needs_rehash(self, stored: str) -> bool:
        return bool(self._hasher.check_needs_rehash(stored))


class Work:
    """What the code under watch does: SQL statements (text, no values), commits, and
    argon2 calls. Two paths that record the same Work cost the same, give or take noise."""

    def __init__(self, app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
        self.statements: list[str] = []
        self.commits = 0
        self.argon2: list[str] = []
        engine = get_db(app).engine
        sa.event.listen(engine, "before_cursor_execute", self._statement)
        sa.event.listen(engine, "commit", self._commit)
        passwords = app.extensions["auth.state"].passwords
        monkeypatch.setattr(passwords, "_hasher", _Spy(passwords._hasher, self.argon2))

    def _statement(self, conn: object, cursor: object, statement: str, *args: object) -> None:
        self.statements.append(statement)

    def _commit(self, conn: object) -> None:
        self.commits += 1

    def of(self, call: Any) -> tuple[list[str], int, list[str]]:
        """The work ``call()`` does (what was recorded before is forgotten)."""
        self.statements.clear()
        self.argon2.clear()
        self.commits = 0
        session().expire_all()
        try:
            call()
        except AuthError:
            pass
        return list(self.statements), self.commits, list(self.argon2)


@pytest.fixture
def work(app: Flask, monkeypatch: pytest.MonkeyPatch) -> Work:
    return Work(app, monkeypatch)


@pytest.mark.parametrize("name", ["alice", "alice@example.org"])
def test_a_wrong_password_and_an_unknown_name_do_the_same_work(work: Work, name: str) -> None:
    register_user("alice", PASSWORD, email="alice@example.org")
    unknown = "nobody@example.org" if "@" in name else "nobody"

    wrong = work.of(lambda: check_credentials(name, "a wrong password!"))
    nobody = work.of(lambda: check_credentials(unknown, "a wrong password!"))

    statements, commits, argon2 = wrong
    assert commits == 1 and argon2 == ["verify"]
    assert any(s.startswith("INSERT INTO auth_login_failure") for s in statements)
    assert nobody == wrong


def test_a_locked_account_and_a_locked_unknown_name_do_the_same_work(work: Work) -> None:
    register_user("alice", PASSWORD)
    _fail(5, "alice")
    _fail(5, "nobody")

    locked = work.of(lambda: check_credentials("alice", PASSWORD))
    nobody = work.of(lambda: check_credentials("nobody", PASSWORD))

    assert locked == nobody
    assert locked[1] == 0 and locked[2] == ["verify"]


def test_registering_a_taken_name_does_the_work_of_a_free_one(work: Work) -> None:
    register_user("alice", PASSWORD, email="alice@example.org")

    taken = work.of(lambda: register_user("Alice", PASSWORD, email="other@example.org"))
    taken_email = work.of(lambda: register_user("bob", PASSWORD, email="ALICE@example.org"))
    free = work.of(lambda: register_user("carol", PASSWORD, email="carol@example.org"))

    lookup = 1  # the one SELECT of both names; the free name then inserts
    assert taken[2] == taken_email[2] == free[2] == ["hash"]
    assert taken[0] == taken_email[0] == free[0][:lookup]
    assert find_user("carol") is not None and find_user("bob") is None


def test_a_name_with_a_nul_character_finds_no_user(app: Flask) -> None:
    # PostgreSQL refuses to compare text holding NUL: a login form fed one must not 500.
    register_user("alice", PASSWORD, email="alice@example.org")
    assert find_user("alice\x00") is None
    assert find_user("alice\x00@example.org") is None
    assert check_credentials("alice\x00", PASSWORD) is None


def test_the_name_and_address_checks_are_public_and_say_why() -> None:
    assert check_username("  alice ") == "alice"
    assert check_email(" alice@example.org ") == "alice@example.org"
    assert check_email("  ") is None
    assert normalise_name("ＡLICE") == normalise_name("alice") == "alice"
    with pytest.raises(AuthError, match="'al ice' is not valid.*spaces"):
        check_username("al ice")
    # NFKC turns the fullwidth at sign into '@': such a name would be read as an address.
    with pytest.raises(AuthError, match="may not contain '@'"):
        check_username("alice＠home")
    with pytest.raises(AuthError, match="write it like name@example.org"):
        check_email("alice@localhost")
