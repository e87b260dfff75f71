"""Every bundled plugin and the well-known extension doing the same job, in one run.

    python bench/bench_batteries.py [--quick] [--rounds N] [--batch N] [--redis URL]

One app shape for all (``GET /items/<int:item_id>`` returning a short string), one request
(``GET /items/42`` from 192.0.2.7 with an allowed ``Origin``), timed by
``bench/_harness.py`` against the same bare Flask, so every figure of the issue targets is
comparable with every other:

- host, host + timer (issue 2: within 3% and 10% of bare Flask);
- stats (memory and Redis), reqlog (JSON lines to a file), prometheus_flask_exporter and
  the tutorial's naive stats (issue 3: stats within 10%, at least 3x cheaper than
  prometheus_flask_exporter's added cost);
- cors and flask-cors, ratelimit and Flask-Limiter, both on memory (issue 4: cors within
  5%, ratelimit within 15% and at least 4x cheaper than Flask-Limiter's added cost).

The per-plugin benchmarks (``bench_<plugin>.py``) break each one down further. Writes
``bench/results/batteries.json``.
"""

from __future__ import annotations

import logging
import tempfile
import time
import uuid
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

from _harness import (
    BARE,
    Reply,
    Variant,
    arguments,
    cheaper,
    make_app,
    print_table,
    redis_answers,
    run,
    sizes,
    within,
    write_report,
)
from bench_stats import _cleanup, _naive, _prometheus
from flask import Flask
from werkzeug.test import EnvironBuilder

from flask_plugboard import Plugboard

PATH = "/items/42"
BODY = b"item 42"
ORIGIN = "https://app.example.com"
LIMIT = "1000000/minute"

#: A header each variant's responses must carry (checked before timing), or "".
_HEADER: dict[str, str] = {}


def _app(setup: Callable[[Flask], object] | None = None, **config: Any) -> Flask:
    return make_app("bench_batteries", setup, items=True, **config)


def _host(*plugins: str, **config: Any) -> Flask:
    return _app(Plugboard, PLUGBOARD_PLUGINS=list(plugins), **config)


def _flask_cors(app: Flask) -> None:
    from flask_cors import CORS

    CORS(app, origins=[ORIGIN])


def _flask_limiter(app: Flask) -> None:
    from flask_limiter import Limiter
    from flask_limiter.util import get_remote_address

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # its memory-storage warning: known, same for us
        Limiter(get_remote_address, app=app, default_limits=[LIMIT], storage_uri="memory://")


def _v(name: str, app: Flask, header: str = "") -> Variant:
    _HEADER[name] = header
    return Variant(name, app)


def variants(tmp: Path, redis_url: str | None, prefix: str) -> list[Variant]:
    """The apps to compare, bare Flask first."""
    out = [
        _v(BARE, _app()),
        _v("host", _host()),
        _v("host + timer", _host("timer"), "Server-Timing"),
        _v("host + stats (memory)", _host("stats")),
    ]
    if redis_url:
        out.append(
            _v(
                "host + stats (redis)",
                _host("stats", STATS_REDIS_URL=redis_url, STATS_REDIS_PREFIX=prefix),
            )
        )
    out += [
        _v(
            "host + reqlog (json, file)",
            _host("reqlog", REQLOG_FILE=str(tmp / "reqlog.log")),
            "X-Request-ID",
        ),
        _v("prometheus_flask_exporter", _app(_prometheus)),
        _v("naive stats (dicts + lock)", _app(_naive)),
        _v("host + cors", _host("cors", CORS_ORIGINS=[ORIGIN]), "Access-Control-Allow-Origin"),
        _v("flask-cors", _app(_flask_cors), "Access-Control-Allow-Origin"),
        _v("host + ratelimit (memory)", _host("ratelimit", RATELIMIT_DEFAULT=LIMIT)),
        _v("Flask-Limiter (memory)", _app(_flask_limiter)),
    ]
    return out


def check(variant: Variant, reply: Reply) -> None:
    assert reply.body == BODY, (variant.name, reply.body)
    assert reply.status == "200 OK", (variant.name, reply.status)
    if _HEADER[variant.name]:
        assert _HEADER[variant.name] in reply.headers, (variant.name, reply.headers)


def _close(all_variants: list[Variant], redis_url: str | None, prefix: str) -> None:
    for variant in all_variants:
        state = variant.app.extensions.get("stats.state")
        close_store = getattr(state.store, "close", None) if state is not None else None
        if close_store is not None:
            close_store()  # the Redis flusher must not write after the cleanup
        writer = variant.app.extensions.get("plugboard.reqlog")
        if writer is not None:
            writer.close()
    if redis_url:
        _cleanup(redis_url, prefix)


def main() -> None:
    parser = arguments(__doc__, rounds=31, quick_rounds=5)
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/0", help="Redis URL")
    args = parser.parse_args()
    rounds, batch = sizes(args)
    logging.getLogger("flask-limiter").setLevel(logging.ERROR)
    redis_url = args.redis if redis_answers(args.redis) else None
    if redis_url is None:
        print(f"Redis does not answer at {args.redis}: the Redis variant is left out")
    prefix = f"plugboard-bench:batteries:{uuid.uuid4().hex}:"
    environ = EnvironBuilder(
        path=PATH,
        method="GET",
        headers=[("Origin", ORIGIN)],
        environ_base={"REMOTE_ADDR": "192.0.2.7"},
    ).get_environ()

    with tempfile.TemporaryDirectory() as tmp:
        all_variants = variants(Path(tmp), redis_url, prefix)
        started = time.perf_counter()
        try:
            results = run(all_variants, environ, rounds, batch, check)
        finally:
            _close(all_variants, redis_url, prefix)
        elapsed = time.perf_counter() - started

    title = f"GET {PATH} through app.wsgi_app, {rounds} rounds x {batch} requests"
    print_table(f"{title} ({elapsed:.0f} s)", results)
    print("targets (paired ratios against bare Flask):")
    targets = {
        "host within 3%": within(results, "host", 1.03),
        "host + timer within 10%": within(results, "host + timer", 1.10),
        "stats within 10%": within(results, "host + stats (memory)", 1.10),
        "stats 3x cheaper than prometheus_flask_exporter": cheaper(
            results, "host + stats (memory)", "prometheus_flask_exporter", 3
        ),
        "cors within 5%": within(results, "host + cors", 1.05),
        "ratelimit within 15%": within(results, "host + ratelimit (memory)", 1.15),
        "ratelimit 4x cheaper than Flask-Limiter": cheaper(
            results, "host + ratelimit (memory)", "Flask-Limiter (memory)", 4
        ),
    }
    write_report(
        "batteries",
        f"GET {PATH} through app.wsgi_app, in-process",
        args,
        elapsed,
        results,
        targets,
        packages=["prometheus-flask-exporter", "flask-cors", "flask-limiter", "limits"],
    )


if __name__ == "__main__":
    main()
