"""Tokens of another system (a migration's): ``add_token_decoder`` vouches for them, and
they are then checked like auth's own (SQLite and the real PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Mapping
from typing import Any

import jwt
from flask import Flask

from auth_support import PASSWORD, MakeAuthApp
from flask_plugboard.plugins.auth import (
    add_token_decoder,
    find_user,
    register_user,
    revoke_token_id,
    set_password,
)

OLD_KEY = "an old system's signing key, long enough to pass"


def old_token(sub: str, *, jti: str = "j1", exp: int | None = None) -> str:
    exp = int(time.time()) + 600 if exp is None else exp
    return jwt.encode({"login": sub, "jti": jti, "exp": exp}, OLD_KEY, algorithm="HS256")


def decoder() -> Any:
    """Vouches for tokens signed with OLD_KEY, naming users by login."""

    def decode(encoded: str) -> Mapping[str, Any] | None:
        try:
            claims = jwt.decode(encoded, OLD_KEY, algorithms=["HS256"])
        except jwt.ExpiredSignatureError:
            raise
        except jwt.PyJWTError:
            return None
        user = find_user(claims["login"])  # in the request's app context
        return {"sub": str(user.id if user else 0), "ver": 0, "jti": claims["jti"],
                "exp": claims["exp"]}  # fmt: skip

    return decode


def me(app: Flask, token: str) -> tuple[int, Any]:
    response = app.test_client().get("/auth/api/me", headers={"Authorization": f"Bearer {token}"})
    body = response.get_json()
    return response.status_code, body["user"]["username"] if "user" in body else body.get("msg")


def test_a_decoder_vouches_for_tokens_auth_refuses(make_auth_app: MakeAuthApp) -> None:
    refusing = make_auth_app()
    with refusing.app_context():
        register_user("alice", PASSWORD)
    assert me(refusing, old_token("alice")) == (422, "Signature verification failed")

    app = make_auth_app()
    add_token_decoder(app, decoder())  # the same database: alice is there

    assert me(app, old_token("alice")) == (200, "alice")
    # Refused as auth refuses its own: expired, revoked, outdated by a new password.
    assert me(app, old_token("alice", exp=int(time.time()) - 10)) == (401, "Token has expired")
    with app.app_context():
        assert revoke_token_id("j2", until=dt.datetime.now(dt.UTC) + dt.timedelta(days=1))
        assert not revoke_token_id("j2", until=dt.datetime.now(dt.UTC) + dt.timedelta(days=1))
    assert me(app, old_token("alice", jti="j2")) == (401, "Token has been revoked")
    assert me(app, old_token("nobody"))[0] == 401
    # Garbage nobody vouches for: auth's own refusal.
    assert me(app, "not.a.token")[0] == 422
    with app.app_context():
        set_password("alice", "a brand new passphrase for alice")
    assert me(app, old_token("alice")) == (401, "Token has been revoked")
