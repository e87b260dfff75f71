"""Per-request cost of the request log (reqlog) against bare Flask, in one run.

    python bench/bench_reqlog.py [--quick] [--rounds N] [--batch N]

The method of ``bench_host.py``: the same one-route app (``GET /`` returns a short
string) in every variant, called in-process through ``app.wsgi_app(environ,
start_response)`` with the body consumed and closed, as a WSGI server would; no sockets,
no test client. The variants take turns in every round (the first one changes from
round to round). For each variant: the median and the fastest time per request over
the rounds, the median of the per-round ratios to bare Flask (paired), the microseconds
it adds to a request (paired: the median of the per-round differences to bare Flask,
which the target is checked on), and the cost per request in microseconds: the
variant's fastest round minus bare Flask's fastest (on a busy machine the medians
wander; the fastest rounds are the closest to an idle one). Each batch of requests ends
with a flush of the lines reqlog buffers, so writing them is counted.
Files are written to a fresh temporary directory, removed at the end. Prints the
figures and whether reqlog's target is met; never fails on it. Writes
``bench/results/reqlog.json``.
"""

from __future__ import annotations

import argparse
import dataclasses
import gc
import json
import logging
import platform
import statistics
import tempfile
import time
from collections.abc import Callable, Iterable
from importlib.metadata import version
from pathlib import Path
from typing import TYPE_CHECKING, Any

from flask import Flask, Response, request
from werkzeug.test import EnvironBuilder

from flask_plugboard import Plugboard
from flask_plugboard.plugins.reqlog import RequestLog

if TYPE_CHECKING:
    from _typeshed import OptExcInfo

RESULTS = Path(__file__).resolve().parent / "results" / "reqlog.json"
BARE = "bare Flask"
MAIN = "reqlog json -> file"

#: Variant -> the most microseconds it may add to a request over bare Flask. The project's
#: rule: a plugin that runs on every request costs a few microseconds, not tens.
TARGETS = {MAIN: 6.0}


@dataclasses.dataclass(frozen=True)
class Variant:
    name: str
    app: Flask
    #: The file its lines go to, if any (checked before timing).
    log_file: Path | None = None
    #: Whether its responses carry X-Request-ID.
    request_id: bool = True


def _app(setup: Callable[[Flask], object] | None = None, **config: Any) -> Flask:
    app = Flask("bench_reqlog")
    app.config.update(config)

    @app.get("/")
    def index() -> str:
        return "Hello, World!"

    if setup is not None:
        setup(app)
    return app


def _recipe(path: Path) -> Callable[[Flask], None]:
    """The usual hand-written access log: after_request, json.dumps, a logging handler."""

    def setup(app: Flask) -> None:
        log = logging.getLogger("bench_reqlog.recipe")
        log.propagate = False
        log.setLevel(logging.INFO)
        log.addHandler(logging.FileHandler(path))

        @app.before_request
        def started() -> None:
            request.environ["recipe.start"] = time.perf_counter()

        @app.after_request
        def logged(response: Response) -> Response:
            seconds = time.perf_counter() - request.environ["recipe.start"]
            rule = request.url_rule
            log.info(
                json.dumps(
                    {
                        "method": request.method,
                        "route": rule.rule if rule is not None else None,
                        "path": request.path,
                        "status": response.status_code,
                        "bytes": response.content_length,
                        "duration_ms": round(seconds * 1000, 3),
                        "remote_addr": request.remote_addr,
                    }
                )
            )
            return response

    return setup


def variants(tmp: Path, breakdown: bool) -> list[Variant]:
    """The apps to compare, bare Flask first."""
    def file(name: str) -> Path:
        return tmp / f"{name}.log"

    out = [
        Variant(BARE, _app(), request_id=False),
        Variant(MAIN, _app(RequestLog, REQLOG_FILE=str(file("json"))), file("json")),
        Variant(
            "host + reqlog json -> file",
            _app(Plugboard, PLUGBOARD_PLUGINS=["reqlog"], REQLOG_FILE=str(file("host"))),
            file("host"),
        ),
        Variant(
            "reqlog combined -> file",
            _app(RequestLog, REQLOG_FORMAT="combined", REQLOG_FILE=str(file("combined"))),
            file("combined"),
        ),
        Variant(
            "after_request recipe",
            _app(_recipe(file("recipe"))),
            file("recipe"),
            request_id=False,
        ),
    ]
    if breakdown:
        template = "{time} {request_id} {method} {target} {status} {bytes} {duration_ms}"
        null = logging.getLogger("bench_reqlog.null")
        null.propagate = False
        null.addHandler(logging.NullHandler())
        null.setLevel(logging.INFO)
        out += [
            Variant(
                "reqlog json -> file, unbuffered",
                _app(RequestLog, REQLOG_FILE=str(file("unbuffered")), REQLOG_FLUSH_INTERVAL=0),
                file("unbuffered"),
            ),
            Variant(
                "reqlog template -> file",
                _app(RequestLog, REQLOG_FORMAT=template, REQLOG_FILE=str(file("template"))),
                file("template"),
            ),
            Variant(
                "reqlog json -> logger (NullHandler)",
                _app(RequestLog, REQLOG_LOGGER="bench_reqlog.null"),
            ),
            Variant("reqlog, path skipped", _app(RequestLog, REQLOG_SKIP_PATHS=["/"])),
        ]
    return out


def _write(data: bytes) -> None:
    return None


def _start_response(
    status: str, headers: list[tuple[str, str]], exc_info: OptExcInfo | None = None, /
) -> Callable[[bytes], object]:
    return _write


