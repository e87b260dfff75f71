"""The auth plugin's JWT tokens (SQLite and the real PostgreSQL; Redis where it runs):
claims, every way a token is refused, rotation and reuse detection, revocation, signing
keys, cookies with CSRF, pruning, the Redis cache and failing closed."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import jwt
import pytest
import redis
import sqlalchemy as sa
from flask import Flask, g
from flask.testing import FlaskClient
from flask_jwt_extended import (
    JWTManager,
    create_access_token,
    create_refresh_token,
    get_current_user,
    jwt_required,
)
from werkzeug.test import TestResponse

from auth_support import PASSWORD, MakeAuthApp
from flask_plugboard.db import get_db, session
from flask_plugboard.errors import PlugboardError
from flask_plugboard.plugins.auth import (
    Auth,
    AuthError,
    User,
    deactivate,
    delete_user,
    find_user,
    log_out_everywhere,
    login_required,
    register_user,
    set_password,
)
from flask_plugboard.plugins.auth._models import RefreshToken, RevokedToken, utcnow
from flask_plugboard.plugins.auth._token_check import CACHE_PREFIX
from flask_plugboard.plugins.auth._tokens import (
    issue_tokens,
    prune_tokens,
    revoke_all_tokens,
    revoke_token,
)
from flask_plugboard.testing import build_app

REVOKED = {"msg": "Token has been revoked"}
BAD_SIGNATURE = {"msg": "Signature verification failed"}
KEY_A = "a" * 32 + "-first-signing-key"
KEY_B = "b" * 32 + "-second-signing-key"


def with_routes(app: Flask) -> Flask:
    """Add a public page, a login_required view and a jwt_required view; two users."""

    @app.get("/whoami")
    def whoami() -> dict[str, Any]:
        return {"user": g.user.username if g.user is not None else None}

    @app.get("/private")
    @login_required
    def private() -> dict[str, Any]:
        return {"user": g.user.username}

    @app.get("/jwt")
    @jwt_required()
    def jwt_view() -> dict[str, Any]:
        return {"user": get_current_user().username}

    with app.app_context():
        if find_user("alice") is None:
            register_user("alice", PASSWORD, roles=["editor"])
            register_user("bob", PASSWORD)
    return app


@pytest.fixture
def make_app(make_auth_app: MakeAuthApp) -> Callable[..., Flask]:
    def make(**config: Any) -> Flask:
        return with_routes(make_auth_app(**config))

    return make


@pytest.fixture
def app(make_app: Callable[..., Flask]) -> Flask:
    return make_app()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def login(client: FlaskClient, username: str = "alice") -> dict[str, Any]:
    response = client.post("/auth/api/login", json={"username": username, "password": PASSWORD})
    assert response.status_code == 200, response.json
    assert response.json is not None
    return response.json


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def me(client: FlaskClient, token: str) -> TestResponse:
    return client.get("/auth/api/me", headers=bearer(token))


def refresh(client: FlaskClient, token: str) -> TestResponse:
    return client.post("/auth/api/refresh", headers=bearer(token))


def claims(token: str) -> dict[str, Any]:
    return jwt.decode(token, options={"verify_signature": False})


def made_token(app: Flask, username: str = "alice", **kwargs: Any) -> str:
    with app.app_context():
        user = find_user(username)
        assert user is not None
        return create_access_token(identity=user, **kwargs)


# -- what a login gives ----------------------------------------------------------------------


def test_login_gives_an_access_and_a_refresh_token_of_one_family(app: Flask) -> None:
    tokens = login(app.test_client())

    access, refresh_ = claims(tokens["access_token"]), claims(tokens["refresh_token"])
    assert tokens["token_type"] == "Bearer"
    assert tokens["expires_in"] == 15 * 60
    assert tokens["refresh_expires_in"] == 30 * 24 * 3600
    assert (access["type"], refresh_["type"]) == ("access", "refresh")
    assert access["sub"] == refresh_["sub"] == "1"
    assert access["ver"] == refresh_["ver"] == 0
    assert access["fam"] == refresh_["fam"]
    assert access["exp"] - access["iat"] == 15 * 60
    with app.app_context():
        row = session().get(RefreshToken, refresh_["jti"])
        assert row is not None and row.family == access["fam"] and row.used_at is None
        assert int(row.expires_at.timestamp()) == refresh_["exp"]


def test_an_access_token_identifies_its_user_everywhere(app: Flask) -> None:
    client = app.test_client()
    token = login(client)["access_token"]

    assert client.get("/whoami", headers=bearer(token)).json == {"user": "alice"}
    assert client.get("/private", headers=bearer(token)).json == {"user": "alice"}
    assert client.get("/jwt", headers=bearer(token)).json == {"user": "alice"}
    assert me(client, token).json == {
        "user": {"id": 1, "username": "alice", "email": None, "roles": ["editor"]}
    }


def test_without_a_token_the_request_is_anonymous(client: FlaskClient) -> None:
    assert client.get("/whoami").json == {"user": None}
    assert client.get("/private").status_code == 401
    response = client.get("/jwt")
    assert (response.status_code, response.json) == (401, {"msg": "Missing Authorization Header"})


def test_a_request_without_a_token_costs_no_query_and_one_with_a_token_one(app: Flask) -> None:
    client = app.test_client()
    token = login(client)["access_token"]
    statements: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    with app.app_context():
        engine = get_db(app).engine
    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        assert client.get("/whoami").json == {"user": None}
        assert statements == []
        # Checked before the request (AUTH_LOAD_USER) and again by jwt_required: one query.
        assert client.get("/jwt", headers=bearer(token)).status_code == 200
        assert len(statements) == 1
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)


def test_the_token_user_belongs_to_the_request_database_session(app: Flask) -> None:
    @app.post("/email")
    @login_required
    def change_email() -> dict[str, Any]:
        g.user.email = "alice@example.org"
        session().commit()
        return {"roles": sorted(g.user.role_names)}

    client = app.test_client()
    token = login(client)["access_token"]
    assert client.post("/email", headers=bearer(token)).json == {"roles": ["editor"]}
    with app.app_context():
        alice = find_user("alice")
        assert alice is not None and alice.email == "alice@example.org"


def test_requests_inside_one_app_context_are_each_checked(app: Flask) -> None:
    client = app.test_client()
    token = login(client)["access_token"]
    # Their g is the app context's, shared: one request's user must not answer for the next.
    with app.app_context():
        assert client.get("/private", headers=bearer(token)).json == {"user": "alice"}
        assert client.get("/whoami").json == {"user": None}
        revoke_token(token)
        assert client.get("/private", headers=bearer(token)).json == REVOKED
        assert client.get("/jwt", headers=bearer(token)).json == REVOKED


# -- refused tokens ------------------------------------------------------------------------------


def test_an_expired_token_is_refused_with_401(app: Flask, client: FlaskClient) -> None:
    token = made_token(app, expires_delta=dt.timedelta(seconds=-5))

    response = me(client, token)
    assert (response.status_code, response.json) == (401, {"msg": "Token has expired"})
    assert client.get("/whoami", headers=bearer(token)).json == {"user": None}
    assert client.get("/private", headers=bearer(token)).status_code == 401


def test_a_tampered_token_is_refused_with_422(client: FlaskClient) -> None:
    token = login(client)["access_token"]
    head, body, signature = token.split(".")
    flipped = signature[:10] + ("A" if signature[10] != "A" else "B") + signature[11:]

    response = me(client, f"{head}.{body}.{flipped}")
    assert (response.status_code, response.json) == (422, BAD_SIGNATURE)
    # A changed payload under the old signature fails the same way.
    forged = jwt.utils.base64url_encode(  # type: ignore[attr-defined]
        jwt.utils.base64url_decode(body).replace(b'"sub":"1"', b'"sub":"2"')  # type: ignore[attr-defined]
    ).decode()
    assert me(client, f"{head}.{forged}.{signature}").json == BAD_SIGNATURE


def test_a_token_signed_with_another_key_is_refused_with_422(client: FlaskClient) -> None:
    payload = claims(login(client)["access_token"])

    response = me(client, jwt.encode(payload, KEY_A, algorithm="HS256"))
    assert (response.status_code, response.json) == (422, BAD_SIGNATURE)
    unsigned = jwt.encode(payload, None, algorithm="none")
    assert me(client, unsigned).status_code == 422


def test_each_kind_of_token_only_works_where_it_belongs(client: FlaskClient) -> None:
    tokens = login(client)

    wrong_access = me(client, tokens["refresh_token"])
    wrong_refresh = refresh(client, tokens["access_token"])
    assert (wrong_access.status_code, wrong_access.json) == (
        422,
        {"msg": "Only non-refresh tokens are allowed"},
    )
    assert (wrong_refresh.status_code, wrong_refresh.json) == (
        422,
        {"msg": "Only refresh tokens are allowed"},
    )
    assert client.get("/private", headers=bearer(tokens["refresh_token"])).status_code == 422


@pytest.mark.parametrize(
    ("header", "status", "message"),
    [
        ("Bearer", 422, "Bad Authorization header. Expected 'Authorization: Bearer <JWT>'"),
        ("Bearer a b", 422, "Bad Authorization header. Expected 'Authorization: Bearer <JWT>'"),
        ("Bearer not-a-token", 422, "Not enough segments"),
        ("Bearer a.b.c", 422, "Invalid header padding"),
        ("Basic x", 401, "Missing 'Bearer' type in 'Authorization' header."),
    ],
)
def test_malformed_headers_get_flask_jwt_extended_answers(
    client: FlaskClient, header: str, status: int, message: str
) -> None:
    response = client.get("/auth/api/me", headers={"Authorization": header})

    assert response.status_code == status
    assert response.json is not None and response.json["msg"].startswith(message)
    assert client.get("/whoami", headers={"Authorization": header}).json == {"user": None}


def test_tokens_of_a_deleted_user_are_refused_with_401(app: Flask, client: FlaskClient) -> None:
    token = login(client, "bob")["access_token"]
    with app.app_context():
        delete_user("bob")

    response = me(client, token)
    assert response.status_code == 401
    assert client.get("/private", headers=bearer(token)).status_code == 401


def test_tokens_of_a_deactivated_user_are_refused_with_401(app: Flask, client: FlaskClient) -> None:
    alice, bob = login(client, "alice"), login(client, "bob")
    with app.app_context():
        deactivate("alice")
        # Marked inactive behind auth's back (no new token_version): refused all the same.
        session().execute(sa.update(User).where(User.username == "bob").values(is_active=False))
        session().commit()

    response = me(client, alice["access_token"])
    assert (response.status_code, response.json) == (401, REVOKED)
    assert me(client, bob["access_token"]).status_code == 401
    assert client.get("/private", headers=bearer(bob["access_token"])).status_code == 401
    assert refresh(client, bob["refresh_token"]).status_code == 401


def test_a_new_password_ends_the_old_tokens(app: Flask, client: FlaskClient) -> None:
    tokens = login(client)
    with app.app_context():
        set_password("alice", "another quiet tram to Porto")

    assert me(client, tokens["access_token"]).json == REVOKED
    assert refresh(client, tokens["refresh_token"]).json == REVOKED


# -- revocation ---------------------------------------------------------------------------------


def test_logout_access_revokes_that_access_token_only(client: FlaskClient) -> None:
    tokens = login(client)
    other = login(client)

    response = client.post("/auth/api/logout/access", headers=bearer(tokens["access_token"]))
    assert (response.status_code, response.json) == (200, {"msg": "Access token revoked"})

    again = me(client, tokens["access_token"])
    assert (again.status_code, again.json) == (401, REVOKED)
    assert me(client, other["access_token"]).status_code == 200
    assert refresh(client, tokens["refresh_token"]).status_code == 200


def test_a_revocation_is_kept_until_the_token_would_expire(app: Flask, client: FlaskClient) -> None:
    tokens = login(client)
    client.post("/auth/api/logout/access", headers=bearer(tokens["access_token"]))
    client.post("/auth/api/logout/refresh", headers=bearer(tokens["refresh_token"]))

    access, refresh_ = claims(tokens["access_token"]), claims(tokens["refresh_token"])
    with app.app_context():
        rows = {row.key: row for row in session().scalars(sa.select(RevokedToken))}
    assert set(rows) == {access["jti"], refresh_["jti"], f"family:{access['fam']}"}
    assert rows[access["jti"]].expires_at == dt.datetime.fromtimestamp(access["exp"], dt.UTC)
    assert rows[access["jti"]].reason == "logout" and rows[access["jti"]].user_id == 1
    # The family lasts as long as its newest refresh token.
    family_expiry = rows[f"family:{access['fam']}"].expires_at
    assert int(family_expiry.timestamp()) == refresh_["exp"]
    assert family_expiry.tzinfo is not None


def test_logout_refresh_revokes_that_login(client: FlaskClient) -> None:
    tokens = login(client)
    other = login(client)

    response = client.post("/auth/api/logout/refresh", headers=bearer(tokens["refresh_token"]))
    assert response.status_code == 200

    assert refresh(client, tokens["refresh_token"]).json == REVOKED
    assert me(client, tokens["access_token"]).json == REVOKED
    assert me(client, other["access_token"]).status_code == 200
    assert refresh(client, other["refresh_token"]).status_code == 200


def test_logout_all_ends_every_token_of_the_user(client: FlaskClient) -> None:
    first, second, bob = login(client), login(client), login(client, "bob")

    response = client.post("/auth/api/logout/all", headers=bearer(first["access_token"]))
    assert response.status_code == 200

    for tokens in (first, second):
        assert me(client, tokens["access_token"]).json == REVOKED
        assert refresh(client, tokens["refresh_token"]).json == REVOKED
    assert me(client, bob["access_token"]).status_code == 200
    assert me(client, login(client)["access_token"]).status_code == 200


def test_log_out_everywhere_ends_tokens_issued_after_the_user_was_loaded(
    app: Flask, client: FlaskClient
) -> None:
    """Two requests at once: one loaded the user; meanwhile another logged out everywhere
    and the user logged in again. The first one's log out everywhere ends that login too."""
    first = login(client)
    newer: dict[str, Any] = {}

    def meanwhile() -> None:  # another worker: its own app context and database session
        client.post("/auth/api/logout/all", headers=bearer(first["access_token"]))
        newer.update(login(client))

    with app.app_context():
        loaded = find_user("alice")  # this request's copy, taken now
        assert loaded is not None
        other = threading.Thread(target=meanwhile)
        other.start()
        other.join()
        assert me(client, newer["access_token"]).status_code == 200

        log_out_everywhere(loaded)

    assert me(client, newer["access_token"]).json == REVOKED


