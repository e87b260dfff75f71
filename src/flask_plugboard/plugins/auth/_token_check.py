"""How a presented token is checked: keys by ``kid``, one query for user and revocation,
the optional Redis cache of revoked keys, and the identity source.

These are the loaders :func:`~._tokens.install_tokens` registers on each app's
``JWTManager``; they read the app's :class:`TokenState` from ``app.extensions``.

- Every token carries ``sub`` (the user id, as a string), ``ver`` (the user's
  ``token_version``) and, when made by ``issue_tokens``, ``fam``: the id shared by the
  tokens of one login and of every rotation after it.
- The check of a token is one indexed query that loads the user and says whether the
  token's jti or its family is listed in :class:`~._models.RevokedToken`; it is kept on
  ``g``, so the user lookup (and a second verification in the same request) reuses it.
  Refused with 401 "Token has been revoked": listed, or ``ver`` is not the user's (log
  out everywhere, new password, deactivation). Refused with 401 by the user lookup: the
  user is gone or inactive. Fails closed: when the database cannot answer, 503
  ``{"msg": "token revocation check unavailable"}``, never access.
- The Redis cache holds revoked keys only, written through on each revocation, read
  before the database. It never answers "not revoked": a miss, or Redis being down, goes
  to the database, so it cannot let a revoked token pass and has no staleness to bound.
  What it buys is refusing revoked tokens (replays) without touching the database. It
  cannot make a valid token cheaper: its user is loaded from the database anyway, and the
  revocation test rides on that same query, so a cached "not revoked" would save nothing
  (bench/bench_auth.py: the cache adds one Redis round trip to every valid request).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import math
import time
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, cast

import sqlalchemy as sa
from flask import Flask, Request, current_app, g, jsonify
from flask.typing import ResponseReturnValue
from flask_jwt_extended import get_current_user, verify_jwt_in_request
from jwt import InvalidSignatureError
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, lazyload

from flask_plugboard.connections import redis_client, redis_url
from flask_plugboard.db import session

from ._errors import AuthError
from ._models import RevokedToken, User, utcnow
from ._state import IdentitySource

if TYPE_CHECKING:
    import redis

__all__ = [
    "CACHE_PREFIX",
    "STATE_KEY",
    "RevocationCache",
    "TokenState",
    "TokenStoreUnavailable",
    "add_claims",
    "is_revoked",
    "lookup_user",
    "make_cache",
    "revocation_keys",
    "rollback",
    "signing_headers",
    "signing_key",
    "token_identity",
    "token_source",
    "token_state",
    "unavailable",
    "verifying_key",
]

logger = logging.getLogger("flask_plugboard.plugins.auth")

STATE_KEY = "auth.tokens"
#: Set on ``g`` to the result of checking this request's token.
_CHECK = "_plugboard_auth_token_check"
#: Keys of revoked tokens in Redis: ``<prefix><jti>`` or ``<prefix>family:<id>``.
CACHE_PREFIX = "plugboard:auth:revoked:"
#: After a Redis error the cache is skipped for this long (the database answers alone),
#: so a Redis that hangs costs one timeout per worker now and then, not every request.
_CACHE_RETRY_SECONDS = 5.0
#: Redis answers within this, or counts as down (it is on the path of every request).
_CACHE_TIMEOUT = 0.25


class TokenStoreUnavailable(AuthError):
    """The database holding refresh tokens and revocations did not answer (503).

    Raised instead of ever accepting a token that could not be checked.
    """


@dataclasses.dataclass
class TokenState:
    """The token settings of one app, resolved at start-up."""

    access_expires: dt.timedelta
    refresh_expires: dt.timedelta
    keys: dict[str, str] = dataclasses.field(repr=False)
    key_id: str | None
    cache: RevocationCache | None
    next_prune: float = 0.0


def token_state(app: Flask | None = None) -> TokenState:
    target = current_app if app is None else app
    try:
        state: TokenState = target.extensions[STATE_KEY]
    except KeyError:
        raise AuthError(
            f"tokens are not set up on app {target.name!r}: add 'auth' to "
            "PLUGBOARD_PLUGINS, or call Auth(app) in the app factory"
        ) from None
    return state


def token_source(config: Mapping[str, Any]) -> IdentitySource:
    """The identity source: the user of the request's access token, when it has one.

    It runs before every request (AUTH_LOAD_USER), so a request without a token is told
    apart by one look at the WSGI environ; only one with a token pays for decoding.
    """
    locations = config["JWT_TOKEN_LOCATION"]
    places = {locations} if isinstance(locations, str) else set(locations)
    header = "HTTP_" + str(config["JWT_HEADER_NAME"]).upper().replace("-", "_")
    header_key = header if "headers" in places else None
    cookie = str(config["JWT_ACCESS_COOKIE_NAME"]) if "cookies" in places else None
    # Query-string and JSON-body tokens (JWT_TOKEN_LOCATION) have no cheap tell.
    always = bool(places - {"headers", "cookies"})

    def source(req: Request) -> User | None:
        environ = req.environ
        if not (
            always
            or (header_key is not None and header_key in environ)
            or (cookie is not None and cookie in environ.get("HTTP_COOKIE", ""))
        ):
            return None
        # optional: an Authorization header of another scheme (Basic...) is not ours and
        # the next identity source may know it; a bad Bearer token raises.
        if verify_jwt_in_request(optional=True) is None:
            return None
        return cast("User | None", get_current_user())

    return source


def unavailable(error: TokenStoreUnavailable) -> ResponseReturnValue:
    """The 503 answer, in flask-jwt-extended's shape (``{"msg": ...}``)."""
    return jsonify({current_app.config["JWT_ERROR_MESSAGE_KEY"]: str(error)}), 503


