"""Per-request cost of the host, and of the host with the timer plugin, against bare Flask.

    python bench/bench_host.py [--quick] [--breakdown] [--rounds N] [--batch N]

Each variant is the same one-route app (``GET /`` returns a short string), called
in-process through ``app.wsgi_app(environ, start_response)`` with the body consumed and
closed, as a WSGI server would: no sockets, no test client. The environ is built once and
copied per request. The variants take turns in every round (the first one changes from
round to round), so a slow spell of the machine hits them all alike. For each variant:
the median time per request over the rounds, its ratio to bare Flask's median, and the
median of the per-round ratios (each batch against the bare batch of the same round),
which is what the targets are checked on. Prints whether the targets are met; never
fails on them. ``--breakdown`` adds timer variants with one header or none, to show what
each part costs. Writes ``bench/results/host.json``.
"""

from __future__ import annotations

import argparse
import dataclasses
import gc
import json
import platform
import statistics
import time
from collections.abc import Callable, Iterable
from importlib.metadata import version
from pathlib import Path
from typing import TYPE_CHECKING, Any

from flask import Flask
from werkzeug.test import EnvironBuilder

from flask_plugboard import Plugboard
from flask_plugboard.plugins.timer import Timer

if TYPE_CHECKING:
    from _typeshed import OptExcInfo

RESULTS = Path(__file__).resolve().parent / "results" / "host.json"
BARE = "bare Flask"

#: Variant -> the most its time may exceed bare Flask's (1.03: within 3%).
TARGETS = {"host": 1.03, "host + timer": 1.10}

_BOTH = frozenset({"X-Request-Time", "Server-Timing"})


@dataclasses.dataclass(frozen=True)
class Variant:
    name: str
    app: Flask
    #: Timer headers its responses must carry (checked before timing).
    headers: frozenset[str] = frozenset()


def _app(setup: Callable[[Flask], object] | None = None, **config: Any) -> Flask:
    app = Flask("bench_host")
    app.config.update(config)

    @app.get("/")
    def index() -> str:
        return "Hello, World!"

    if setup is not None:
        setup(app)
    return app


def variants(breakdown: bool) -> list[Variant]:
    """The apps to compare, bare Flask first."""
    out = [
        Variant(BARE, _app()),
        Variant("host", _app(Plugboard, PLUGBOARD_PLUGINS=[])),
        Variant("host + timer", _app(Plugboard, PLUGBOARD_PLUGINS=["timer"]), _BOTH),
        Variant("timer alone", _app(Timer), _BOTH),
    ]
    if breakdown:
        off = {"TIMER_X_REQUEST_TIME": False, "TIMER_SERVER_TIMING": False}
        out += [
            Variant("timer, no headers", _app(Timer, **off)),
            Variant(
                "timer, X-Request-Time",
                _app(Timer, **{**off, "TIMER_X_REQUEST_TIME": True}),
                frozenset({"X-Request-Time"}),
            ),
            Variant(
                "timer, Server-Timing",
                _app(Timer, **{**off, "TIMER_SERVER_TIMING": True}),
                frozenset({"Server-Timing"}),
            ),
        ]
    return out


def _write(data: bytes) -> None:
    return None


def _start_response(
    status: str, headers: list[tuple[str, str]], exc_info: OptExcInfo | None = None, /
) -> Callable[[bytes], object]:
    return _write


def _check(variant: Variant, environ: dict[str, Any]) -> None:
    """Make sure the variant answers what it should before timing it."""
    seen: dict[str, Any] = {}

    def start_response(
        status: str, headers: list[tuple[str, str]], exc_info: OptExcInfo | None = None, /
    ) -> Callable[[bytes], object]:
        seen["status"], seen["headers"] = status, {name for name, _ in headers}
        return _write

    body = variant.app.wsgi_app(environ.copy(), start_response)
    assert b"".join(body) == b"Hello, World!", variant.name
    assert seen["status"] == "200 OK", (variant.name, seen["status"])
    assert seen["headers"] & _BOTH == variant.headers, (variant.name, seen["headers"])


