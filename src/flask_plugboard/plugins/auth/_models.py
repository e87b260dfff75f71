"""The auth plugin's tables: users, roles and who has which role.

Usernames and e-mail addresses are unique ignoring case: each is stored as given and in a
normalised form (NFKC, case-folded) that carries the unique index, so the rule is the
same on SQLite and PostgreSQL and covers non-ASCII letters (SQL ``lower()`` on SQLite
only folds ASCII). Times are stored in UTC and read back timezone-aware on both.
"""

from __future__ import annotations

import datetime as dt
import unicodedata

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from flask_plugboard.db import UTCDateTime, plugin_metadata, utcnow

__all__ = [
    "AuthSession",
    "Base",
    "LoginFailure",
    "RefreshToken",
    "ResetToken",
    "RevokedToken",
    "Role",
    "User",
    "UTCDateTime",
    "UserAlias",
    "normalise",
    "user_roles",
    "utcnow",
]


def normalise(text: str) -> str:
    """The form a username or e-mail address is compared in: NFKC, case-folded."""
    return unicodedata.normalize("NFKC", text).casefold()


class Base(DeclarativeBase):
    metadata = plugin_metadata()


user_roles = sa.Table(
    "auth_user_role",
    Base.metadata,
    sa.Column(
        "user_id",
        sa.Integer,
        sa.ForeignKey("auth_user.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column(
        "role_id",
        sa.Integer,
        sa.ForeignKey("auth_role.id", ondelete="CASCADE"),
        primary_key=True,
        index=True,
    ),
)


class Role(Base):
    """A named role (``admin``, ``editor``...); users get roles, views require them."""

    __tablename__ = "auth_role"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(80), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)

    def __repr__(self) -> str:
        return f"<Role {self.name!r}>"


class User(Base):
    """A user account. Change it through the service functions (``set_password``...)."""

    __tablename__ = "auth_user"
    # SQLite otherwise gives the id of the newest deleted user to the next one, and a
    # token of the deleted user (its "sub" is the id) would name the new user.
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(sa.String(150))
    username_key: Mapped[str] = mapped_column(sa.String(150), unique=True)
    email: Mapped[str | None] = mapped_column(sa.String(254))
    email_key: Mapped[str | None] = mapped_column(sa.String(254), unique=True)
    # Never shown: __repr__ leaves it out.
    password_hash: Mapped[str] = mapped_column(sa.String(512))
    is_active: Mapped[bool] = mapped_column(default=True, server_default=sa.true())
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    last_login_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    # When the password last changed: sessions and tokens issued before it can be
    # refused (the browser-session and token parts of auth read it).
    password_changed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # Carried by every token as the "ver" claim: raising it (log out everywhere, new
    # password, deactivation) makes every token issued before it useless at once.
    token_version: Mapped[int] = mapped_column(default=0, server_default="0")

    # Loaded when first used, not with the user: a login that fails must read no more
    # for an existing account than for a name nobody has (see _failures).
    roles: Mapped[list[Role]] = relationship(secondary=user_roles, lazy="select")

    @property
    def role_names(self) -> frozenset[str]:
        return frozenset(role.name for role in self.roles)

    def has_role(self, *names: str) -> bool:
        """True when the user has every role in ``names``."""
        return set(names) <= self.role_names

    def __repr__(self) -> str:
        return f"<User {self.id} {self.username!r}>"


class LoginFailure(Base):
    """Failed logins of one login name (an account's username, or a name nobody has).

    Keyed by the normalised name, not the user: a wrong password for an account and any
    password for an unknown name write the same row, so both cost the same (the time of a
    refusal must not tell which accounts exist).
    """

    __tablename__ = "auth_login_failure"

    key: Mapped[str] = mapped_column(sa.String(254), primary_key=True)
    failures: Mapped[int] = mapped_column(default=0, server_default="0")
    last_failed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), index=True)
    locked_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())

    def __repr__(self) -> str:
        return f"<LoginFailure {self.key!r} {self.failures}>"


def _user_fk() -> sa.ForeignKey:
    return sa.ForeignKey("auth_user.id", ondelete="CASCADE")


class AuthSession(Base):
    """A browser session on the server: logging out deletes it, so the cookie is dead.

    The cookie carries a random session key; only its SHA-256 is stored, so a copy of the
    table lets nobody in.
    """

    __tablename__ = "auth_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    key_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    user_id: Mapped[int] = mapped_column(_user_fk(), index=True)
    remember: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_seen_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), index=True)
    user_agent: Mapped[str | None] = mapped_column(sa.String(255))
    address: Mapped[str | None] = mapped_column(sa.String(45))

    def __repr__(self) -> str:
        return f"<AuthSession {self.id} of user {self.user_id}>"


class RefreshToken(Base):
    """A refresh token that was issued: rotation marks it used, a second use is reuse.

    Tokens of one login share a ``family``; reuse of a spent one revokes the family.
    """

    __tablename__ = "auth_refresh_token"

    jti: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    family: Mapped[str] = mapped_column(sa.String(64), index=True)
    user_id: Mapped[int] = mapped_column(_user_fk(), index=True)
    issued_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), index=True)
    used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())

    def __repr__(self) -> str:
        return f"<RefreshToken {self.jti} family {self.family}>"


class RevokedToken(Base):
    """A revoked token (``key`` is its jti) or token family (``family:<id>``).

    Kept until ``expires_at``, when the token would have expired anyway; then pruned.
    """

    __tablename__ = "auth_revoked_token"

    key: Mapped[str] = mapped_column(sa.String(80), primary_key=True)
    user_id: Mapped[int | None] = mapped_column(_user_fk(), index=True)
    reason: Mapped[str] = mapped_column(sa.String(32))
    revoked_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), index=True)

    def __repr__(self) -> str:
        return f"<RevokedToken {self.key} ({self.reason})>"


class ResetToken(Base):
    """A password-reset link: single use, time-limited; only its SHA-256 is stored."""

    __tablename__ = "auth_reset_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    user_id: Mapped[int] = mapped_column(_user_fk(), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), index=True)
    used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())

    def __repr__(self) -> str:
        return f"<ResetToken {self.id} of user {self.user_id}>"


class UserAlias(Base):
    """Another name a user logs in with, exactly as written (``add_alias``): the name an
    import had to change (``carol`` next to ``Carol`` became ``carol-2``)."""

    __tablename__ = "auth_user_alias"

    alias: Mapped[str] = mapped_column(sa.String(150), primary_key=True)
    user_id: Mapped[int] = mapped_column(_user_fk(), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)

    def __repr__(self) -> str:
        return f"<UserAlias {self.alias!r} of user {self.user_id}>"