# -- claims and keys -----------------------------------------------------------------------


def token_identity(identity: Any) -> str:
    return str(_as_user(identity).id)


def add_claims(identity: Any) -> dict[str, Any]:
    return {"ver": _as_user(identity).token_version}


def _as_user(identity: Any) -> User:
    if not isinstance(identity, User):
        raise AuthError(
            f"tokens are made for a User, not a {type(identity).__name__}: call "
            "issue_tokens(user), or create_access_token(identity=user)"
        )
    return identity


def signing_headers(identity: Any) -> dict[str, Any]:
    return {"kid": token_state().key_id}


def signing_key(identity: Any) -> str:
    state = token_state()
    return state.keys[cast(str, state.key_id)]


def verifying_key(header: dict[str, Any], payload: dict[str, Any]) -> str:
    state = token_state()
    kid = header.get("kid")
    key = state.keys.get(kid) if isinstance(kid, str) else None
    if key is None:
        logger.info(
            "refused a token signed with key id %r, which AUTH_JWT_KEYS does not list "
            "(it lists %s)",
            str(kid)[:64],
            ", ".join(sorted(state.keys)),
        )
        # The answer to a bad signature: for the client the two are the same thing.
        raise InvalidSignatureError("Signature verification failed")
    return key


# -- revocation ----------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class _Check:
    jti: str | None
    user: User | None
    revoked: bool


def is_revoked(header: dict[str, Any], payload: dict[str, Any]) -> bool:
    return _check(payload).revoked


def lookup_user(header: dict[str, Any], payload: dict[str, Any]) -> User | None:
    user = _check(payload).user
    return user if user is not None and user.is_active else None


def _check(payload: Mapping[str, Any]) -> _Check:
    """Whether the token is revoked, and its user: asked once per request and token."""
    jti = payload.get("jti")
    cached: _Check | None = g.get(_CHECK)
    if cached is not None and jti is not None and cached.jti == jti:
        return cached
    result = _run_check(payload)
    setattr(g, _CHECK, result)
    return result


