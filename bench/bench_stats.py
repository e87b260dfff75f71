"""Per-request cost of the stats plugin against bare Flask and the usual alternatives.

    python bench/bench_stats.py [--quick] [--rounds N] [--batch N] [--redis URL]

In one run, the same one-route app (``GET /items/<int:item_id>`` returns a short string):

- bare Flask;
- stats (memory): ``Stats(app)``, figures in the process;
- stats (redis): ``Stats(app)`` with ``STATS_REDIS_URL`` (skipped when Redis does not
  answer); its background flusher runs during the timing, as it would in production;
- prometheus_flask_exporter: ``PrometheusMetrics(app)`` with a registry of its own;
- naive stats: the tutorial's way, ``before_request`` storing the start in ``g`` and an
  ``after_request`` adding to dicts of counters under a lock.

Timed by ``bench/_harness.py``. Targets: stats (memory) within 10% of bare Flask and at
least 3x cheaper per request than prometheus_flask_exporter's added cost. Writes
``bench/results/stats.json``.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from time import perf_counter
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
from flask import Flask, Response, g, request
from werkzeug.test import EnvironBuilder

from flask_plugboard.plugins.stats import Stats

MEMORY = "stats (memory)"
REDIS = "stats (redis)"
PFE = "prometheus_flask_exporter"
NAIVE = "naive stats (dicts + lock)"
PATH = "/items/42"
BODY = b"item 42"


def _app(setup: Callable[[Flask], object] | None = None, **config: Any) -> Flask:
    return make_app("bench_stats", setup, items=True, **config)


def _prometheus(app: Flask) -> None:
    from prometheus_client import CollectorRegistry
    from prometheus_flask_exporter import (  # type: ignore[import-untyped]  # no py.typed
        PrometheusMetrics,
    )

    PrometheusMetrics(app, registry=CollectorRegistry())


def _naive(app: Flask) -> None:
    """The tutorial's stats extension: dicts of counters under a lock."""
    lock = threading.Lock()
    counts: dict[str, int] = {}
    times: dict[str, float] = {}

    @app.before_request
    def start_timer() -> None:
        g.stats_start = perf_counter()

    @app.after_request
    def count(response: Response) -> Response:
        elapsed = perf_counter() - g.stats_start
        endpoint = request.url_rule.rule if request.url_rule else "<unmatched>"
        with lock:
            counts[endpoint] = counts.get(endpoint, 0) + 1
            times[endpoint] = times.get(endpoint, 0.0) + elapsed
        return response



def variants(redis_url: str | None, prefix: str) -> list[Variant]:
    """The apps to compare, bare Flask first."""
    out = [
        Variant(BARE, _app()),
        Variant(MEMORY, _app(Stats)),
        Variant(PFE, _app(_prometheus)),
        Variant(NAIVE, _app(_naive)),
    ]
    if redis_url:
        out.insert(
            2, Variant(REDIS, _app(Stats, STATS_REDIS_URL=redis_url, STATS_REDIS_PREFIX=prefix))
        )
    return out


def check(variant: Variant, reply: Reply) -> None:
    assert reply.body == BODY, variant.name
    assert reply.status == "200 OK", (variant.name, reply.status)


def _redis_count(all_variants: list[Variant]) -> int | None:
    """Requests the Redis variant's figures hold (all its workers' sums, after a flush)."""
    for variant in all_variants:
        if variant.name == REDIS:
            with variant.app.test_request_context():
                from flask_plugboard.plugins.stats._views import document

                data = document(variant.app.extensions["stats.state"])
            count: int = data["stats"]["request_count"].get("/items/<int:item_id>", 0)
            return count
    return None


def _cleanup(redis_url: str, prefix: str) -> None:
    import redis

    client = redis.Redis.from_url(redis_url)
    keys = list(client.scan_iter(match=f"{prefix}*"))
    if keys:
        client.delete(*keys)
    client.close()


def main() -> None:
    parser = arguments(__doc__, rounds=41, quick_rounds=7)
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/0", help="Redis URL")
    args = parser.parse_args()
    rounds, batch = sizes(args)
    redis_url = args.redis if redis_answers(args.redis) else None
    if redis_url is None:
        print(f"Redis does not answer at {args.redis}: the Redis variant is left out")
    prefix = f"plugboard-bench:stats:{uuid.uuid4().hex}:"
    environ = EnvironBuilder(path=PATH, method="GET").get_environ()

    all_variants = variants(redis_url, prefix)
    started = time.perf_counter()
    try:
        results = run(all_variants, environ, rounds, batch, check)
        redis_count = _redis_count(all_variants)
    finally:
        if redis_url:
            for variant in all_variants:
                if variant.name == REDIS:  # its flusher must not write after the cleanup
                    variant.app.extensions["stats.state"].store.close()
            _cleanup(redis_url, prefix)
    elapsed = time.perf_counter() - started

    title = f"GET {PATH} through app.wsgi_app, {rounds} rounds x {batch} requests"
    print_table(f"{title} ({elapsed:.0f} s)", results)
    if redis_count is not None:
        # The check and warm-up requests count too.
        expected = rounds * batch + batch + 1
        print(f"stats (redis) holds {redis_count} requests in Redis; {expected} were sent")
    print("targets (paired ratios against bare Flask):")
    targets = {
        "memory within 10%": within(results, MEMORY, 1.10),
        "3x cheaper than prometheus_flask_exporter": cheaper(results, MEMORY, PFE, 3),
    }
    write_report(
        "stats",
        f"GET {PATH} through app.wsgi_app, in-process",
        args,
        elapsed,
        results,
        targets,
        packages=["prometheus-flask-exporter"],
        redis_requests_counted=redis_count,
    )


if __name__ == "__main__":
    main()
