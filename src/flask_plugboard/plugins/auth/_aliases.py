"""Aliases: other names a user logs in with, written exactly so.

For names a migration had to change: "carol" next to "Carol" became "carol-2" (usernames
are unique ignoring case), and with the alias "carol" its owner logs in with the old
name and password. At login an alias written exactly as typed wins over a case-folded
match that is not that user's exact name ("Carol" still logs in as "Carol"); an alias
never shows as the username. Deleting the user deletes its aliases.
"""

from __future__ import annotations

from typing import Any, cast

import sqlalchemy as sa

from flask_plugboard.db import session

from ._errors import DuplicateUserError
from ._models import User, UserAlias
from ._service import _transaction, _user, check_username

__all__ = ["add_alias", "aliases_of", "remove_alias"]


def add_alias(user: User | str, alias: str, *, commit: bool = True) -> UserAlias:
    """Let ``user`` (a User or a username) log in as ``alias`` too, written exactly so.

    Raises :class:`DuplicateUserError` when the alias is another user's alias or exactly
    another user's username, and :class:`AuthError` for a name auth refuses. With
    ``commit=False`` the alias is only flushed (an import commits itself).
    """
    target = _user(user)
    alias = check_username(alias)
    db = session()
    existing = db.get(UserAlias, alias)
    if existing is not None:
        if existing.user_id == target.id:
            return existing
        raise DuplicateUserError(f"{alias!r} is another user's alias: remove_alias() it first")
    if db.scalars(sa.select(User.id).where(User.username == alias, User.id != target.id)).first():
        raise DuplicateUserError(
            f"{alias!r} is exactly another user's username: it logs in as them"
        )
    row = UserAlias(alias=alias, user_id=target.id)
    db.add(row)
    if not commit:
        db.flush()
        return row
    with _transaction(db):
        pass
    return row


def remove_alias(alias: str) -> bool:
    """Stop ``alias`` (written exactly) logging anyone in; False when it was no alias."""
    db = session()
    with _transaction(db):
        result = db.execute(
            sa.delete(UserAlias).where(UserAlias.alias == alias),
            execution_options={"synchronize_session": False},
        )
    return bool(cast("sa.CursorResult[Any]", result).rowcount)


def aliases_of(user: User | str) -> list[str]:
    """The aliases ``user`` logs in with, sorted."""
    target = _user(user)
    query = (
        sa.select(UserAlias.alias).where(UserAlias.user_id == target.id).order_by(UserAlias.alias)
    )
    return list(session().scalars(query))
