"""How a presented token is checked: keys by ``kid``, one query for user and revocation,
the optional Redis cache of revoked keys, and the identity source.

These are the loaders :func:`~._tokens.install_tokens` registers on each app's
:class:`TokenManager` (a ``JWTManager``); they read the app's :class:`TokenState` from
``app.extensions``.

- Every token carries ``sub`` (the user id, as a string), ``ver`` (the user's
  ``token_version``) and, when made by ``issue_tokens``, ``fam``: the id shared by the
  tokens of one login and of every rotation after it.
- The check of a token is one indexed query, on the request's database session: the
  user's columns, and whether the token's jti or its family is listed in
  :class:`~._models.RevokedToken`. It runs on every request, so it is a Core query and
  the row becomes the session's ``User`` without the ORM's loading (the same persistent
  instance a query would give; its roles load when first used). Refused with 401 "Token
  has been revoked": listed, or ``ver`` is not the user's (log out everywhere, new
  password, deactivation). Refused with 401 by the user lookup: the user is gone or
  inactive. Both are decided on the row just read, never on a copy the session held.
  Fails closed: when the database cannot answer, 503 ``{"msg": "token revocation check
  unavailable"}``, never access.
- A request verifies its token twice when a view is decorated with ``jwt_required()``
  (AUTH_LOAD_USER verified it before the request): the decoded payload and the check are
  kept on ``g`` for that request object, so the second time costs neither a decode nor
  a query. Nothing is kept from one request to the next, even when they share an app
  context (and so ``g``).
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
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, cast

import jwt
import sqlalchemy as sa
from flask import Flask, Request, current_app, g, jsonify
from flask.typing import ResponseReturnValue
from flask_jwt_extended import JWTManager, get_current_user, verify_jwt_in_request
from jwt import ExpiredSignatureError, InvalidSignatureError, PyJWTError
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, make_transient_to_detached

from flask_plugboard.connections import redis_client, redis_url
from flask_plugboard.db import session

from ._errors import AuthError
from ._identity import current_request
from ._models import RevokedToken, User, utcnow
from ._state import IdentitySource

if TYPE_CHECKING:
    import redis

__all__ = [
    "CACHE_PREFIX",
    "STATE_KEY",
    "RevocationCache",
    "TokenDecoder",
    "TokenState",
    "TokenManager",
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
#: Set on ``g`` to this request's decoded token (:class:`TokenManager`).
_DECODED = "_plugboard_auth_token_decoded"
#: Keys of revoked tokens in Redis: ``<prefix><jti>`` or ``<prefix>family:<id>``.
CACHE_PREFIX = "plugboard:auth:revoked:"
#: After a Redis error the cache is skipped for this long (the database answers alone),
#: so a Redis that hangs costs one timeout per worker now and then, not every request.
_CACHE_RETRY_SECONDS = 5.0
#: Redis answers within this, or counts as down (it is on the path of every request).
_CACHE_TIMEOUT = 0.25


#: Decodes a token auth's own decoding refused (see ``add_token_decoder``): its claims in
#: auth's format, or None when the token is not of its kind.
TokenDecoder = Callable[[str], Mapping[str, Any] | None]


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
    #: Decoders of other tokens, tried in order when auth's decoding refuses one.
    decoders: list[TokenDecoder] = dataclasses.field(default_factory=list)


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


class TokenManager(JWTManager):
    """flask-jwt-extended's ``JWTManager``, decoding a token once per request.

    With AUTH_LOAD_USER the token is verified before the request; a view decorated with
    ``jwt_required()`` verifies it again. Decoding (signature, ``exp``, ``nbf``, the CSRF
    double submit) would give the same answer for the same token, CSRF value and request,
    so the second time reuses the first's payload; every check made after decoding (the
    token's type, freshness, revocation, the user lookup) still runs. Kept for the
    request object only, like the token check.
    """

    def _decode_jwt_from_config(
        self, encoded_token: str, csrf_value: str | None = None, allow_expired: bool = False
    ) -> dict[str, Any]:
        req = current_request()
        if req is None:  # decode_token() outside requests: nothing to share
            return self._decode(encoded_token, csrf_value, allow_expired)
        # g's object, not the proxy: this runs on every request with a token.
        ctx_g = g._get_current_object()
        asked = (encoded_token, csrf_value, allow_expired)
        kept: tuple[Request, tuple[str, str | None, bool], dict[str, Any]] | None
        kept = ctx_g.get(_DECODED)
        if kept is not None and kept[0] is req and kept[1] == asked:
            return dict(kept[2])
        payload = self._decode(encoded_token, csrf_value, allow_expired)
        setattr(ctx_g, _DECODED, (req, asked, dict(payload)))
        return payload

    def _decode(
        self, encoded_token: str, csrf_value: str | None, allow_expired: bool
    ) -> dict[str, Any]:
        """Auth's decoding; when it refuses the token, the decoders ``add_token_decoder``
        added, in order (the first to vouch for it wins). None vouching: auth's refusal."""
        try:
            payload: dict[str, Any] = super()._decode_jwt_from_config(
                encoded_token, csrf_value, allow_expired
            )
        except ExpiredSignatureError:
            raise  # auth's own token, signed by auth's key: it is simply expired
        except PyJWTError:
            for decoder in token_state().decoders:
                try:
                    claims = decoder(encoded_token)
                except ExpiredSignatureError as expired:
                    # What flask-jwt-extended's handler of expired tokens reads.
                    expired.jwt_header = jwt.get_unverified_header(encoded_token)  # type: ignore[attr-defined]
                    expired.jwt_data = jwt.decode(  # type: ignore[attr-defined]
                        encoded_token, options={"verify_signature": False}
                    )
                    raise
                if claims is not None:
                    return _complete(claims)
            raise
        return payload