def test_revoke_all_tokens_and_revoke_token_work_outside_requests(
    app: Flask, client: FlaskClient
) -> None:
    alice, bob = login(client), login(client, "bob")
    with app.app_context():
        revoke_all_tokens("alice")
        revoke_token(bob["refresh_token"])
        with pytest.raises(AuthError, match="no user is named 'carol'"):
            revoke_all_tokens("carol")

    assert me(client, alice["access_token"]).json == REVOKED
    assert refresh(client, bob["refresh_token"]).json == REVOKED
    assert me(client, bob["access_token"]).status_code == 200


def test_a_token_made_without_issue_tokens_has_no_family_to_revoke(app: Flask) -> None:
    token = made_token(app)
    with app.app_context():
        with pytest.raises(AuthError, match="revoke it alone, with family=False"):
            revoke_token(token, family=True)
        with pytest.raises(AuthError, match=r"issue_tokens\(user\)"):
            create_access_token(identity="1")


# -- rotation and reuse ------------------------------------------------------------------------


def test_refreshing_rotates_the_refresh_token(client: FlaskClient) -> None:
    first = login(client)

    response = refresh(client, first["refresh_token"])
    assert response.status_code == 200 and response.json is not None
    second = response.json
    assert claims(second["refresh_token"])["fam"] == claims(first["refresh_token"])["fam"]
    assert me(client, second["access_token"]).status_code == 200
    assert refresh(client, second["refresh_token"]).status_code == 200


