"""Per-request cost of the request log (reqlog) against bare Flask, in one run.

    python bench/bench_reqlog.py [--quick] [--rounds N] [--batch N]

The same one-route app (``GET /`` returns a short string) in every variant, timed by
``bench/_harness.py``. Each batch of requests ends with a flush of the lines reqlog
buffers, so writing them is counted. Files go to a fresh temporary directory, removed at
the end. The target: a few microseconds per request (checked as at most 6 us added).
Writes ``bench/results/reqlog.json``.
"""

from __future__ import annotations

import json
import logging
import tempfile
import time
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
    run,
    sizes,
    write_report,
)
from flask import Flask, Response, request
from werkzeug.test import EnvironBuilder

from flask_plugboard import Plugboard
from flask_plugboard.plugins.reqlog import RequestLog

MAIN = "reqlog json -> file"
#: The most microseconds reqlog may add to a request: "a few, not tens".
MAX_ADDED_US = 6.0

#: Per variant: the file its lines go to (or None), and whether it sends X-Request-ID.
_EXPECTED: dict[str, tuple[Path | None, bool]] = {}


def _v(name: str, app: Flask, log_file: Path | None = None, request_id: bool = True) -> Variant:
    _EXPECTED[name] = (log_file, request_id)
    return Variant(name, app)


def _app(setup: Callable[[Flask], object] | None = None, **config: Any) -> Flask:
    return make_app("bench_reqlog", setup, **config)


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
        _v(BARE, _app(), request_id=False),
        _v(MAIN, _app(RequestLog, REQLOG_FILE=str(file("json"))), file("json")),
        _v(
            "host + reqlog json -> file",
            _app(Plugboard, PLUGBOARD_PLUGINS=["reqlog"], REQLOG_FILE=str(file("host"))),
            file("host"),
        ),
        _v(
            "reqlog combined -> file",
            _app(RequestLog, REQLOG_FORMAT="combined", REQLOG_FILE=str(file("combined"))),
            file("combined"),
        ),
        _v(
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
            _v(
                "reqlog json -> file, unbuffered",
                _app(RequestLog, REQLOG_FILE=str(file("unbuffered")), REQLOG_FLUSH_INTERVAL=0),
                file("unbuffered"),
            ),
            _v(
                "reqlog template -> file",
                _app(RequestLog, REQLOG_FORMAT=template, REQLOG_FILE=str(file("template"))),
                file("template"),
            ),
            _v(
                "reqlog json -> logger (NullHandler)",
                _app(RequestLog, REQLOG_LOGGER="bench_reqlog.null"),
            ),
            _v("reqlog, path skipped", _app(RequestLog, REQLOG_SKIP_PATHS=["/"])),
        ]
    return out


def _lines(path: Path | None) -> int:
    return 0 if path is None or not path.exists() else len(path.read_bytes().splitlines())


def flush(app: Flask) -> None:
    """Write the app's buffered lines (nothing for the variants without reqlog)."""
    output = app.extensions.get("plugboard.reqlog")
    if output is not None:
        output.flush()


def check(variant: Variant, reply: Reply) -> None:
    """Make sure the variant answers, and logs, what it should before timing it."""
    log_file, request_id = _EXPECTED[variant.name]
    flush(variant.app)
    assert reply.body == b"Hello, World!", variant.name
    assert reply.status == "200 OK", (variant.name, reply.status)
    assert ("X-Request-ID" in reply.headers) == request_id, variant.name
    if log_file is not None:
        assert _lines(log_file) >= 1, variant.name


def main() -> None:
    parser = arguments(__doc__, rounds=41, quick_rounds=7)
    parser.add_argument("--breakdown", action="store_true", help="also other outputs/formats")
    args = parser.parse_args()
    rounds, batch = sizes(args)
    headers = [("User-Agent", "bench/1.0")]
    environ = EnvironBuilder(path="/", method="GET", headers=headers).get_environ()

    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="bench_reqlog") as tmp:
        all_variants = variants(Path(tmp), args.breakdown)
        try:
            results = run(all_variants, environ, rounds, batch, check, finish=flush)
        finally:
            for variant in all_variants:
                output = variant.app.extensions.get("plugboard.reqlog")
                if output is not None:
                    output.close()
            for handler in logging.getLogger("bench_reqlog.recipe").handlers:
                handler.close()
    elapsed = time.perf_counter() - started

    title = f"GET / through app.wsgi_app, {rounds} rounds x {batch} requests ({elapsed:.0f} s)"
    print_table(title, results)
    added = results[MAIN]["added_us"]
    met = added <= MAX_ADDED_US
    print("target: a few microseconds per request (paired, added to bare Flask):")
    verdict = "met" if met else "NOT met"
    print(f"  {MAIN} adds {added:.2f} us, target <= {MAX_ADDED_US:g} us: {verdict}")
    targets = {MAIN: {"max_added_us": MAX_ADDED_US, "added_us": added, "met": met}}
    write_report(
        "reqlog", "GET / through app.wsgi_app, in-process", args, elapsed, results, targets
    )


if __name__ == "__main__":
    main()
