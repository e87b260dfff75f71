"""Aliases: a renamed user logs in with the old name, written exactly so (SQLite and the
real PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask

from auth_support import PASSWORD, MakeAuthApp
from flask_plugboard.plugins.auth import (
    AuthError,
    DuplicateUserError,
    add_alias,
    aliases_of,
    check_credentials,
    delete_user,
    import_user,
    register_user,
    remove_alias,
)

OTHER = "another quiet tram to Porto"


@pytest.fixture
def app(make_auth_app: MakeAuthApp) -> Iterator[Flask]:
    app = make_auth_app()
    with app.app_context():
        yield app


def names(user: object) -> str | None:
    return None if user is None else user.username  # type: ignore[attr-defined]


def test_an_alias_written_exactly_logs_its_user_in(app: Flask) -> None:
    register_user("Carol", PASSWORD)
    register_user("carol-2", OTHER)  # the old "carol", renamed by an import
    assert names(check_credentials("carol", OTHER)) is None  # before: "Wrong credentials"

    add_alias("carol-2", "carol")

    assert names(check_credentials("carol", OTHER)) == "carol-2"
    assert names(check_credentials("carol-2", OTHER)) == "carol-2"
    # Any other spelling is still Carol's, ignoring case.
    assert names(check_credentials("Carol", PASSWORD)) == "Carol"
    assert names(check_credentials("CAROL", PASSWORD)) == "Carol"
    assert check_credentials("carol", PASSWORD) is None
    assert aliases_of("carol-2") == ["carol"]

    assert remove_alias("carol") is True
    assert remove_alias("carol") is False
    assert check_credentials("carol", OTHER) is None
    assert names(check_credentials("carol", PASSWORD)) == "Carol"


def test_an_alias_is_refused_when_it_names_someone_else(app: Flask) -> None:
    register_user("carol", PASSWORD)
    register_user("dan", OTHER)
    register_user("erin", OTHER)
    add_alias("dan", "danny")
    add_alias("dan", "danny")  # again: nothing changes

    with pytest.raises(DuplicateUserError, match="'danny' is another user's alias"):
        add_alias("erin", "danny")
    with pytest.raises(DuplicateUserError, match="'carol' is exactly another user's username"):
        add_alias("dan", "carol")
    with pytest.raises(AuthError, match="may not contain '@', spaces"):
        add_alias("dan", "dan smith")
    assert aliases_of("erin") == []


def test_deleting_a_user_frees_its_aliases(app: Flask) -> None:
    user = import_user("frank-2", "$pbkdf2-sha256$1000$c2FsdA$aGFzaA")
    add_alias(user, "frank")
    delete_user(user)
    register_user("gina", PASSWORD)
    add_alias("gina", "frank")
    assert aliases_of("gina") == ["frank"]


def test_import_user_keeps_a_given_id_and_refuses_a_taken_one(app: Flask) -> None:
    kept = import_user("old", "$pbkdf2-sha256$1000$c2FsdA$aGFzaA", user_id=40)
    assert kept.id == 40
    with pytest.raises(DuplicateUserError, match="user id 40 belongs to another user"):
        import_user("older", "$pbkdf2-sha256$1000$c2FsdA$aGFzaA", user_id=40)
    with pytest.raises(AuthError, match="user_id = 0: give a positive integer"):
        import_user("oldest", "$pbkdf2-sha256$1000$c2FsdA$aGFzaA", user_id=0)
