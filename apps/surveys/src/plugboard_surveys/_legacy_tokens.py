"""The old flaskForms backend's tokens, taken for a grace period after the switch.

With SURVEYS_LEGACY_JWT_SECRET_KEY set, a token auth refuses is tried as an old one
(auth's ``add_token_decoder``): signed HS256 with that key, in flask-jwt-extended 3's
format (the login in ``identity``, or ``sub``; ``type``, ``jti``, ``fresh``, ``iat`` /
``nbf``, ``exp``; no ``iss``). It is taken while it has not expired and was issued less
than SURVEYS_LEGACY_TOKEN_GRACE seconds ago; after that it is "expired" (401), and the
client logs in again. Its login names the user the import made of that old user
(``ImportedRow`` of kind ``logins``), renamed or not; a login the import never brought
names nobody (401). The old ``revoked_tokens`` the import brings are refused, and so is
every old token of a user whose tokens were all revoked here since (a new password,
log out everywhere): old tokens count as issued under a new user's ``token_version``.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any, Final

import jwt
import sqlalchemy as sa
from flask import Flask

from flask_plugboard.db import session
from flask_plugboard.plugins.auth import TokenDecoder, add_token_decoder

from ._models import ImportedRow
from ._settings import SurveysSettings

__all__ = ["LOGINS", "install_legacy_tokens", "legacy_token_decoder"]

#: The ImportedRow kind mapping an old login (old_id) to its user here (new_id).
LOGINS: Final = "logins"
#: The algorithm flask-jwt-extended 3 signed with by default.
_ALGORITHM: Final = "HS256"


def install_legacy_tokens(app: Flask, settings: SurveysSettings) -> None:
    """Take the old backend's tokens on ``app`` when SURVEYS_LEGACY_JWT_SECRET_KEY is set."""
    key = settings.legacy_jwt_secret_key
    if not key or not settings.legacy_token_grace:
        return
    add_token_decoder(app, legacy_token_decoder(key, settings.legacy_token_grace))


def legacy_token_decoder(key: str, grace: int) -> TokenDecoder:
    """The decoder of the old backend's tokens signed with ``key``."""

    def decode(encoded_token: str) -> Mapping[str, Any] | None:
        try:
            claims: dict[str, Any] = jwt.decode(
                encoded_token,
                key,
                algorithms=[_ALGORITHM],
                options={"require": ["exp", "jti"], "verify_iss": False},
            )
        except jwt.ExpiredSignatureError:
            raise  # signed with the old key: an old token, expired
        except jwt.PyJWTError:
            return None  # not signed with the old key, or not an old token
        if "iss" in claims:
            return None  # made by this service, refused for its own reasons
        issued = claims.get("iat", claims.get("nbf"))
        if not isinstance(issued, int | float) or time.time() >= issued + grace:
            raise jwt.ExpiredSignatureError("Signature has expired")
        login = claims.get("identity", claims.get("sub"))
        jti = claims["jti"]
        return {
            "sub": str(_user_id(login)),
            "ver": 0,
            "jti": str(jti),
            # A family of its own: a legacy logout with it revokes it alone, as before.
            "fam": f"legacy-{jti}",
            "type": claims.get("type", "access"),
            "fresh": bool(claims.get("fresh", False)),
            "iat": issued,
            "exp": claims["exp"],
        }

    return decode


def _user_id(login: object) -> int:
    """The id of the user the import made of the old ``login``; 0 (nobody) if none."""
    if not isinstance(login, str):
        return 0
    ids = set(
        session().scalars(
            sa.select(ImportedRow.new_id).where(
                ImportedRow.kind == LOGINS, ImportedRow.old_id == login
            )
        )
    )
    # Two old databases with that login: which one the token came from is unknown.
    return ids.pop() or 0 if len(ids) == 1 else 0
