"""Per-request cost of the cors plugin against bare Flask and flask-cors, in one run.

    python bench/bench_cors.py [--quick] [--rounds N] [--batch N]

The same one-route app in each variant, timed by ``bench/_harness.py``. Two requests:

- ``GET /`` with an allowed ``Origin`` (a simple cross-origin request);
- its preflight: ``OPTIONS /`` with ``Origin``, ``Access-Control-Request-Method: PUT`` and
  ``Access-Control-Request-Headers: content-type``. Bare Flask answers it with its
  automatic ``OPTIONS`` response (no CORS headers): the cost of doing nothing.

Every variant allows the same origin, the same methods and headers, no credentials and a
10-minute max-age. Target: ours within 5% of bare Flask on the simple GET.
Writes ``bench/results/cors.json``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from _harness import (
    BARE,
    Reply,
    Variant,
    arguments,
    make_app,
    print_table,
    run,
    sizes,
    within,
    write_report,
)
from flask import Flask
from flask_cors import CORS
from werkzeug.test import EnvironBuilder

from flask_plugboard import Plugboard
from flask_plugboard.plugins.cors import Cors

ORIGIN = "https://app.example.com"
METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"]
CONFIG = {
    "CORS_ORIGINS": [ORIGIN],
    "CORS_METHODS": METHODS,
    "CORS_ALLOW_HEADERS": ["Content-Type"],
    "CORS_MAX_AGE": 600,
}


def _app(setup: Callable[[Flask], object] | None = None, **config: Any) -> Flask:
    return make_app("bench_cors", setup, **config)


def _flask_cors(app: Flask) -> None:
    CORS(app, origins=[ORIGIN], methods=METHODS, allow_headers=["Content-Type"], max_age=600)


def variants() -> list[Variant]:
    """The apps to compare, bare Flask first."""
    return [
        Variant(BARE, _app()),
        Variant("cors", _app(Cors, **CONFIG)),
        Variant("host + cors", _app(Plugboard, PLUGBOARD_PLUGINS=["cors"], **CONFIG)),
        Variant("flask-cors", _app(_flask_cors)),
    ]


def check_simple(variant: Variant, reply: Reply) -> None:
    assert reply.status == "200 OK", (variant.name, reply.status)
    assert reply.body == b"Hello, World!", variant.name
    allowed = reply.headers.get("Access-Control-Allow-Origin")
    assert allowed == (None if variant.name == BARE else ORIGIN), (variant.name, reply.headers)


def check_preflight(variant: Variant, reply: Reply) -> None:
    if variant.name == BARE:
        assert reply.status == "200 OK", reply.status
        assert "Access-Control-Allow-Origin" not in reply.headers
        return
    # Ours answers 204, flask-cors 200.
    assert reply.status[0] == "2", (variant.name, reply.status)
    assert reply.headers.get("Access-Control-Allow-Origin") == ORIGIN, variant.name
    assert "PUT" in reply.headers["Access-Control-Allow-Methods"], variant.name


def main() -> None:
    args = arguments(__doc__, rounds=61, quick_rounds=9).parse_args()
    rounds, batch = sizes(args)
    simple = EnvironBuilder(path="/", headers=[("Origin", ORIGIN)]).get_environ()
    preflight = EnvironBuilder(
        path="/",
        method="OPTIONS",
        headers=[
            ("Origin", ORIGIN),
            ("Access-Control-Request-Method", "PUT"),
            ("Access-Control-Request-Headers", "content-type"),
        ],
    ).get_environ()

    started = time.perf_counter()
    results = run(variants(), simple, rounds, batch, check_simple)
    preflight_results = run(variants(), preflight, rounds, batch, check_preflight)
    elapsed = time.perf_counter() - started

    size = f"{rounds} rounds x {batch} requests"
    print_table(f"simple GET / with an allowed Origin, {size}", results)
    print_table(f"preflight OPTIONS / for PUT, {size} ({elapsed:.0f} s in all)", preflight_results)
    print("targets (paired ratio against bare Flask, simple GET):")
    targets = {"cors": within(results, "cors", 1.05)}
    write_report(
        "cors",
        "simple GET and preflight through app.wsgi_app, in-process",
        args,
        elapsed,
        results,
        targets,
        packages=("flask-cors",),
        preflight=preflight_results,
    )


if __name__ == "__main__":
    main()
