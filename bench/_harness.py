"""The in-process WSGI timing harness behind every ``bench_*.py`` here.

Each variant is an app called through ``app.wsgi_app(environ, start_response)`` with a
copy of one prebuilt environ and the body consumed and closed, as a WSGI server would:
no sockets, no test client. The variants take turns in every round (the first one
changes from round to round), so a slow spell of the machine hits them all alike. For
each variant: the median time per request over the rounds, the fastest round, the ratio
of medians to the baseline (bare Flask), and the median of the per-round ratios ("paired":
each batch against the baseline batch of the same round), the steadier figure on a busy
machine and the one targets are checked on. Benchmarks report; they never fail on a
target.
"""

from __future__ import annotations

import argparse
import dataclasses
import gc
import json
import platform
import socket
import statistics
import time
from collections.abc import Callable, Iterable, Sequence
from importlib.metadata import version
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from flask import Flask

if TYPE_CHECKING:
    from _typeshed import OptExcInfo

__all__ = [
    "BARE",
    "Reply",
    "Variant",
    "arguments",
    "call",
    "cheaper",
    "make_app",
    "print_table",
    "redis_answers",
    "run",
    "within",
    "write_report",
]

BARE = "bare Flask"
RESULTS = Path(__file__).resolve().parent / "results"


@dataclasses.dataclass(frozen=True)
class Variant:
    """One app to time."""

    name: str
    app: Flask


@dataclasses.dataclass(frozen=True)
class Reply:
    """What an app answered to one request (for the checks made before timing)."""

    status: str
    headers: dict[str, str]
    body: bytes


def make_app(
    import_name: str,
    setup: Callable[[Flask], object] | None = None,
    *,
    items: bool = False,
    **config: Any,
) -> Flask:
    """The app every variant shares: ``GET /`` answering "Hello, World!", or with
    ``items`` ``GET /items/<int:item_id>`` answering "item <id>" (a route template that
    differs from the path, as stats and reqlog need). ``setup(app)`` adds the variant's
    extension after ``config`` is applied."""
    app = Flask(import_name)
    app.config.update(config)
    if items:

        @app.get("/items/<int:item_id>")
        def item(item_id: int) -> str:
            return f"item {item_id}"

    else:

        @app.get("/")
        def index() -> str:
            return "Hello, World!"

    if setup is not None:
        setup(app)
    return app


def _write(data: bytes) -> None:
    return None


def _start_response(
    status: str, headers: list[tuple[str, str]], exc_info: OptExcInfo | None = None, /
) -> Callable[[bytes], object]:
    return _write


def call(app: Flask, environ: dict[str, Any]) -> Reply:
    """Send one request through ``app.wsgi_app`` and return the answer."""
    seen: dict[str, Any] = {}

    def start_response(
        status: str, headers: list[tuple[str, str]], exc_info: OptExcInfo | None = None, /
    ) -> Callable[[bytes], object]:
        seen["status"], seen["headers"] = status, dict(headers)
        return _write

    body = app.wsgi_app(environ.copy(), start_response)
    try:
        data = b"".join(body)
    finally:
        close = getattr(body, "close", None)
        if close is not None:
            close()
    return Reply(seen["status"], seen["headers"], data)


def _batch(
    app: Flask,
    environ: dict[str, Any],
    number: int,
    finish: Callable[[Flask], None] | None = None,
) -> float:
    """Microseconds per request over ``number`` requests, ``finish(app)`` included (work
    a variant defers to the end of a batch, such as writing buffered lines)."""
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
    if finish is not None:
        finish(app)
    return (time.perf_counter() - start) / number * 1e6


def run(
    variants: Sequence[Variant],
    environ: dict[str, Any],
    rounds: int,
    batch: int,
    check: Callable[[Variant, Reply], None],
    baseline: str = BARE,
    finish: Callable[[Flask], None] | None = None,
) -> dict[str, dict[str, float]]:
    """Time every variant; return name -> median_us, min_us, ratio, paired_ratio, added_us.

    ``check`` sees each variant's answer before any timing and asserts it is right, so a
    variant that fails (and so answers fast) cannot pass for a cheap one.
    """
    for variant in variants:
        check(variant, call(variant.app, environ))
        _batch(variant.app, environ, batch, finish)  # warm-up
    samples: dict[str, list[float]] = {v.name: [] for v in variants}
    # Everything built so far is permanent: keep the collector from walking it each time.
    gc.collect()
    gc.freeze()
    try:
        for i in range(rounds):
            shift = i % len(variants)
            for variant in [*variants[shift:], *variants[:shift]]:
                samples[variant.name].append(_batch(variant.app, environ, batch, finish))
    finally:
        gc.unfreeze()
    base = samples[baseline]
    base_median = statistics.median(base)
    results: dict[str, dict[str, float]] = {}
    for name, times in samples.items():
        median = statistics.median(times)
        paired = statistics.median(t / b for t, b in zip(times, base, strict=True))
        results[name] = {
            "median_us": round(median, 3),
            "min_us": round(min(times), 3),
            "ratio": round(median / base_median, 4),
            "paired_ratio": round(paired, 4),
            # From the paired ratio: on a busy machine a difference of medians can even
            # come out negative.
            "added_us": round((paired - 1) * base_median, 3),
        }
    return results


