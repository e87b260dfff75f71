"""Per-request cost of auth's token check against bare flask-jwt-extended, in one run.

    python bench/bench_auth.py [--quick] [--rounds N] [--batch N] [--redis URL]

The same app in each variant, timed by ``bench/_harness.py``. Two requests:

- ``GET /protected`` with ``Authorization: Bearer <access token>``, a route answering
  ``{"item": 42}``:

  - bare Flask: the route unprotected (the header is ignored), the baseline;
  - flask-jwt-extended: ``@jwt_required()`` with an in-memory blocklist set (1000 jtis),
    no user lookup: the least a JWT check can cost;
  - auth (SQLite): the host with the auth plugin, ``@login_required``: the token is
    decoded and checked by one query on a SQLite file (user, jti and family revoked?);
  - auth (SQLite), jwt_required: the same app, ``@jwt_required()`` (the token is
    verified twice: before the request, AUTH_LOAD_USER, and by the decorator, which
    reuses the payload decoded and the check made for this request: one decode, one
    query);
  - auth (SQLite + Redis): AUTH_REVOCATION_CACHE_URL set (skipped when Redis does not
    answer): Redis is asked first, and the database after it since a valid token misses.

- ``GET /public`` without a token, bare Flask against the host with auth: what auth's
  identity sources cost a request that carries no credentials (the browser-session
  source reads the session, so Flask adds ``Vary: Cookie``, as it should).

All variants sign with one key, so one token serves them all, and have the same
SECRET_KEY. The auth variants share
one SQLite file. Writes ``bench/results/auth.json``.
"""

from __future__ import annotations

import secrets
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from _harness import (
    BARE,
    Reply,
    Variant,
    arguments,
    make_app,
    print_table,
    redis_answers,
    run,
    sizes,
    write_report,
)
from flask import Flask, jsonify
from flask.typing import ResponseReturnValue
from flask_jwt_extended import JWTManager, jwt_required
from werkzeug.test import EnvironBuilder

from flask_plugboard import Plugboard
from flask_plugboard.db import upgrade_database
from flask_plugboard.plugins.auth import login_required, register_user
from flask_plugboard.plugins.auth._tokens import issue_tokens

JWT = "flask-jwt-extended"
AUTH = "auth (SQLite)"
AUTH_JWT = "auth (SQLite), jwt_required"
AUTH_REDIS = "auth (SQLite + Redis)"
SECRET = secrets.token_hex(32)
BODY = b'{"item":42}\n'


def _routes(protect: Callable[[Any], Any] | None) -> Callable[[Flask], None]:
    def setup(app: Flask) -> None:
        def protected() -> ResponseReturnValue:
            return jsonify(item=42)

        def public() -> ResponseReturnValue:
            return jsonify(item=42)

        view = protected if protect is None else protect(protected)
        app.add_url_rule("/protected", "protected", view)
        app.add_url_rule("/public", "public", public)

    return setup


def _bare() -> Flask:
    # SECRET_KEY in every variant: with one, Flask opens its session cookie on each
    # request, which costs a few microseconds whoever asks for it.
    return make_app("bench_auth", _routes(None), SECRET_KEY=SECRET)


def _flask_jwt_extended() -> Flask:
    revoked = {str(uuid.uuid4()) for _ in range(1000)}

    def setup(app: Flask) -> None:
        manager = JWTManager(app)
        manager.token_in_blocklist_loader(lambda header, payload: payload["jti"] in revoked)
        _routes(jwt_required())(app)

    return make_app("bench_auth", setup, SECRET_KEY=SECRET, JWT_SECRET_KEY=SECRET)


def _auth(database: Path, protect: Callable[[Any], Any], **config: Any) -> Flask:
    def setup(app: Flask) -> None:
        Plugboard(app)
        _routes(protect)(app)

    return make_app(
        "bench_auth",
        setup,
        PLUGBOARD_PLUGINS=["auth"],
        SECRET_KEY=SECRET,
        JWT_SECRET_KEY=SECRET,
        SQLALCHEMY_DATABASE_URI=f"sqlite:///{database}",
        AUTH_ARGON2_TIME_COST=1,
        AUTH_ARGON2_MEMORY_COST=64,
        AUTH_ARGON2_PARALLELISM=1,
        AUTH_PAGES=False,
        **config,
    )


def _access_token(app: Flask) -> str:
    """Create the tables and a user on ``app``'s database; return an access token."""
    upgrade_database(app)
    with app.app_context():
        user = register_user("alice", "a quiet tram to Lisbon")
        token: str = issue_tokens(user)["access_token"]
    return token


def check(variant: Variant, reply: Reply) -> None:
    assert reply.status == "200 OK", (variant.name, reply.status, reply.body)
    assert reply.body == BODY, (variant.name, reply.body)


def main() -> None:
    parser = arguments(__doc__, rounds=15, quick_rounds=5)
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/0", help="Redis URL")
    args = parser.parse_args()
    # A checked request costs a few hundred microseconds: smaller batches keep the
    # default run short.
    args.batch = args.batch or (100 if args.quick else 300)
    rounds, batch = sizes(args)
    redis_url = args.redis if redis_answers(args.redis) else None
    if redis_url is None:
        print(f"Redis does not answer at {args.redis}: the Redis variant is left out")

    with tempfile.TemporaryDirectory() as tmp:
        database = Path(tmp) / "auth.sqlite"
        auth = _auth(database, login_required, AUTH_REVOCATION_CACHE_URL="off")
        token = _access_token(auth)
        protected = [
            Variant(BARE, _bare()),
            Variant(JWT, _flask_jwt_extended()),
            Variant(AUTH, auth),
            Variant(AUTH_JWT, _auth(database, jwt_required(), AUTH_REVOCATION_CACHE_URL="off")),
        ]
        if redis_url:
            protected.append(
                Variant(
                    AUTH_REDIS,
                    _auth(database, login_required, AUTH_REVOCATION_CACHE_URL=redis_url),
                )
            )
        with_token = EnvironBuilder(
            path="/protected", headers=[("Authorization", f"Bearer {token}")]
        ).get_environ()
        anonymous = EnvironBuilder(path="/public").get_environ()

        started = time.perf_counter()
        results = run(protected, with_token, rounds, batch, check)
        public = run([protected[0], protected[2]], anonymous, rounds, batch * 3, check)
        elapsed = time.perf_counter() - started

    size = f"{rounds} rounds x {batch} requests"
    print_table(f"GET /protected with a valid access token, {size}", results)
    print_table(
        f"GET /public without a token, {rounds} rounds x {batch * 3} requests "
        f"({elapsed:.0f} s in all)",
        public,
    )
    base = results[JWT]["added_us"]
    print("against bare flask-jwt-extended (microseconds added per request):")
    comparisons = {}
    for name in (AUTH, AUTH_JWT, AUTH_REDIS):
        if name in results:
            more = round(results[name]["added_us"] - base, 2)
            comparisons[name] = more
            print(f"  {name}: +{more} us")
    write_report(
        "auth",
        "GET /protected with an access token and GET /public without, through "
        "app.wsgi_app, in-process",
        args,
        elapsed,
        results,
        {},
        packages=("flask-jwt-extended", "pyjwt", "sqlalchemy"),
        public=public,
        added_over_flask_jwt_extended_us=comparisons,
    )


if __name__ == "__main__":
    main()
