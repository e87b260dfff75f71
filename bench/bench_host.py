"""Per-request cost of the host, and of the host with the timer plugin, against bare Flask.

    python bench/bench_host.py [--quick] [--breakdown] [--rounds N] [--batch N]

The same one-route app (``GET /`` returns a short string) in each variant, timed by
``bench/_harness.py``. ``--breakdown`` adds timer variants with one header or none, to
show what each part costs. Targets: the host within 3% of bare Flask, host + timer within
10%. Writes ``bench/results/host.json``.
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
from werkzeug.test import EnvironBuilder

from flask_plugboard import Plugboard
from flask_plugboard.plugins.timer import Timer

_BOTH = frozenset({"X-Request-Time", "Server-Timing"})
#: Timer headers each variant's responses must carry (checked before timing).
_EXPECTED: dict[str, frozenset[str]] = {}


def _app(setup: Callable[[Flask], object] | None = None, **config: Any) -> Flask:
    return make_app("bench_host", setup, **config)


def _variant(name: str, app: Flask, headers: frozenset[str] = frozenset()) -> Variant:
    _EXPECTED[name] = headers
    return Variant(name, app)


def variants(breakdown: bool) -> list[Variant]:
    """The apps to compare, bare Flask first."""
    out = [
        _variant(BARE, _app()),
        _variant("host", _app(Plugboard, PLUGBOARD_PLUGINS=[])),
        _variant("host + timer", _app(Plugboard, PLUGBOARD_PLUGINS=["timer"]), _BOTH),
        _variant("timer alone", _app(Timer), _BOTH),
    ]
    if breakdown:
        off = {"TIMER_X_REQUEST_TIME": False, "TIMER_SERVER_TIMING": False}
        only_x = {**off, "TIMER_X_REQUEST_TIME": True}
        only_st = {**off, "TIMER_SERVER_TIMING": True}
        out += [
            _variant("timer, no headers", _app(Timer, **off)),
            _variant("timer, X-Request-Time", _app(Timer, **only_x), frozenset({"X-Request-Time"})),
            _variant("timer, Server-Timing", _app(Timer, **only_st), frozenset({"Server-Timing"})),
        ]
    return out


def check(variant: Variant, reply: Reply) -> None:
    assert reply.body == b"Hello, World!", variant.name
    assert reply.status == "200 OK", (variant.name, reply.status)
    assert set(reply.headers) & _BOTH == _EXPECTED[variant.name], (variant.name, reply.headers)


def main() -> None:
    parser = arguments(__doc__, rounds=61, quick_rounds=9)
    parser.add_argument("--breakdown", action="store_true", help="also time timer parts")
    args = parser.parse_args()
    rounds, batch = sizes(args)
    environ = EnvironBuilder(path="/", method="GET").get_environ()

    started = time.perf_counter()
    results = run(variants(args.breakdown), environ, rounds, batch, check)
    elapsed = time.perf_counter() - started

    title = f"GET / through app.wsgi_app, {rounds} rounds x {batch} requests ({elapsed:.0f} s)"
    print_table(title, results)
    print("targets (paired ratio against bare Flask):")
    targets = {
        "host": within(results, "host", 1.03),
        "host + timer": within(results, "host + timer", 1.10),
    }
    write_report("host", "GET / through app.wsgi_app, in-process", args, elapsed, results, targets)


if __name__ == "__main__":
    main()
