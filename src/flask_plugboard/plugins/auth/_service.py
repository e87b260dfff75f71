"""Managing users: register, check credentials, passwords, roles, deactivate, delete.

Module-level functions that work on the current app (they need an app context) through
its Flask-SQLAlchemy session. Each change is one transaction: it is committed whole or,
on error, rolled back, so a failed call never leaves a half-written user.
"""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from flask_plugboard.db import session

from ._errors import AuthError, DuplicateUserError, UnknownUserError
from ._failures import clear_failures, failure_key, is_locked, record_failure
from ._models import (
    AuthSession,
    RefreshToken,
    ResetToken,
    RevokedToken,
    Role,
    User,
    UserAlias,
    normalise,
    utcnow,
)
from ._passwords import Verdict
from ._state import get_auth_state

__all__ = [
    "activate",
    "add_role",
    "check_credentials",
    "check_email",
    "check_username",
    "deactivate",
    "delete_user",
    "find_user",
    "import_user",
    "is_admin",
    "log_out_everywhere",
    "register_user",
    "remove_role",
    "set_password",
]

_MAX_USERNAME = 150
_MAX_EMAIL = 254
_MAX_ROLE = 80
#: Prefixes of the password hashes Passwords.verify knows.
_KNOWN_HASHES = ("$argon2", "scrypt:", "pbkdf2:", "$pbkdf2")


def find_user(username_or_email: str) -> User | None:
    """The user with this username or e-mail address (ignoring case), or None."""
    if not isinstance(username_or_email, str) or not username_or_email.strip():
        return None
    if "\x00" in username_or_email:  # no user has one; PostgreSQL cannot even compare it
        return None
    key = normalise(username_or_email.strip())
    column = User.email_key if "@" in key else User.username_key
    return session().scalars(sa.select(User).where(column == key)).one_or_none()


def register_user(
    username: str, password: str, email: str | None = None, roles: Iterable[str] = ()
) -> User:
    """Create a user with an argon2id hash of ``password`` and the given roles.

    Raises :class:`DuplicateUserError` when the username or e-mail address is taken
    (ignoring case), :class:`PasswordPolicyError` when the password breaks the policy,
    and :class:`AuthError` for an unusable username, address or role name.
    """
    state = get_auth_state()
    username = check_username(username)
    email = check_email(email)
    state.policy.check(password, username=username, email=email)
    db = session()
    username_key = normalise(username)
    email_key = normalise(email) if email else None
    # Hashed before the lookup, and one lookup for both names: a taken name costs the
    # same work as a free one (only the answer differs, as it must).
    password_hash = state.passwords.hash(password)
    taken = db.execute(
        sa.select(User.username_key, User.email_key).where(
            sa.or_(User.username_key == username_key, User.email_key == (email_key or ""))
        )
    ).all()
    if any(row.username_key == username_key for row in taken):
        raise DuplicateUserError(
            f"the username {username!r} is taken (ignoring case): choose another"
        )
    if taken:
        raise DuplicateUserError(
            f"the e-mail address {email!r} belongs to another user (ignoring case)"
        )
    user = User(
        username=username,
        username_key=username_key,
        email=email,
        email_key=email_key,
        password_hash=password_hash,
        roles=[],
    )
    with _transaction(db):
        user.roles = [_role(db, name) for name in dict.fromkeys(roles)]
        db.add(user)
    return user


def import_user(
    username: str,
    password_hash: str,
    email: str | None = None,
    *,
    commit: bool = True,
    user_id: int | None = None,
) -> User:
    """Create a user brought from another system, keeping its password hash.

    For migrations: the hash is one auth verifies (argon2, werkzeug's ``pbkdf2:`` and
    ``scrypt:``, passlib's ``$pbkdf2-sha256$``...) and is replaced by an argon2id hash at
    the user's first login. No password policy applies (auth never saw the password).
    Raises :class:`DuplicateUserError` when the username or address is taken, and
    :class:`AuthError` for an unusable username, address or hash. With ``commit=False``
    the user is only flushed (its id known): an import that brings many rows in one
    transaction commits, or rolls back, itself.

    ``user_id``: keep the user's id from the other system (its other rows name it).
    Raises :class:`DuplicateUserError` when a user has it. The caller moves the table's
    id sequence past the ids it gives (PostgreSQL does not): an import does it once, at
    its commit, so that a dry run changes no sequence.
    """
    if user_id is not None and (type(user_id) is not int or user_id < 1):
        raise AuthError(f"user_id = {user_id!r}: give a positive integer, or None")
    username = check_username(username)
    email = check_email(email)
    if not isinstance(password_hash, str) or not password_hash.startswith(_KNOWN_HASHES):
        raise AuthError(
            f"the password hash of {username!r} is of no format auth verifies (argon2, "
            "werkzeug pbkdf2/scrypt, passlib pbkdf2): the user could never log in"
        )
    db = session()
    taken = sa.select(User.id).where(
        sa.or_(
            User.username_key == normalise(username),
            *([User.email_key == normalise(email)] if email else []),
        )
    )
    if db.scalars(taken).first():
        raise DuplicateUserError(
            f"the username {username!r} or the address {email!r} is taken (ignoring case)"
        )
    if user_id is not None and db.get(User, user_id) is not None:
        raise DuplicateUserError(
            f"user id {user_id} belongs to another user: import {username!r} without a "
            "user_id (it gets a new one)"
        )
    user = User(
        id=user_id,
        username=username,
        username_key=normalise(username),
        email=email,
        email_key=normalise(email) if email else None,
        password_hash=password_hash,
        roles=[],
    )
    if not commit:
        db.add(user)
        db.flush()
        return user
    with _transaction(db):
        db.add(user)
    return user