def _complete(claims: Mapping[str, Any]) -> dict[str, Any]:
    """A decoder's claims, with what flask-jwt-extended fills in for its own tokens."""
    payload = dict(claims)
    identity = current_app.config["JWT_IDENTITY_CLAIM"]
    if not isinstance(payload.get(identity), str):
        raise AuthError(
            f"a token decoder returned claims without {identity!r} (the user id, as a "
            "string): return the claims in auth's format, or None"
        )
    payload.setdefault("type", "access")
    payload.setdefault("fresh", False)
    payload.setdefault("jti", None)
    return payload


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
    request: Request | None
    jti: str | None
    user: User | None
    #: From the query's row, not from ``user``: the session may hold an older copy.
    active: bool
    revoked: bool


def is_revoked(header: dict[str, Any], payload: dict[str, Any]) -> bool:
    return _check(payload).revoked


def lookup_user(header: dict[str, Any], payload: dict[str, Any]) -> User | None:
    check = _check(payload)
    return check.user if check.active else None


def _check(payload: Mapping[str, Any]) -> _Check:
    """Whether the token is revoked, and its user: asked once per request and token.

    Kept for this request object only: ``g`` lives as long as the app context, which
    several requests share inside an outer ``app.app_context()``.
    """
    req = current_request()
    jti = payload.get("jti")
    ctx_g = g._get_current_object()
    cached: _Check | None = ctx_g.get(_CHECK)
    if (
        cached is not None
        and req is not None
        and cached.request is req
        and jti is not None
        and cached.jti == jti
    ):
        return cached
    result = _run_check(req, payload)
    setattr(ctx_g, _CHECK, result)
    return result


def _run_check(req: Request | None, payload: Mapping[str, Any]) -> _Check:
    jti = payload.get("jti")
    jti_key, family_key = _keys(payload)
    cache = token_state().cache
    if cache is not None and cache.any_revoked(revocation_keys(payload)):
        return _Check(req, jti, None, False, True)
    try:
        user_id = int(payload["sub"])
    except (KeyError, TypeError, ValueError):
        return _Check(req, jti, None, False, False)  # names no user: the lookup refuses it
    # None for a key the token lacks: "key IN (NULL, ...)" matches nothing.
    params = {"user_id": user_id, "jti": jti_key, "family": family_key}
    db = session()
    try:
        row = db.execute(_CHECK_QUERY, params, bind_arguments=_BIND).one_or_none()
    except SQLAlchemyError as exc:
        rollback(db)
        logger.error("token revocation check failed, so the token is refused: %s", exc)
        raise TokenStoreUnavailable("token revocation check unavailable") from exc
    if row is None:
        return _Check(req, jti, None, False, False)
    *values, revoked = row
    fields = dict(zip(_USER_FIELDS, values, strict=True))
    outdated = payload.get("ver") != fields["token_version"]
    return _Check(req, jti, _as_loaded(db, fields), fields["is_active"], bool(revoked) or outdated)


def _as_loaded(db: Session, fields: Mapping[str, Any]) -> User:
    """The ``User`` of ``fields`` (a row of all its columns) in ``db``, as if loaded.

    What an ORM query would give without its cost (the check runs on every request):
    the copy the session holds already, else a new instance made persistent in ``db``
    without SQL (``make_transient_to_detached``, then ``add``). Its relationships load
    on first use, like those of any loaded ``User``.
    """
    held = db.identity_map.get(_USER_MAPPER.identity_key_from_primary_key((fields["id"],)))
    if held is not None:
        return held
    user = User()
    # Filled as the ORM fills a row's instance; make_transient_to_detached then resets
    # the history, so nothing counts as changed.
    sa.inspect(user).dict.update(fields)
    make_transient_to_detached(user)
    db.add(user)
    return user


_USER_MAPPER = sa.inspect(User)
#: The attribute names of the User's columns, in the order the check selects them.
_USER_FIELDS = tuple(prop.key for prop in _USER_MAPPER.column_attrs)
#: The User's engine (its metadata's bind key), as an ORM query would choose it.
_BIND = {"mapper": _USER_MAPPER}
_KEY = RevokedToken.__table__.c.key
#: The check: a Core query built once (no ORM entity loading: it is on every request),
#: the user's columns and whether one of the token's keys is listed, both looked up by
#: primary key. Two fixed parameters rather than an expanding IN, which SQLAlchemy would
#: rewrite on every execution.
_CHECK_QUERY = sa.select(
    *(prop.columns[0] for prop in _USER_MAPPER.column_attrs),
    sa.exists()
    .where(
        _KEY.in_([sa.bindparam("jti", type_=_KEY.type), sa.bindparam("family", type_=_KEY.type)])
    )
    .label("revoked"),
).where(User.__table__.c.id == sa.bindparam("user_id"))


def revocation_keys(payload: Mapping[str, Any]) -> list[str]:
    """The RevokedToken keys that would refuse this token: its jti, its family."""
    return [key for key in _keys(payload) if key is not None]


def _keys(payload: Mapping[str, Any]) -> tuple[str | None, str | None]:
    """The RevokedToken keys of the token's jti and of its family (None: it has none)."""
    jti = payload.get("jti")
    family = payload.get("fam")
    return (
        jti if isinstance(jti, str) and jti else None,
        f"family:{family}" if isinstance(family, str) and family else None,
    )


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