def test_reusing_a_spent_refresh_token_revokes_its_whole_family(client: FlaskClient) -> None:
    stolen = login(client)
    other_login = login(client)
    newest = refresh(client, stolen["refresh_token"]).json
    assert newest is not None

    reuse = refresh(client, stolen["refresh_token"])
    assert (reuse.status_code, reuse.json) == (401, REVOKED)

    assert refresh(client, newest["refresh_token"]).json == REVOKED
    assert me(client, newest["access_token"]).json == REVOKED
    assert me(client, stolen["access_token"]).json == REVOKED
    assert me(client, other_login["access_token"]).status_code == 200
    assert refresh(client, other_login["refresh_token"]).status_code == 200


def test_a_refresh_token_auth_never_recorded_is_refused(app: Flask, client: FlaskClient) -> None:
    with app.app_context():
        user = find_user("alice")
        token = create_refresh_token(identity=user)

    assert refresh(client, token).json == REVOKED


def test_two_refreshes_racing_with_one_token_let_one_win(app: Flask) -> None:
    tokens = login(app.test_client())
    barrier = threading.Barrier(2)
    answers: list[tuple[int, dict[str, Any] | None]] = []

    def attempt() -> None:
        client = app.test_client()
        barrier.wait()
        response = refresh(client, tokens["refresh_token"])
        answers.append((response.status_code, response.json))

    threads = [threading.Thread(target=attempt) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(status for status, _ in answers) == [200, 401]
    winner = next(body for status, body in answers if status == 200)
    assert winner is not None
    # The loser counts as reuse: the winner's tokens are revoked with the family.
    assert refresh(app.test_client(), winner["refresh_token"]).json == REVOKED


# -- signing keys --------------------------------------------------------------------------------


def test_old_keys_verify_while_listed_and_new_tokens_use_the_signing_key(
    make_app: Callable[..., Flask],
) -> None:
    before = make_app(AUTH_JWT_KEYS={"2026-06": KEY_A})
    old = login(before.test_client())["access_token"]
    assert jwt.get_unverified_header(old)["kid"] == "2026-06"

    during = make_app(AUTH_JWT_KEYS={"2026-12": KEY_B, "2026-06": KEY_A}, AUTH_JWT_KEY_ID="2026-12")
    client = during.test_client()
    assert me(client, old).status_code == 200
    new = login(client)["access_token"]
    assert jwt.get_unverified_header(new)["kid"] == "2026-12"
    assert me(client, new).status_code == 200

    after = make_app(AUTH_JWT_KEYS={"2026-12": KEY_B})
    client = after.test_client()
    assert me(client, new).status_code == 200
    response = me(client, old)
    assert (response.status_code, response.json) == (422, BAD_SIGNATURE)


def test_unknown_or_missing_key_ids_are_refused(
    make_app: Callable[..., Flask], client: FlaskClient
) -> None:
    payload = claims(login(client)["access_token"])
    keyed = make_app(AUTH_JWT_KEYS={"k1": KEY_A})
    client = keyed.test_client()

    unknown = jwt.encode(payload, KEY_A, algorithm="HS256", headers={"kid": "k2"})
    no_kid = jwt.encode(payload, KEY_A, algorithm="HS256")
    right = jwt.encode(payload, KEY_A, algorithm="HS256", headers={"kid": "k1"})
    assert me(client, unknown).json == BAD_SIGNATURE
    assert me(client, no_kid).json == BAD_SIGNATURE
    assert me(client, right).status_code == 200


def test_two_apps_with_different_keys_refuse_each_others_tokens(
    make_app: Callable[..., Flask],
) -> None:
    first = make_app()
    second = make_app()
    keyed_a = make_app(AUTH_JWT_KEYS={"k": KEY_A})
    keyed_b = make_app(AUTH_JWT_KEYS={"k": KEY_B})

    for mine, theirs in ((first, second), (keyed_a, keyed_b)):
        token = login(mine.test_client())["access_token"]
        assert me(mine.test_client(), token).status_code == 200
        assert me(theirs.test_client(), token).json == BAD_SIGNATURE


# -- cookies --------------------------------------------------------------------------------------


def cookie(client: FlaskClient, name: str, path: str = "/") -> str:
    found = client.get_cookie(name, path=path)
    assert found is not None, name
    return found.value


def test_cookies_mode_sets_httponly_cookies_and_wants_the_csrf_token(
    make_app: Callable[..., Flask],
) -> None:
    app = make_app(AUTH_TOKEN_LOCATION=["cookies"])
    client = app.test_client()

    response = client.post("/auth/api/login", json={"username": "alice", "password": PASSWORD})
    assert response.status_code == 200 and response.json is not None
    assert "access_token" not in response.json and "refresh_token" not in response.json
    set_cookies = response.headers.getlist("Set-Cookie")
    assert any(c.startswith("access_token_cookie=") and "HttpOnly" in c for c in set_cookies)
    assert any("refresh_token_cookie=" in c and "Path=/auth/api/" in c for c in set_cookies)
    assert all("SameSite=Lax" in c and "Secure" not in c for c in set_cookies)

    assert client.get("/auth/api/me").json is not None  # GET: no CSRF token needed
    assert client.get("/private").json == {"user": "alice"}
    missing = client.post("/auth/api/logout/access")
    assert (missing.status_code, missing.json) == (401, {"msg": "Missing CSRF token"})
    wrong = client.post("/auth/api/logout/access", headers={"X-CSRF-TOKEN": "guess"})
    assert (wrong.status_code, wrong.json) == (
        401,
        {"msg": "CSRF double submit tokens do not match"},
    )

    refresh_csrf = cookie(client, "csrf_refresh_token")
    assert client.post("/auth/api/refresh").json == {"msg": "Missing CSRF token"}
    rotated = client.post("/auth/api/refresh", headers={"X-CSRF-TOKEN": refresh_csrf})
    assert rotated.status_code == 200

    access_csrf = cookie(client, "csrf_access_token")
    out = client.post("/auth/api/logout/access", headers={"X-CSRF-TOKEN": access_csrf})
    assert out.status_code == 200
    assert client.get_cookie("access_token_cookie") is None
    assert client.get("/auth/api/me").json == {"msg": 'Missing cookie "access_token_cookie"'}


def test_token_cookies_are_secure_in_production(make_app: Callable[..., Flask]) -> None:
    app = make_app(AUTH_TOKEN_LOCATION=["headers", "cookies"], AUTH_ENVIRONMENT="production")
    response = app.test_client().post(
        "/auth/api/login", json={"username": "alice", "password": PASSWORD}
    )

    assert response.json is not None and "access_token" in response.json
    assert all("Secure" in c for c in response.headers.getlist("Set-Cookie"))


# -- pruning ------------------------------------------------------------------------------------


def seed_records(now: dt.datetime) -> None:
    hour = dt.timedelta(hours=1)
    db = session()
    for key, expires_at in (("gone", now - hour), ("kept", now + hour)):
        db.add(RevokedToken(key=key, user_id=1, reason="test", expires_at=expires_at))
        db.add(RefreshToken(jti=key, family="f", user_id=1, expires_at=expires_at))
    db.commit()


def test_prune_deletes_only_expired_records(app: Flask) -> None:
    with app.app_context():
        now = utcnow()
        seed_records(now)

        assert prune_tokens(now) == 2
        assert set(session().scalars(sa.select(RevokedToken.key))) == {"kept"}
        assert set(session().scalars(sa.select(RefreshToken.jti))) == {"kept"}
        assert prune_tokens(now) == 0


def test_issuing_tokens_prunes_now_and_then(app: Flask) -> None:
    with app.app_context():
        seed_records(utcnow())
        user = find_user("alice")
        assert user is not None
        issue_tokens(user)
        assert set(session().scalars(sa.select(RevokedToken.key))) == {"kept"}


# -- failing closed, and the Redis cache -----------------------------------------------------------


def test_a_broken_revocation_store_refuses_tokens_with_503(app: Flask) -> None:
    client = app.test_client()
    token = login(client)["access_token"]
    with app.app_context(), get_db(app).engine.begin() as conn:
        conn.execute(sa.text("DROP TABLE auth_revoked_token"))

    unavailable = {"msg": "token revocation check unavailable"}
    response = me(client, token)
    assert (response.status_code, response.json) == (503, unavailable)
    assert client.get("/private", headers=bearer(token)).json == unavailable
    assert client.get("/whoami", headers=bearer(token)).json == {"user": None}


@pytest.fixture
def redis_conn(redis_url: str) -> Iterator[redis.Redis]:
    conn = redis.Redis.from_url(redis_url)
    yield conn
    conn.close()


@pytest.mark.redis
def test_revocations_are_written_to_redis_and_read_from_it_first(
    make_app: Callable[..., Flask], redis_url: str, redis_conn: redis.Redis
) -> None:
    app = make_app(AUTH_REVOCATION_CACHE_URL=redis_url)
    client = app.test_client()
    tokens, other = login(client), login(client)
    jti = claims(tokens["access_token"])["jti"]
    try:
        client.post("/auth/api/logout/access", headers=bearer(tokens["access_token"]))
        assert redis_conn.exists(CACHE_PREFIX + jti)
        assert 0 < redis_conn.ttl(CACHE_PREFIX + jti) <= 15 * 60

        with app.app_context():  # Redis alone now says so
            session().execute(sa.delete(RevokedToken))
            session().commit()
        assert me(client, tokens["access_token"]).json == REVOKED
        assert me(client, other["access_token"]).status_code == 200

        # The database stays the authority: a key missing from Redis changes nothing.
        client.post("/auth/api/logout/access", headers=bearer(other["access_token"]))
        redis_conn.delete(CACHE_PREFIX + claims(other["access_token"])["jti"])
        assert me(client, other["access_token"]).json == REVOKED
    finally:
        redis_conn.delete(CACHE_PREFIX + jti)


@pytest.mark.redis
def test_a_family_revocation_reaches_redis(
    make_app: Callable[..., Flask], redis_url: str, redis_conn: redis.Redis
) -> None:
    app = make_app(AUTH_REVOCATION_CACHE_URL=redis_url)
    client = app.test_client()
    tokens = login(client)
    key = CACHE_PREFIX + "family:" + claims(tokens["refresh_token"])["fam"]
    try:
        client.post("/auth/api/logout/refresh", headers=bearer(tokens["refresh_token"]))
        assert redis_conn.ttl(key) > 29 * 24 * 3600
    finally:
        redis_conn.delete(key)


def test_a_dead_redis_leaves_the_database_in_charge(make_app: Callable[..., Flask]) -> None:
    app = make_app(AUTH_REVOCATION_CACHE_URL="redis://127.0.0.1:1/0")
    client = app.test_client()
    tokens, other = login(client), login(client)

    response = client.post("/auth/api/logout/access", headers=bearer(tokens["access_token"]))
    assert response.status_code == 200
    assert me(client, tokens["access_token"]).json == REVOKED
    assert me(client, other["access_token"]).status_code == 200


def test_redis_off_and_bad_cache_urls(make_app: Callable[..., Flask]) -> None:
    # The app's Redis is not used for the cache unless AUTH_REVOCATION_CACHE_URL says so.
    for config in ({"AUTH_REVOCATION_CACHE_URL": "off"}, {}):
        app = make_app(PLUGBOARD_REDIS_URL="redis://127.0.0.1:1/0", **config)
        client = app.test_client()
        assert me(client, login(client)["access_token"]).status_code == 200
    with pytest.raises(PlugboardError, match="is not a Redis URL"):
        make_app(AUTH_REVOCATION_CACHE_URL="memcached://127.0.0.1")


# -- settings ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"JWT_ACCESS_TOKEN_EXPIRES": False}, "JWT_ACCESS_TOKEN_EXPIRES = False: the auth"),
        ({"JWT_REFRESH_TOKEN_EXPIRES": 0}, "JWT_REFRESH_TOKEN_EXPIRES = 0: the auth"),
        (
            {"AUTH_JWT_KEYS": {"k": KEY_A}, "JWT_ALGORITHM": "RS256"},
            "set JWT_ALGORITHM to HS256, HS384 or HS512",
        ),
    ],
)
def test_unusable_token_settings_stop_the_start(
    make_app: Callable[..., Flask], config: dict[str, Any], message: str
) -> None:
    with pytest.raises(PlugboardError, match=message):  # the host names the plugin
        make_app(**config)