def _batch(app: Flask, environ: dict[str, Any], number: int) -> float:
    """Microseconds per request over ``number`` requests."""
    wsgi_app = app.wsgi_app
    start_response = _start_response
    start = time.perf_counter()
    for _ in range(number):
        body: Iterable[bytes] = wsgi_app(environ.copy(), start_response)
        for _chunk in body:
            pass
        close = getattr(body, "close", None)
        if close is not None:
            close()
    return (time.perf_counter() - start) / number * 1e6


def run(rounds: int, batch: int, breakdown: bool) -> dict[str, dict[str, float]]:
    """Time every variant; return name -> median_us, min_us, ratio, paired_ratio."""
    all_variants = variants(breakdown)
    environ = EnvironBuilder(path="/", method="GET").get_environ()
    for variant in all_variants:
        _check(variant, environ)
        _batch(variant.app, environ, batch)  # warm-up
    samples: dict[str, list[float]] = {v.name: [] for v in all_variants}
    # Everything built so far is permanent: keep the collector from walking it each time.
    gc.collect()
    gc.freeze()
    try:
        for i in range(rounds):
            shift = i % len(all_variants)
            for variant in all_variants[shift:] + all_variants[:shift]:
                samples[variant.name].append(_batch(variant.app, environ, batch))
    finally:
        gc.unfreeze()
    bare = samples[BARE]
    bare_median = statistics.median(bare)
    results: dict[str, dict[str, float]] = {}
    for name, times in samples.items():
        median = statistics.median(times)
        paired = statistics.median(t / b for t, b in zip(times, bare, strict=True))
        results[name] = {
            "median_us": round(median, 3),
            "min_us": round(min(times), 3),
            "ratio": round(median / bare_median, 4),
            "paired_ratio": round(paired, 4),
        }
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="a short run (a few seconds)")
    parser.add_argument("--breakdown", action="store_true", help="also time timer parts")
    parser.add_argument("--rounds", type=int, help="rounds (default 61; 9 with --quick)")
    parser.add_argument("--batch", type=int, help="requests per variant per round (1000)")
    args = parser.parse_args()
    rounds = args.rounds or (9 if args.quick else 61)
    batch = args.batch or (300 if args.quick else 1000)

    started = time.perf_counter()
    results = run(rounds, batch, args.breakdown)
    elapsed = time.perf_counter() - started

    print(f"GET / through app.wsgi_app, {rounds} rounds x {batch} requests ({elapsed:.0f} s)")
    print(f"{'variant':<22} {'median us':>9} {'min us':>7} {'ratio':>6} {'paired':>6}")
    for name, r in results.items():
        print(
            f"{name:<22} {r['median_us']:>9.2f} {r['min_us']:>7.2f} "
            f"{r['ratio']:>6.3f} {r['paired_ratio']:>6.3f}"
        )
    targets: dict[str, dict[str, Any]] = {}
    print("targets (paired ratio against bare Flask):")
    for name, limit in TARGETS.items():
        ratio = results[name]["paired_ratio"]
        met = ratio <= limit
        targets[name] = {"max_ratio": limit, "paired_ratio": ratio, "met": met}
        verdict = "met" if met else "NOT met"
        print(f"  {name:<14} within {round((limit - 1) * 100)}%: {verdict} ({ratio - 1:+.1%})")

    RESULTS.parent.mkdir(exist_ok=True)
    report = {
        "benchmark": "GET / through app.wsgi_app, in-process; times in microseconds",
        "rounds": rounds,
        "batch": batch,
        "quick": args.quick,
        "seconds": round(elapsed, 1),
        "python": platform.python_version(),
        "flask": version("flask"),
        "werkzeug": version("werkzeug"),
        "results": results,
        "targets": targets,
    }
    RESULTS.write_text(json.dumps(report, indent=2) + "\n")
    print(f"results written to {RESULTS}")


if __name__ == "__main__":
    main()