def _lines(path: Path | None) -> int:
    return 0 if path is None or not path.exists() else len(path.read_bytes().splitlines())


def _check(variant: Variant, environ: dict[str, Any]) -> None:
    """Make sure the variant answers, and logs, what it should before timing it."""
    seen: dict[str, Any] = {}

    def start_response(
        status: str, headers: list[tuple[str, str]], exc_info: OptExcInfo | None = None, /
    ) -> Callable[[bytes], object]:
        seen["status"], seen["headers"] = status, {name for name, _ in headers}
        return _write

    before = _lines(variant.log_file)
    body = variant.app.wsgi_app(environ.copy(), start_response)
    assert b"".join(body) == b"Hello, World!", variant.name
    _flusher(variant.app)()
    assert seen["status"] == "200 OK", (variant.name, seen["status"])
    assert ("X-Request-ID" in seen["headers"]) == variant.request_id, variant.name
    if variant.log_file is not None:
        assert _lines(variant.log_file) == before + 1, variant.name


def _nothing() -> None:
    return None


def _flusher(app: Flask) -> Callable[[], None]:
    """What writes the app's buffered lines (nothing for the other variants)."""
    output = app.extensions.get("plugboard.reqlog")
    return _nothing if output is None else output.flush


def _batch(app: Flask, environ: dict[str, Any], number: int) -> float:
    """Microseconds per request over ``number`` requests, writing buffered lines included
    (the batch ends with a flush, so the flusher thread's work is counted too)."""
    wsgi_app = app.wsgi_app
    start_response = _start_response
    flush = _flusher(app)
    start = time.perf_counter()
    for _ in range(number):
        body: Iterable[bytes] = wsgi_app(environ.copy(), start_response)
        for _chunk in body:
            pass
        close = getattr(body, "close", None)
        if close is not None:
            close()
    flush()
    return (time.perf_counter() - start) / number * 1e6


def run(rounds: int, batch: int, breakdown: bool) -> dict[str, dict[str, float]]:
    """Time every variant; return name -> median_us, min_us, ratio, paired_ratio, added_us
    (median of the per-round differences to bare Flask), cost_us (min_us minus bare
    Flask's)."""
    with tempfile.TemporaryDirectory(prefix="bench_reqlog") as tmp:
        all_variants = variants(Path(tmp), breakdown)
        headers = [("User-Agent", "bench/1.0")]
        environ = EnvironBuilder(path="/", method="GET", headers=headers).get_environ()
        for variant in all_variants:
            _check(variant, environ)
            _batch(variant.app, environ, batch)  # warm-up
        samples: dict[str, list[float]] = {v.name: [] for v in all_variants}
        gc.collect()
        gc.freeze()
        try:
            for i in range(rounds):
                shift = i % len(all_variants)
                for variant in all_variants[shift:] + all_variants[:shift]:
                    samples[variant.name].append(_batch(variant.app, environ, batch))
        finally:
            gc.unfreeze()
        for variant in all_variants:
            output = variant.app.extensions.get("plugboard.reqlog")
            if output is not None:
                output.close()
        logging.getLogger("bench_reqlog.recipe").handlers[0].close()
    bare = samples[BARE]
    bare_median = statistics.median(bare)
    bare_min = min(bare)
    results: dict[str, dict[str, float]] = {}
    for name, times in samples.items():
        median = statistics.median(times)
        paired = statistics.median(t / b for t, b in zip(times, bare, strict=True))
        added = statistics.median(t - b for t, b in zip(times, bare, strict=True))
        results[name] = {
            "median_us": round(median, 3),
            "min_us": round(min(times), 3),
            "ratio": round(median / bare_median, 4),
            "paired_ratio": round(paired, 4),
            "added_us": round(added, 3),
            "cost_us": round(min(times) - bare_min, 3),
        }
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="a short run (a few seconds)")
    parser.add_argument("--breakdown", action="store_true", help="also other outputs/formats")
    parser.add_argument("--rounds", type=int, help="rounds (default 41; 7 with --quick)")
    parser.add_argument("--batch", type=int, help="requests per variant per round (1000)")
    args = parser.parse_args()
    rounds = args.rounds or (7 if args.quick else 41)
    batch = args.batch or (300 if args.quick else 1000)

    started = time.perf_counter()
    results = run(rounds, batch, args.breakdown)
    elapsed = time.perf_counter() - started

    print(f"GET / through app.wsgi_app, {rounds} rounds x {batch} requests ({elapsed:.0f} s)")
    columns = ("median us", 9), ("min us", 7), ("paired", 6), ("added", 7), ("cost us", 7)
    print(f"{'variant':<36} " + " ".join(f"{title:>{width}}" for title, width in columns))
    for name, r in results.items():
        print(
            f"{name:<36} {r['median_us']:>9.2f} {r['min_us']:>7.2f} "
            f"{r['paired_ratio']:>6.3f} {r['added_us']:>+7.2f} {r['cost_us']:>+7.2f}"
        )
    targets: dict[str, dict[str, Any]] = {}
    print("target: a few microseconds per request (paired median added to bare Flask):")
    for name, limit in TARGETS.items():
        added = results[name]["added_us"]
        met = added <= limit
        targets[name] = {"max_added_us": limit, "added_us": added, "met": met}
        verdict = "met" if met else "NOT met"
        print(f"  {name} adds {added:.2f} us, target <= {limit:g} us: {verdict}")

    RESULTS.parent.mkdir(exist_ok=True)
    report = {
        "benchmark": "GET / through app.wsgi_app, in-process; times in microseconds",
        "rounds": rounds,
        "batch": batch,
        "quick": args.quick,
        "breakdown": args.breakdown,
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