def _run_check(payload: Mapping[str, Any]) -> _Check:
    jti = payload.get("jti")
    keys = revocation_keys(payload)
    cache = token_state().cache
    if cache is not None and cache.any_revoked(keys):
        return _Check(jti, None, True)
    try:
        user_id = int(payload["sub"])
    except (KeyError, TypeError, ValueError):
        return _Check(jti, None, False)  # names no user: the user lookup refuses it
    db = session()
    try:
        row = db.execute(_CHECK_QUERY, {"user_id": user_id, "keys": keys}).one_or_none()
    except SQLAlchemyError as exc:
        rollback(db)
        logger.error("token revocation check failed, so the token is refused: %s", exc)
        raise TokenStoreUnavailable("token revocation check unavailable") from exc
    if row is None:
        return _Check(jti, None, False)
    user, revoked = row
    outdated = payload.get("ver") != user.token_version
    return _Check(jti, user, bool(revoked) or outdated)


#: The check, built once: the user, and whether one of the token's keys is listed. Both
#: lookups are by primary key.
_CHECK_QUERY = (
    sa.select(
        User,
        sa.exists()
        .where(RevokedToken.key.in_(sa.bindparam("keys", expanding=True)))
        .label("revoked"),
    )
    .where(User.id == sa.bindparam("user_id"))
    # Roles are loaded when a view asks for them, not for every token.
    .options(lazyload(User.roles))
)


def revocation_keys(payload: Mapping[str, Any]) -> list[str]:
    """The RevokedToken keys that would refuse this token: its jti, its family."""
    keys = []
    jti = payload.get("jti")
    if isinstance(jti, str) and jti:
        keys.append(jti)
    family = payload.get("fam")
    if isinstance(family, str) and family:
        keys.append(f"family:{family}")
    return keys


def rollback(db: Session) -> None:
    """Roll back after a database error, which may have taken the connection too."""
    try:
        db.rollback()
    except SQLAlchemyError as exc:  # nothing left to undo: the error is reported already
        logger.debug("rollback after a failed token query failed too: %s", exc)


def make_cache(app: Flask, own: str | None) -> RevocationCache | None:
    """The Redis cache for AUTH_REVOCATION_CACHE_URL (``own``), if any.

    Off unless asked for: it does not follow PLUGBOARD_REDIS_URL, because every valid
    token costs one database query anyway (the user is loaded, and the revocation test
    rides on that query), so the cache adds a round trip and only spares the database
    the replays of revoked tokens (bench/bench_auth.py measures both).
    """
    if own is None or own == "off":
        return None
    url = redis_url(app, own)
    if url is None:
        return None
    client = redis_client(
        app, url, socket_timeout=_CACHE_TIMEOUT, socket_connect_timeout=_CACHE_TIMEOUT
    )
    return RevocationCache(client)


class RevocationCache:
    """Revoked keys in Redis, in front of the database. Holds positive answers only."""

    def __init__(self, client: redis.Redis) -> None:
        self._client = client
        self._retry_at = 0.0

    def any_revoked(self, keys: Sequence[str]) -> bool:
        """True when Redis lists one of ``keys``; False means "ask the database"."""
        if not keys or time.monotonic() < self._retry_at:
            return False
        try:
            return bool(self._client.exists(*[CACHE_PREFIX + key for key in keys]))
        except Exception as exc:  # any failure of Redis: the database answers instead
            self._failed(exc)
            return False

    def add(self, entries: Mapping[str, dt.datetime]) -> None:
        """List ``key -> expires_at`` until then (the database has them already)."""
        if not entries or time.monotonic() < self._retry_at:
            return
        now = utcnow()
        try:
            with self._client.pipeline(transaction=False) as pipe:
                for key, expires_at in entries.items():
                    ttl = max(1, math.ceil((expires_at - now).total_seconds()))
                    pipe.set(CACHE_PREFIX + key, b"1", ex=ttl)
                pipe.execute()
        except Exception as exc:  # a missed write is harmless: the database has it
            self._failed(exc)

    def _failed(self, exc: Exception) -> None:
        now = time.monotonic()
        if now >= self._retry_at:
            logger.warning(
                "the token revocation cache (Redis) failed (%s): the database answers "
                "alone for the next %g s",
                exc,
                _CACHE_RETRY_SECONDS,
            )
        self._retry_at = now + _CACHE_RETRY_SECONDS
