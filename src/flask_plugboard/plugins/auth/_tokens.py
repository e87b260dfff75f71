"""JWT access and refresh tokens for API clients, on flask-jwt-extended.

:func:`install_tokens` gives each app its own ``JWTManager`` with auth's loaders (see
:mod:`._token_check` for how a presented token is checked). The functions here manage
tokens over their life: :func:`issue_tokens` at login, :func:`refresh_tokens` to rotate
a refresh token (a spent one used again revokes its whole family), :func:`revoke_token`
and :func:`revoke_all_tokens`, and :func:`prune_tokens` for the records of expired ones.

Signing keys: AUTH_JWT_KEYS ``{kid: secret}`` signs with AUTH_JWT_KEY_ID and puts it in
the ``kid`` header; a token is verified with the key its ``kid`` names, so an old key
keeps verifying while it is listed. A token whose ``kid`` is not listed, or that has
none, is refused like a bad signature (422 "Signature verification failed"). Empty
AUTH_JWT_KEYS: flask-jwt-extended's own rule, JWT_SECRET_KEY else SECRET_KEY, no ``kid``.

flask-jwt-extended's error answers are kept (``{"msg": ...}`` with 401 or 422), which
clients of flask-jwt-extended APIs already understand.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
import uuid
from collections.abc import Mapping
from typing import Any, cast

import sqlalchemy as sa
from flask import Flask
from flask_jwt_extended import (
    create_access_token,
    create_refresh_token,
    decode_token,
    get_current_user,
    get_jwt,
    get_jwt_header,
)
from flask_jwt_extended.exceptions import RevokedTokenError
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session

from flask_plugboard.db import session
from flask_plugboard.errors import SettingsError, UnsafeToStartError

from ._errors import AuthError, UnknownUserError
from ._identity import add_identity_source
from ._models import RefreshToken, RevokedToken, User, utcnow
from ._secret_key import check_secret_key, is_development
from ._service import find_user
from ._settings import AuthSettings
from ._token_check import (
    STATE_KEY,
    TokenManager,
    TokenState,
    TokenStoreUnavailable,
    add_claims,
    is_revoked,
    lookup_user,
    make_cache,
    rollback,
    signing_headers,
    signing_key,
    token_identity,
    token_source,
    token_state,
    unavailable,
    verifying_key,
)

__all__ = [
    "TokenStoreUnavailable",
    "install_tokens",
    "issue_tokens",
    "new_access_token",
    "prune_tokens",
    "refresh_tokens",
    "revoke_all_tokens",
    "revoke_token",
]

logger = logging.getLogger("flask_plugboard.plugins.auth")

#: Expired rows are pruned when tokens are issued, at most this often per worker.
_PRUNE_EVERY_SECONDS = 3600.0
_HMAC_ALGORITHMS = frozenset({"HS256", "HS384", "HS512"})
_UNAVAILABLE = "token store unavailable: try again later"


def install_tokens(app: Flask, settings: AuthSettings) -> None:
    """Set up flask-jwt-extended on ``app`` with auth's loaders and identity source.

    The AUTH_* token settings are defaults of the JWT_* ones: a JWT_* setting given
    explicitly wins.
    """
    if "flask-jwt-extended" in app.extensions:
        raise AuthError(
            f"app {app.name!r} already has a flask-jwt-extended JWTManager: the auth plugin "
            "sets one up with its own loaders; remove JWTManager(app) from the app factory "
            "and configure tokens with the AUTH_* and JWT_* settings"
        )
    config = app.config
    config.setdefault(
        "JWT_ACCESS_TOKEN_EXPIRES", dt.timedelta(seconds=settings.access_token_expires)
    )
    config.setdefault(
        "JWT_REFRESH_TOKEN_EXPIRES", dt.timedelta(seconds=settings.refresh_token_expires)
    )
    config.setdefault("JWT_TOKEN_LOCATION", list(settings.token_location))
    config.setdefault("JWT_COOKIE_CSRF_PROTECT", True)
    config.setdefault("JWT_COOKIE_SECURE", not is_development(app, settings.environment))
    config.setdefault("JWT_COOKIE_SAMESITE", "Lax")
    # The refresh cookie goes only to the token endpoints, not with every request.
    prefix = str(config.get("AUTH_URL_PREFIX", "/auth") or "").rstrip("/")
    config.setdefault("JWT_REFRESH_COOKIE_PATH", f"{prefix}/api/")
    manager = TokenManager(app)

    # Tokens name the app that issued them: another app sharing a signing key (a
    # staging copy, a second service) does not take them for its own.
    # (JWTManager has put its own defaults, None, in the config by now.)
    if config.get("JWT_ENCODE_ISSUER") is None:
        config["JWT_ENCODE_ISSUER"] = app.name
    if config.get("JWT_DECODE_ISSUER") is None:
        config["JWT_DECODE_ISSUER"] = config["JWT_ENCODE_ISSUER"]

    keys = dict(settings.jwt_keys)
    if not is_development(app, settings.environment):
        _refuse_weak_signing_keys(config, keys)
    if keys and config["JWT_ALGORITHM"] not in _HMAC_ALGORITHMS:
        raise SettingsError(
            "AUTH_JWT_KEYS holds shared secrets, which JWT_ALGORITHM = "
            f"{config['JWT_ALGORITHM']!r} cannot use: set JWT_ALGORITHM to HS256, HS384 "
            "or HS512, or leave AUTH_JWT_KEYS empty"
        )
    app.extensions[STATE_KEY] = TokenState(
        access_expires=_expiry(config, "JWT_ACCESS_TOKEN_EXPIRES", "AUTH_ACCESS_TOKEN_EXPIRES"),
        refresh_expires=_expiry(config, "JWT_REFRESH_TOKEN_EXPIRES", "AUTH_REFRESH_TOKEN_EXPIRES"),
        keys=keys,
        key_id=settings.jwt_key_id or (next(iter(keys)) if keys else None),
        cache=make_cache(app, settings.revocation_cache_url),
    )
    manager.user_identity_loader(token_identity)
    manager.additional_claims_loader(add_claims)
    if keys:
        manager.additional_headers_loader(signing_headers)
        manager.encode_key_loader(signing_key)
        manager.decode_key_loader(verifying_key)
    manager.token_in_blocklist_loader(is_revoked)
    manager.user_lookup_loader(lookup_user)
    app.register_error_handler(TokenStoreUnavailable, unavailable)
    add_identity_source(app, token_source(config))


def _refuse_weak_signing_keys(config: Mapping[str, Any], keys: Mapping[str, str]) -> None:
    """In production, stop start-up when a key that signs tokens is missing or weak.

    SECRET_KEY is checked already (see ``_secret_key``); JWT_SECRET_KEY and the keys of
    AUTH_JWT_KEYS sign tokens anyone could forge with a key copied from a README.
    """
    named = {f"AUTH_JWT_KEYS[{kid!r}]": key for kid, key in keys.items()}
    if not keys and config.get("JWT_SECRET_KEY"):
        named["JWT_SECRET_KEY"] = config["JWT_SECRET_KEY"]
    for name, key in named.items():
        problem = check_secret_key(key)
        if problem is not None:
            raise UnsafeToStartError(
                f"{problem.replace('SECRET_KEY', name, 1)}: tokens signed with it could be "
                "forged, so the auth plugin refuses to start in production; use a long "
                "random value (python -c 'import secrets; print(secrets.token_hex(32))')"
            )


def _expiry(config: Mapping[str, Any], key: str, auth_key: str) -> dt.timedelta:
    value = config[key]
    if type(value) is int and value > 0:
        return dt.timedelta(seconds=value)
    if isinstance(value, dt.timedelta) and value > dt.timedelta(0):
        return value
    raise SettingsError(
        f"{key} = {value!r}: the auth plugin needs tokens that expire (revocations are "
        "kept until then); give a positive timedelta or number of seconds, or remove it "
        f"to use {auth_key}"
    )


# -- issuing and rotating --------------------------------------------------------------------


def issue_tokens(user: User) -> dict[str, Any]:
    """Log ``user`` in for an API client: a new access and refresh token, a new family.

    Returns ``{"access_token", "refresh_token", "token_type": "Bearer", "expires_in",
    "refresh_expires_in"}`` (seconds); the refresh token is recorded in its own
    transaction. Raises :class:`AuthError` for a deactivated user.
    """
    if not user.is_active:
        raise AuthError(f"user {user.username!r} is deactivated: activate() it first")
    db = session()
    try:
        tokens = _issue(db, user, uuid.uuid4().hex)
        db.commit()
    except SQLAlchemyError as exc:
        rollback(db)
        raise TokenStoreUnavailable(_UNAVAILABLE) from exc
    _prune_now_and_then()
    return tokens


def refresh_tokens() -> dict[str, Any]:
    """Rotate the request's refresh token: it is spent, and a new pair of its family made.

    Call it in a view decorated with ``@jwt_required(refresh=True)``; returns what
    :func:`issue_tokens` does. A refresh token used a second time (stolen, or replayed)
    revokes its whole family, the newest tokens of that login too; then, and for a
    refresh token auth never recorded, it raises flask-jwt-extended's
    ``RevokedTokenError`` (401 "Token has been revoked"). Of two requests racing with
    one token, one wins and the other counts as reuse.
    """
    payload = get_jwt()
    if payload.get("type") != "refresh":
        raise AuthError(
            "refresh_tokens() needs the request's refresh token verified first: "
            "decorate the view with @jwt_required(refresh=True)"
        )
    user = cast(User, get_current_user())
    jti = payload["jti"]
    db = session()
    try:
        # Race-safe across workers: of two requests spending one token, one gets the row.
        family = db.execute(
            sa.update(RefreshToken)
            .where(RefreshToken.jti == jti, RefreshToken.used_at.is_(None))
            .values(used_at=utcnow())
            .returning(RefreshToken.family),
            execution_options={"synchronize_session": False},
        ).scalar_one_or_none()
        if family is not None:
            tokens = _issue(db, user, family)
            db.commit()
            return tokens
        db.rollback()
        spent = db.scalar(sa.select(RefreshToken.family).where(RefreshToken.jti == jti))
        if spent is not None:
            logger.warning(
                "a spent refresh token of user %s was used again: its family %s (that "
                "login and every token refreshed from it) is revoked",
                user.id,
                spent,
            )
            _revoke(db, {f"family:{spent}": _family_expiry(db, spent)}, user.id, "reuse")
    except SQLAlchemyError as exc:
        rollback(db)
        raise TokenStoreUnavailable(_UNAVAILABLE) from exc
    raise RevokedTokenError(get_jwt_header(), payload)


def new_access_token() -> str:
    """A new access token for the request's refresh token, which is not spent.

    For clients of APIs that never rotated refresh tokens (they keep using one for its
    whole life): call it in a view decorated with ``@jwt_required(refresh=True)``. The
    access token belongs to the refresh token's login, so logging that out revokes it.
    """
    payload = get_jwt()
    if payload.get("type") != "refresh":
        raise AuthError(
            "new_access_token() needs the request's refresh token verified first: "
            "decorate the view with @jwt_required(refresh=True)"
        )
    family = payload.get("fam")
    claims = {"fam": family} if isinstance(family, str) and family else {}
    token: str = create_access_token(identity=get_current_user(), additional_claims=claims)
    return token


def _issue(db: Session, user: User, family: str) -> dict[str, Any]:
    """Within a transaction: a new token pair of ``family``, its refresh token recorded."""
    state = token_state()
    jti = str(uuid.uuid4())
    refresh_exp = utcnow() + state.refresh_expires
    access = create_access_token(identity=user, additional_claims={"fam": family})
    # jti and exp given, so that the record says exactly what the token does.
    refresh = create_refresh_token(
        identity=user, additional_claims={"fam": family, "jti": jti, "exp": refresh_exp}
    )
    db.add(RefreshToken(jti=jti, family=family, user_id=user.id, expires_at=refresh_exp))
    return {
        "access_token": access,
        "refresh_token": refresh,
        "token_type": "Bearer",
        "expires_in": int(state.access_expires.total_seconds()),
        "refresh_expires_in": int(state.refresh_expires.total_seconds()),
    }


# -- revoking and pruning --------------------------------------------------------------------


def revoke_token(
    token: str | Mapping[str, Any] | None = None, *, family: bool = False, reason: str = "logout"
) -> None:
    """Refuse a token from now on: the request's (``None``), an encoded one, or a payload.

    ``family=True`` revokes the whole login the token belongs to: its access and
    refresh tokens and every one rotated from them. Entries are kept until those tokens
    would have expired anyway (:func:`prune_tokens` then deletes them).
    """
    payload = _payload(token)
    try:
        user_id = int(payload["sub"])
    except (KeyError, TypeError, ValueError):
        raise AuthError("this token names no user (its 'sub' claim is not a user id)") from None
    db = session()
    entries: dict[str, dt.datetime] = {}
    exp = payload.get("exp")
    if isinstance(exp, int | float) and exp > utcnow().timestamp():
        entries[str(payload["jti"])] = dt.datetime.fromtimestamp(exp, dt.UTC)
    try:
        if family:
            fam = payload.get("fam")
            if not isinstance(fam, str) or not fam:
                raise AuthError(
                    "this token belongs to no family (it has no 'fam' claim: it was not "
                    "made by issue_tokens()): revoke it alone, with family=False"
                )
            entries[f"family:{fam}"] = _family_expiry(db, fam)
        _revoke(db, entries, user_id, reason[:32])
    except SQLAlchemyError as exc:
        rollback(db)
        raise TokenStoreUnavailable(_UNAVAILABLE) from exc


def revoke_all_tokens(user: User | str) -> User:
    """Make every token of ``user`` (a User or a username) useless, at once.

    Raises the user's ``token_version``, which every token carries. Browser sessions
    stay: ``log_out_everywhere`` ends both. Tokens issued afterwards work.
    """
    target = user if isinstance(user, User) else find_user(user)
    if target is None:
        raise UnknownUserError(
            f"no user is named {user!r}: check the spelling (usernames and addresses "
            "are compared ignoring case)"
        )
    db = session()
    try:
        db.execute(
            sa.update(User)
            .where(User.id == target.id)
            .values(token_version=User.token_version + 1),
            execution_options={"synchronize_session": False},
        )
        db.commit()
    except SQLAlchemyError as exc:
        rollback(db)
        raise TokenStoreUnavailable(_UNAVAILABLE) from exc
    db.expire(target)
    return target


def prune_tokens(now: dt.datetime | None = None) -> int:
    """Delete the revocations and refresh-token records of tokens expired by ``now``.

    Returns how many rows went. Also done when tokens are issued, at most once an hour
    per worker; schedule ``flask auth prune`` where logins are rare.
    """
    when = utcnow() if now is None else now
    db = session()
    deleted = 0
    try:
        for model in (RevokedToken, RefreshToken):
            result = db.execute(
                sa.delete(model).where(model.expires_at <= when),
                execution_options={"synchronize_session": False},
            )
            deleted += cast("sa.CursorResult[Any]", result).rowcount
        db.commit()
    except SQLAlchemyError:
        rollback(db)
        raise
    return deleted


def _payload(token: str | Mapping[str, Any] | None) -> Mapping[str, Any]:
    if token is None:
        payload: Mapping[str, Any] = get_jwt()
        if not payload:
            raise AuthError(
                "this request carries no verified token: decorate the view with "
                "@jwt_required(), or pass the token to revoke"
            )
        return payload
    if isinstance(token, str):
        return decode_token(token, allow_expired=True)
    if not token.get("jti"):
        raise AuthError("a token payload to revoke needs its 'jti' claim")
    return token


def _family_expiry(db: Session, family: str) -> dt.datetime:
    """When every token of ``family`` has expired: its last refresh token's expiry, or
    the expiry of an access token made now, whichever is later."""
    latest = db.scalar(
        sa.select(sa.func.max(RefreshToken.expires_at)).where(RefreshToken.family == family)
    )
    soonest = utcnow() + token_state().access_expires
    return soonest if latest is None or latest < soonest else latest


def _revoke(db: Session, entries: Mapping[str, dt.datetime], user_id: int, reason: str) -> None:
    """List ``entries`` (key -> expires_at) and commit; keys listed already stay as they are."""
    if not entries:
        return
    for attempt in (1, 2):
        listed = set(db.scalars(sa.select(RevokedToken.key).where(RevokedToken.key.in_(entries))))
        for key, expires_at in entries.items():
            if key not in listed:
                db.add(RevokedToken(key=key, user_id=user_id, reason=reason, expires_at=expires_at))
        try:
            db.commit()
            break
        except IntegrityError:
            # Another request listed one of the keys meanwhile: list the others again.
            db.rollback()
            if attempt == 2:
                raise
    cache = token_state().cache
    if cache is not None:
        cache.add(entries)


def _prune_now_and_then() -> None:
    state = token_state()
    now = time.monotonic()
    if now < state.next_prune:
        return
    state.next_prune = now + _PRUNE_EVERY_SECONDS
    try:
        pruned = prune_tokens()
    except SQLAlchemyError as exc:  # the login itself succeeded; pruning waits
        logger.warning("pruning expired token records failed: %s", exc)
        return
    if pruned:
        logger.info("pruned %d expired token records", pruned)
