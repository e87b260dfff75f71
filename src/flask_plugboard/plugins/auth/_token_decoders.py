"""Tokens of another kind, for a migration: :func:`add_token_decoder` lets an app take
the tokens an old system issued, and :func:`revoke_token_id` brings its revocations.

A decoder sees only the tokens auth's own decoding refused (a bad signature, a missing
``iss``...; never auth's own expired ones). It returns None for a token that is not of
its kind, raises a PyJWT error (``ExpiredSignatureError``...) to refuse one that is, or
vouches for it by returning its claims in auth's format: ``sub`` (the user's id, as a
string), ``ver`` (the token_version the token was issued under: 0, a new user's, for
tokens older than the user's account here), ``jti``, ``type`` ("access" or "refresh"),
``fresh`` and ``exp``. From there the token is checked like auth's own: its type, the
revocation of its ``jti`` (:func:`revoke_token_id`, or a logout with it), ``ver``
against the user's (a new password, log out everywhere), the user being active.
"""

from __future__ import annotations

import datetime as dt

from flask import Flask
from sqlalchemy.exc import SQLAlchemyError

from flask_plugboard.db import session

from ._errors import AuthError
from ._models import RevokedToken
from ._token_check import TokenDecoder, token_state

__all__ = ["TokenDecoder", "add_token_decoder", "revoke_token_id"]

_MAX_KEY = 80


def add_token_decoder(app: Flask, decoder: TokenDecoder) -> None:
    """Let ``decoder(encoded_token) -> claims | None`` vouch for tokens auth refuses.

    Call it at setup, after auth's (a plugin requiring "auth" can, in its ``setup``).
    """
    token_state(app).decoders.append(decoder)


def revoke_token_id(jti: str, *, until: dt.datetime, commit: bool = True) -> bool:
    """Refuse every token whose ``jti`` is ``jti`` until ``until`` (an aware time: when
    the last such token expires); False when it was refused already.

    For revocations brought from another system (its tokens, vouched for by a decoder,
    carry their old jti). With ``commit=False`` the row is only flushed.
    """
    if not isinstance(jti, str) or not jti or len(jti) > _MAX_KEY or jti.startswith("family:"):
        raise AuthError(
            f"token id {str(jti)[:100]!r} is not one auth can list: give 1 to {_MAX_KEY} "
            "characters, not starting with 'family:'"
        )
    db = session()
    try:
        if db.get(RevokedToken, jti) is not None:
            return False
        db.add(RevokedToken(key=jti, user_id=None, reason="imported", expires_at=until))
        db.flush()
        if commit:
            db.commit()
    except SQLAlchemyError:
        db.rollback()
        raise
    return True