def is_admin(user: User | None) -> bool:
    """True when ``user`` has the administrators' role (AUTH_ADMIN_ROLE)."""
    return user is not None and get_auth_state().settings.admin_role in user.role_names


def check_credentials(username_or_email: str, password: str) -> User | None:
    """The user these credentials belong to, or None; records the attempt.

    Every refusal gives the same answer, None: unknown user (checked against a dummy hash,
    so it takes as long as a wrong password), wrong password, deactivated or locked
    account. A locked account is not checked at all. Success resets the failure count
    and, when the stored hash is of another format or older parameters, replaces it with
    a new argon2id hash.
    """
    state = get_auth_state()
    if not isinstance(password, str) or len(password.encode("utf-8")) > (
        state.settings.password_max_bytes
    ):
        return None
    user = _login_user(username_or_email)
    db = session()
    now = utcnow()
    key = failure_key(user, username_or_email if isinstance(username_or_email, str) else "")
    settings = state.settings
    # Whether the name exists or not, the same statements run in the same order: the
    # failure row is read, one argon2 verification is made, the failure is written.
    if is_locked(db, key, now):
        # Not checked, but as slow as a check (a locked unknown name answers alike).
        state.passwords.dummy_verify(password)
        return None
    if user is None:
        state.passwords.dummy_verify(password)
        verdict = Verdict(ok=False)
    else:
        verdict = state.passwords.verify(user.password_hash, password)
    if user is None or not verdict.ok:
        record_failure(
            db,
            key,
            now,
            settings.lockout_attempts,
            settings.lockout_window,
            settings.lockout_seconds,
        )
        return None
    if not user.is_active:
        return None
    with _transaction(db):
        clear_failures(db, key)
        user.last_login_at = now
        if verdict.needs_rehash:
            # Same password, new hash: password_changed_at stays, sessions stay valid.
            user.password_hash = state.passwords.hash(password)
    return user


def _login_user(username_or_email: str) -> User | None:
    """:func:`find_user`, except that an alias written exactly as given (``add_alias``)
    wins over a case-folded match that is not the user's exact name: "carol" logs in as
    the "carol-2" an import renamed, "Carol" as "Carol"."""
    user = find_user(username_or_email)
    name = username_or_email.strip() if isinstance(username_or_email, str) else ""
    if not name or "@" in name or "\x00" in name:
        return user  # an address, or a name no one can have (PostgreSQL refuses NUL)
    # Looked up for every name, the user's own included, so that a known and an unknown
    # name run the same statements (see check_credentials).
    owner = (
        session()
        .scalars(
            sa.select(User)
            .join(UserAlias, UserAlias.user_id == User.id)
            .where(UserAlias.alias == name)
        )
        .one_or_none()
    )
    if user is not None and user.username == name:
        return user
    return owner or user


def set_password(user: User | str, password: str) -> User:
    """Give ``user`` (a User or a username) a new password; unlocks the account.

    Every session and token of the user ends with the old password (a page that changes
    the password logs its own browser in again). Raises :class:`PasswordPolicyError`
    when the password breaks the policy.
    """
    state = get_auth_state()
    target = _user(user)
    state.policy.check(password, username=target.username, email=target.email)
    db = session()
    with _transaction(db):
        target.password_hash = state.passwords.hash(password)
        target.password_changed_at = utcnow()
        clear_failures(db, target.username_key)
        _end_everything(db, target)
    return target


def log_out_everywhere(user: User | str) -> User:
    """End every browser session and make every token of ``user`` useless, at once.

    Sessions are deleted; tokens are refused from now on because they carry the user's
    old ``token_version``. The account itself is unchanged.
    """
    target = _user(user)
    db = session()
    with _transaction(db):
        _end_everything(db, target)
    return target


def _end_everything(db: Session, user: User) -> None:
    """Within a transaction: delete ``user``'s sessions and outdate all its tokens."""
    db.execute(
        sa.delete(AuthSession).where(AuthSession.user_id == user.id),
        execution_options={"synchronize_session": False},
    )
    db.execute(
        sa.delete(ResetToken).where(
            ResetToken.user_id == user.id, ResetToken.used_at.is_(None)
        ),
        execution_options={"synchronize_session": False},
    )
    # In SQL, not from the loaded value: a request that loaded the user earlier must not
    # write back an old version, which would let tokens issued meanwhile live on.
    user.token_version = User.token_version + 1


