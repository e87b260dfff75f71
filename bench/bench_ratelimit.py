"""Per-request cost of the ratelimit plugin against bare Flask and Flask-Limiter.

    python bench/bench_ratelimit.py [--quick] [--breakdown] [--rounds N] [--batch N]

The same one-route app (``GET /`` returns a short string) in each variant, timed by
``bench/_harness.py``. Both limiters count on memory storage with the same generous limit
(nothing is ever refused) and the same key (the client address), so the figures are the
cost of counting. The targets: ours within 15% of bare Flask, and its added cost at most
a quarter of Flask-Limiter's. ``--breakdown`` adds our other strategies and both
limiters with their rate-limit headers on every response. Writes
``bench/results/ratelimit.json``.
"""

from __future__ import annotations

import logging
import time
import warnings
from collections.abc import Callable
from typing import Any

from _harness import (
    BARE,
    Reply,
    Variant,
    arguments,
    cheaper,
    make_app,
    print_table,
    run,
    sizes,
    within,
    write_report,
)
from flask import Flask
from werkzeug.test import EnvironBuilder

from flask_plugboard.plugins.ratelimit import RateLimit

OURS = "ratelimit (memory)"
THEIRS = "Flask-Limiter (memory)"
LIMIT = "1000000/minute"

#: A header each variant's responses must carry (checked before timing).
_HEADER: dict[str, str] = {}


def _variant(name: str, app: Flask, header: str = "") -> Variant:
    _HEADER[name] = header
    return Variant(name, app)


def _app(setup: Callable[[Flask], object] | None = None, **config: Any) -> Flask:
    return make_app("bench_ratelimit", setup, **config)


def _flask_limiter(headers: bool = False) -> Callable[[Flask], object]:
    from flask_limiter import Limiter
    from flask_limiter.util import get_remote_address

    def setup(app: Flask) -> object:
        with warnings.catch_warnings():
            # It warns that memory storage is not for production: known, and the same for us.
            warnings.simplefilter("ignore")
            return Limiter(
                get_remote_address,
                app=app,
                default_limits=[LIMIT],
                storage_uri="memory://",
                headers_enabled=headers,
            )

    return setup


def variants(breakdown: bool) -> list[Variant]:
    """The apps to compare, bare Flask first."""
    ours = {"RATELIMIT_DEFAULT": LIMIT}
    out = [
        _variant(BARE, _app()),
        _variant(OURS, _app(RateLimit, **ours)),
        _variant(THEIRS, _app(_flask_limiter())),
    ]
    if breakdown:
        out += [
            _variant(
                "ratelimit, moving window",
                _app(RateLimit, **ours, RATELIMIT_STRATEGY="moving-window"),
            ),
            _variant(
                "ratelimit, sliding counter",
                _app(RateLimit, **ours, RATELIMIT_STRATEGY="sliding-window-counter"),
            ),
            _variant(
                "ratelimit, headers always",
                _app(RateLimit, **ours, RATELIMIT_HEADERS="always"),
                "RateLimit",
            ),
            _variant("Flask-Limiter, headers", _app(_flask_limiter(True)), "X-RateLimit-Limit"),
        ]
    return out


def check(variant: Variant, reply: Reply) -> None:
    assert reply.body == b"Hello, World!", variant.name
    assert reply.status == "200 OK", (variant.name, reply.status)
    if _HEADER[variant.name]:
        assert _HEADER[variant.name] in reply.headers, (variant.name, reply.headers)


def main() -> None:
    parser = arguments(__doc__, rounds=41, quick_rounds=9)
    parser.add_argument("--breakdown", action="store_true", help="also strategies, headers")
    args = parser.parse_args()
    rounds, batch = sizes(args)
    logging.getLogger("flask-limiter").setLevel(logging.ERROR)
    environ = EnvironBuilder(
        path="/", method="GET", environ_base={"REMOTE_ADDR": "192.0.2.7"}
    ).get_environ()

    started = time.perf_counter()
    results = run(variants(args.breakdown), environ, rounds, batch, check)
    elapsed = time.perf_counter() - started

    title = f"GET / through app.wsgi_app, {rounds} rounds x {batch} requests ({elapsed:.0f} s)"
    print_table(title, results)
    print("targets (paired ratios against bare Flask):")
    targets = {
        "within 15%": within(results, OURS, 1.15),
        "4x cheaper than Flask-Limiter": cheaper(results, OURS, THEIRS, 4),
    }
    write_report(
        "ratelimit",
        "GET / through app.wsgi_app, in-process",
        args,
        elapsed,
        results,
        targets,
        packages=["limits", "flask-limiter"],
    )


if __name__ == "__main__":
    main()