def arguments(doc: str | None, rounds: int, quick_rounds: int) -> argparse.ArgumentParser:
    """The options every benchmark takes: --quick, --rounds, --batch."""
    parser = argparse.ArgumentParser(description=(doc or "").split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="a short run (a few seconds)")
    parser.add_argument(
        "--rounds", type=int, help=f"rounds (default {rounds}; {quick_rounds} with --quick)"
    )
    parser.add_argument("--batch", type=int, help="requests per variant per round (1000)")
    parser.set_defaults(default_rounds=rounds, quick_rounds=quick_rounds)
    return parser


def sizes(args: argparse.Namespace) -> tuple[int, int]:
    """(rounds, batch) from the parsed options."""
    rounds = args.rounds or (args.quick_rounds if args.quick else args.default_rounds)
    batch = args.batch or (300 if args.quick else 1000)
    return rounds, batch


def print_table(title: str, results: dict[str, dict[str, float]]) -> None:
    print(title)
    width = max(len(name) for name in results) + 2
    columns = f"{'median us':>9} {'min us':>7} {'added':>6} {'ratio':>6} {'paired':>6}"
    print(f"{'variant':<{width}} {columns}")
    for name, r in results.items():
        print(
            f"{name:<{width}} {r['median_us']:>9.2f} {r['min_us']:>7.2f} {r['added_us']:>6.2f} "
            f"{r['ratio']:>6.3f} {r['paired_ratio']:>6.3f}"
        )


def within(results: dict[str, dict[str, float]], name: str, limit: float) -> dict[str, Any]:
    """Check (and print) that ``name``'s paired ratio is at most ``limit`` (1.10: 10%)."""
    ratio = results[name]["paired_ratio"]
    met = ratio <= limit
    verdict = "met" if met else "NOT met"
    percent = round((limit - 1) * 100)
    print(f"  {name} within {percent}% of bare Flask: {verdict} ({ratio - 1:+.1%})")
    return {"max_ratio": limit, "paired_ratio": ratio, "met": met}


def cheaper(
    results: dict[str, dict[str, float]], ours: str, theirs: str, factor: float
) -> dict[str, Any]:
    """Check (and print) that ``ours`` adds at least ``factor`` times less than ``theirs``."""
    ours_added = results[ours]["paired_ratio"] - 1
    theirs_added = results[theirs]["paired_ratio"] - 1
    times = theirs_added / ours_added if ours_added > 0 else float("inf")
    met = times >= factor
    print(
        f"  {ours} at least {factor:g}x cheaper than {theirs}: {'met' if met else 'NOT met'} "
        f"({times:.1f}x: {ours_added:+.1%} against {theirs_added:+.1%})"
    )
    return {"times_cheaper": round(times, 2), "min_factor": factor, "met": met}


def write_report(
    name: str,
    title: str,
    args: argparse.Namespace,
    elapsed: float,
    results: dict[str, dict[str, float]],
    targets: dict[str, Any],
    packages: Sequence[str] = (),
    **extra: Any,
) -> Path:
    """Write ``bench/results/<name>.json`` and return its path."""
    rounds, batch = sizes(args)
    RESULTS.mkdir(exist_ok=True)
    report = {
        "benchmark": f"{title}; times in microseconds",
        "rounds": rounds,
        "batch": batch,
        "quick": args.quick,
        "seconds": round(elapsed, 1),
        "python": platform.python_version(),
        **{pkg: version(pkg) for pkg in ("flask", "werkzeug", *packages)},
        "results": results,
        "targets": targets,
        **extra,
    }
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(report, indent=2) + "\n")
    print(f"results written to {path}")
    return path


def redis_answers(url: str) -> bool:
    """Whether a Redis server listens at ``url`` (the Redis variants need one)."""
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 6379), 1):
            return True
    except OSError:
        return False