def add_role(user: User | str, role: str) -> User:
    """Give ``user`` the role ``role`` (created when it does not exist yet)."""
    target = _user(user)
    db = session()
    with _transaction(db):
        if role.strip() not in target.role_names:
            target.roles.append(_role(db, role))
    return target


def remove_role(user: User | str, role: str) -> User:
    """Take the role ``role`` from ``user``; nothing happens when the user lacks it."""
    target = _user(user)
    with _transaction(session()):
        target.roles = [r for r in target.roles if r.name != role.strip()]
    return target


def deactivate(user: User | str) -> User:
    """Refuse every login of ``user`` from now on, keeping the account and its data."""
    return _set_active(user, False)


def activate(user: User | str) -> User:
    """Let a deactivated ``user`` log in again."""
    return _set_active(user, True)


def delete_user(user: User | str) -> None:
    """Delete ``user`` with its roles, sessions, tokens and reset links.

    Its username and address become free again; its tokens are refused from then on
    (their user no longer exists).
    """
    target = _user(user)
    db = session()
    with _transaction(db):
        # Explicit, not left to ON DELETE CASCADE: SQLite enforces foreign keys only
        # when each connection turns them on.
        for model in (AuthSession, RefreshToken, RevokedToken, ResetToken, UserAlias):
            db.execute(
                sa.delete(model).where(model.user_id == target.id),
                execution_options={"synchronize_session": False},
            )
        db.delete(target)


# -- helpers -------------------------------------------------------------------------------


class _transaction:
    """Commit on success; roll back on any error, turning a uniqueness clash into
    :class:`DuplicateUserError` (two registrations racing for one name)."""

    def __init__(self, db: Session) -> None:
        self.db = db

    def __enter__(self) -> Session:
        return self.db

    def __exit__(self, exc_type: object, exc: BaseException | None, tb: object) -> None:
        if exc is not None:
            self.db.rollback()
            return
        try:
            self.db.commit()
        except IntegrityError:
            self.db.rollback()
            raise DuplicateUserError(
                "the username or e-mail address was taken at the same moment by another "
                "request: choose another"
            ) from None


def _set_active(user: User | str, active: bool) -> User:
    target = _user(user)
    db = session()
    with _transaction(db):
        target.is_active = active
        if not active:
            _end_everything(db, target)
    return target


def _user(user: User | str) -> User:
    if isinstance(user, User):
        return user
    found = find_user(user)
    if found is None:
        raise UnknownUserError(
            f"no user is named {user!r}: check the spelling (usernames and addresses "
            "are compared ignoring case)"
        )
    return found


def _role(db: Session, name: str) -> Role:
    name = name.strip() if isinstance(name, str) else ""
    if not name or len(name) > _MAX_ROLE or not name.isprintable():
        raise AuthError(
            f"role name {name!r} is not valid: use 1 to {_MAX_ROLE} printable characters"
        )
    role = db.scalars(sa.select(Role).where(Role.name == name)).one_or_none()
    if role is None:
        role = Role(name=name)
        db.add(role)
    return role


def check_username(username: str) -> str:
    """``username`` stripped, or :class:`AuthError` saying why it cannot be a username.

    1 to 150 printable characters without spaces or ``'@'`` (in the given and the
    compared form, :func:`normalise_name`). The database is not consulted.
    """
    if not isinstance(username, str):
        raise AuthError("the username must be a string")
    username = username.strip()
    if not username or len(username) > _MAX_USERNAME:
        raise AuthError(f"the username must have 1 to {_MAX_USERNAME} characters")
    # The compared form too: NFKC turns a fullwidth "＠" into "@", and a name with one is
    # looked up as an e-mail address, so its owner could never log in by name.
    for text in (username, normalise(username)):
        if "@" in text or any(c.isspace() or not c.isprintable() for c in text):
            raise AuthError(
                f"the username {username!r} is not valid: it may not contain '@', spaces "
                "or control characters"
            )
    return username


def check_email(email: str | None) -> str | None:
    """``email`` stripped, ``None`` when empty; :class:`AuthError` when it is not an address.

    An address is written like ``name@example.org``. The database is not consulted.
    """
    if email is None:
        return None
    if not isinstance(email, str):
        raise AuthError("the e-mail address must be a string")
    email = email.strip()
    if not email:
        return None
    local, at, domain = email.rpartition("@")
    if (
        not at
        or not local
        or "." not in domain.strip(".")
        or len(email) > _MAX_EMAIL
        or any(c.isspace() or not c.isprintable() for c in email)
    ):
        raise AuthError(
            f"the e-mail address {email!r} is not valid: write it like name@example.org"
        )
    return email