def test_jwt_settings_win_over_the_auth_defaults(make_app: Callable[..., Flask]) -> None:
    app = make_app(AUTH_ACCESS_TOKEN_EXPIRES=60, JWT_ACCESS_TOKEN_EXPIRES=dt.timedelta(minutes=2))
    token = login(app.test_client())
    assert token["expires_in"] == 120


def test_an_app_with_its_own_jwt_manager_is_told_to_remove_it(tmp_path: Path) -> None:
    with pytest.raises(PlugboardError, match=r"remove JWTManager\(app\) from the app factory"):
        build_app(
            [Auth],
            {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'app.sqlite'}"},
            instance_path=str(tmp_path / "instance"),
            setup=JWTManager,
        )


def test_tokens_name_their_app_and_another_app_with_the_same_key_refuses_them(
    make_app: Callable[..., Flask],
) -> None:
    mine = make_app(JWT_SECRET_KEY=KEY_A)
    # Another app (its name is the default issuer) that shares the signing key.
    other = make_app(JWT_SECRET_KEY=KEY_A, JWT_ENCODE_ISSUER="billing")
    token = login(mine.test_client())["access_token"]
    assert claims(token)["iss"] == mine.name
    assert me(mine.test_client(), token).status_code == 200
    refused = me(other.test_client(), token)
    assert refused.status_code == 422 and refused.json == {"msg": "Invalid issuer"}
