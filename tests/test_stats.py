"""The stats plugin in one process: figures, endpoints, collectors, pages, /metrics."""

from __future__ import annotations

import dataclasses
import logging
import threading
from collections.abc import Mapping
from time import perf_counter
from typing import Any

import pytest
from flask import Flask, Request, Response, abort
from prometheus_client.parser import text_string_to_metric_families

from flask_plugboard import PlugboardError, Plugin, SettingsError, hookimpl
from flask_plugboard.plugins.stats import UNMATCHED, Stats
from flask_plugboard.plugins.stats._figures import BOUNDS, Figures, Slow, bucket_of, percentile
from flask_plugboard.plugins.stats._recorder import DRAIN_AT, Recorder
from flask_plugboard.plugins.stats.hookspecs import Collector
from flask_plugboard.testing import build_app

ITEM = "/items/<int:item_id>"


def _routes(app: Flask) -> None:
    @app.get("/items/<int:item_id>")
    def item(item_id: int) -> str:
        return f"item {item_id}"

    @app.get("/fail")
    def fail() -> str:
        abort(503)

    @app.get("/crash")
    def crash() -> str:
        raise RuntimeError("boom")


OPEN_ADMIN = {"PLUGBOARD_ADMIN": True, "PLUGBOARD_ADMIN_ACCESS": "open"}


def plain_app(**config: Any) -> Flask:
    app = Flask("stats_test")
    app.config.update(PLUGBOARD_ADMIN=True, PLUGBOARD_ADMIN_ACCESS="open", **config)
    _routes(app)
    Stats(app)
    return app


def stats_of(app: Flask) -> dict[str, Any]:
    response = app.test_client().get("/admin/stats")
    assert response.status_code == 200, response.data
    data: dict[str, Any] = response.get_json()
    return data


# -- figures: pure logic --------------------------------------------------------------


def test_buckets_are_fixed_log_scale() -> None:
    assert BOUNDS[0] == 0.0001 and BOUNDS[-1] == 100.0
    ratios = [b / a for a, b in zip(BOUNDS, BOUNDS[1:], strict=False)]
    assert all(1.5 < r < 2.0 for r in ratios)
    assert bucket_of(0.0001) == 0  # a bucket holds values up to its bound
    assert bucket_of(0.00011) == 1
    assert bucket_of(1000.0) == len(BOUNDS)  # the +Inf bucket


def test_percentiles_come_from_the_histogram() -> None:
    counts = [0] * (len(BOUNDS) + 1)
    assert percentile(counts, 0.5) is None
    counts[bucket_of(0.010)] = 90  # 90 requests of 10 ms, 10 of 1 s
    counts[bucket_of(1.0)] = 10
    p50, p95 = percentile(counts, 0.5), percentile(counts, 0.95)
    assert p50 is not None and 0.0056 < p50 <= 0.010
    assert p95 is not None and 0.56 < p95 <= 1.0
    counts[-1] = 1000
    assert percentile(counts, 0.99) == 100.0  # +Inf reported as the last bound


def test_figures_merge_by_adding() -> None:
    recorder = Recorder(interval=10, history=6, keep_slow=2)
    now = perf_counter()
    for seconds, status in [(0.01, "200 OK"), (0.5, "404 NOT FOUND"), (2.0, "500 ERR")]:
        recorder.queue.append((None, status, now - seconds, now, "GET", "/x"))
    one = recorder.figures()
    both = one.copy()
    both.merge(one, keep_slow=2)
    endpoint = both.endpoints[UNMATCHED]
    assert endpoint.count == 6
    assert endpoint.status == {"2xx": 2, "4xx": 2, "5xx": 2}
    assert endpoint.errors == 4
    assert sum(endpoint.buckets) == 6
    assert [s.seconds for s in sorted(both.slowest, reverse=True)] == pytest.approx([2.0, 2.0])


def test_the_slowest_are_bounded() -> None:
    figures = Figures()
    for i in range(100):
        figures.add_slow(Slow(i / 100, 0.0, "/", "GET", "/", 200), keep=5)
    assert sorted(s.seconds for s in figures.slowest) == [0.95, 0.96, 0.97, 0.98, 0.99]


def test_the_recorder_adds_up_a_long_queue_itself() -> None:
    recorder = Recorder(interval=10, history=6, keep_slow=0)
    for _ in range(DRAIN_AT * 3):
        recorder.queue.append((None, "200 OK", 1.0, 1.001, "GET", "/"))
    recorder.drain()
    assert not recorder.queue
    assert recorder.take().endpoints[UNMATCHED].count == DRAIN_AT * 3
    assert recorder.take().empty()


# -- recording through the app --------------------------------------------------------


def test_tutorial_shape_and_richer_figures() -> None:
    app = plain_app()
    client = app.test_client()
    for i in range(5):
        assert client.get(f"/items/{i}").status_code == 200
    assert client.get("/fail").status_code == 503
    data = stats_of(app)
    stats = data["stats"]
    assert stats["request_count"][ITEM] == 5
    assert stats["request_count"]["/fail"] == 1
    assert stats["request_time"][ITEM] > 0
    item = data["endpoints"][ITEM]
    assert item["count"] == 5 and item["errors"] == 0 and item["status"] == {"2xx": 5}
    assert item["p50"] <= item["p95"] <= item["p99"]
    assert sum(item["histogram"]) == 5
    assert len(data["buckets"]) == len(item["histogram"])
    assert data["endpoints"]["/fail"]["status"] == {"5xx": 1}
    points = data["series"]["points"]
    assert len(points) == 60 and sum(p["count"] for p in points) == 6
    assert sum(p["5xx"] for p in points) == 1
    assert data["slowest"][0]["seconds"] >= data["slowest"][-1]["seconds"]
    assert {s["path"] for s in data["slowest"]} >= {"/fail", "/items/0"}
    assert data["store"] == {"kind": "memory"}


def test_unmatched_paths_share_one_bucket() -> None:
    app = plain_app()
    client = app.test_client()
    for i in range(300):
        assert client.get(f"/wp-admin/{i}.php").status_code == 404
    assert client.post("/items/1").status_code == 405  # no route for the method either
    data = stats_of(app)
    assert data["stats"]["request_count"] == {UNMATCHED: 301}
    assert data["endpoints"][UNMATCHED]["status"] == {"4xx": 301}
    assert data["endpoints"][UNMATCHED]["errors"] == 301


def test_a_request_that_raises_counts_as_a_500() -> None:
    app = plain_app()
    assert app.test_client().get("/crash").status_code == 500
    assert stats_of(app)["endpoints"]["/crash"]["status"] == {"5xx": 1}


def test_an_inner_middleware_answering_itself_is_counted_as_unmatched() -> None:
    app = Flask("stats_inner")
    app.config.update(PLUGBOARD_ADMIN=True, PLUGBOARD_ADMIN_ACCESS="open")
    flask_app = app.wsgi_app

    def robots(environ: dict[str, Any], start_response: Any) -> Any:
        if environ["PATH_INFO"] == "/robots.txt":
            start_response("200 OK", [("Content-Type", "text/plain")])
            return [b"User-agent: *"]
        return flask_app(environ, start_response)

    app.wsgi_app = robots  # type: ignore[method-assign]
    Stats(app)
    assert app.test_client().get("/robots.txt").data == b"User-agent: *"
    assert stats_of(app)["stats"]["request_count"] == {UNMATCHED: 1}


def test_threads_lose_no_request() -> None:
    app = plain_app()

    def hammer() -> None:
        client = app.test_client()
        for i in range(200):
            client.get(f"/items/{i}")

    threads = [threading.Thread(target=hammer) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert stats_of(app)["stats"]["request_count"][ITEM] == 1600


def test_two_apps_count_apart() -> None:
    plugin = Stats()
    apps = []
    for _ in range(2):
        app = Flask("stats_two")
        app.config.update(PLUGBOARD_ADMIN=True, PLUGBOARD_ADMIN_ACCESS="open")
        _routes(app)
        plugin.init_app(app)
        apps.append(app)
    apps[0].test_client().get("/items/1")
    assert stats_of(apps[0])["stats"]["request_count"] == {ITEM: 1}
    assert stats_of(apps[1])["stats"]["request_count"] == {}


# -- collectors -----------------------------------------------------------------------


def test_custom_collectors_add_per_endpoint() -> None:
    app = plain_app()
    plugin = app.extensions["stats"]
    plugin.register_collector("bytes", lambda req, resp, elapsed: resp.content_length, app=app)
    with app.app_context():  # the tutorial's shape: the current app
        plugin.register_collector("slow", lambda req, resp, elapsed: elapsed > 10)
    client = app.test_client()
    client.get("/items/7")
    client.get("/items/10")
    stats = stats_of(app)["stats"]
    assert stats["bytes"][ITEM] == len("item 7") + len("item 10")
    assert stats["slow"] == {}  # a bool is not a number: counted as a failure


def test_a_collector_that_raises_is_logged_and_skipped(caplog: pytest.LogCaptureFixture) -> None:
    app = plain_app()
    plugin = app.extensions["stats"]

    def broken(req: Request, resp: Response, elapsed: float) -> float:
        raise ZeroDivisionError("collector bug")

    plugin.register_collector("broken", broken, app=app)
    plugin.register_collector("ones", lambda req, resp, elapsed: 1, app=app)
    client = app.test_client()
    with caplog.at_level(logging.WARNING, "flask_plugboard.plugins.stats"):
        responses = [client.get("/items/1") for _ in range(12)]
    assert [r.status_code for r in responses] == [200] * 12
    assert [r.data for r in responses] == [b"item 1"] * 12
    messages = [r.getMessage() for r in caplog.records]
    assert len(messages) == 2  # the first failure, then the tenth: no flood
    assert "'broken' failed (1 time so far)" in messages[0]
    assert caplog.records[0].exc_info is not None
    assert "10 times" in messages[1]
    data = stats_of(app)
    assert data["stats"]["ones"] == {ITEM: 12.0}
    assert data["collector_failures"] == {"broken": 12}


@pytest.mark.parametrize("name", ["", "request_count", "has space", "x|y", 7])
def test_bad_collector_names_are_refused(name: Any) -> None:
    app = plain_app()
    with pytest.raises(PlugboardError, match="collector name"):
        app.extensions["stats"].register_collector(name, lambda *a: 1, app=app)


def test_a_collector_must_be_callable() -> None:
    app = plain_app()
    with pytest.raises(PlugboardError, match="not a function"):
        app.extensions["stats"].register_collector("n", 42, app=app)


def test_register_collector_outside_an_app_context_names_the_fix() -> None:
    app = plain_app()
    with pytest.raises(PlugboardError, match="app=app"):
        app.extensions["stats"].register_collector("n", lambda *a: 1)


def test_register_collector_needs_the_plugin_on_the_app() -> None:
    with pytest.raises(PlugboardError, match="not initialised"):
        Stats().register_collector("n", lambda *a: 1, app=Flask("bare"))


class Sizes(Plugin):
    name = "sizes"

    @hookimpl
    def stats_collectors(self) -> Mapping[str, Collector]:
        return {"response_bytes": lambda req, resp, elapsed: resp.content_length}


class BadNames(Plugin):
    name = "bad_names"

    @hookimpl
    def stats_collectors(self) -> Mapping[str, Collector]:
        return {"request_count": lambda req, resp, elapsed: 1}


def test_other_plugins_contribute_collectors_through_the_hook(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING, "flask_plugboard.plugins.stats"):
        app = build_app([Stats, Sizes, BadNames], OPEN_ADMIN, setup=_routes)
    client = app.test_client()
    client.get("/items/1")
    data = stats_of(app)
    assert data["stats"]["response_bytes"][ITEM] == len("item 1")
    assert data["stats"]["request_count"][ITEM] == 1  # not replaced by the bad collector
    assert any("left out" in r.getMessage() for r in caplog.records)


# -- pages ----------------------------------------------------------------------------


def test_admin_pages_are_404_unless_admin_is_enabled() -> None:
    app = Flask("stats_closed")
    _routes(app)
    Stats(app)
    client = app.test_client()
    client.get("/items/1")
    for path in ("/admin/stats", "/admin/stats/dashboard"):
        assert client.get(path).status_code == 404
    app.config["PLUGBOARD_ADMIN"] = True
    # Nobody decides who may see them: refused until opened explicitly.
    for path in ("/admin/stats", "/admin/stats/dashboard"):
        refused = client.get(path)
        assert refused.status_code == 403, path
        assert "PLUGBOARD_ADMIN_ACCESS = 'open'" in refused.get_json()["error"]
    app.config["PLUGBOARD_ADMIN_ACCESS"] = "open"
    assert client.get("/admin/stats").get_json()["stats"]["request_count"][ITEM] == 1
    assert client.get("/admin/stats/dashboard").status_code == 200


class Deny(Plugin):
    name = "deny"

    @hookimpl
    def plugboard_admin_access(self, request: Request) -> bool:
        return False


def test_the_admin_access_hook_decides() -> None:
    app = build_app([Stats, Deny], {"PLUGBOARD_ADMIN": True})
    assert app.test_client().get("/admin/stats").status_code == 403


def test_dashboard_with_the_host_shares_the_admin_layout() -> None:
    app = build_app([Stats], OPEN_ADMIN, setup=_routes)
    client = app.test_client()
    html = client.get("/admin/stats/dashboard").get_data(as_text=True)
    assert 'href="/admin/plugins"' in html
    assert 'data-url="/admin/stats"' in html
    assert "http://" not in html and "https://" not in html.replace("http://www.w3.org", "")
    plugins = client.get("/admin/plugins").get_data(as_text=True)
    assert 'href="/admin/stats/dashboard"' in plugins  # the admin navigation links here
    for asset in ("dashboard.js", "dashboard.css"):
        assert f"/admin/stats/_static/stats/{asset}?v=" in html
        with client.get(f"/admin/stats/_static/stats/{asset}") as static:
            assert static.status_code == 200


def test_the_url_prefix_can_move() -> None:
    app = plain_app(STATS_URL_PREFIX="/ops/stats")
    assert app.test_client().get("/ops/stats").status_code == 200
    assert app.test_client().get("/admin/stats").status_code == 404


# -- /metrics -------------------------------------------------------------------------


def _families(text: str) -> dict[str, Any]:
    return {f.name: f for f in text_string_to_metric_families(text)}


def test_metrics_parse_as_prometheus_text() -> None:
    app = plain_app(STATS_METRICS=True)
    plugin = app.extensions["stats"]
    plugin.register_collector("bytes", lambda req, resp, elapsed: resp.content_length, app=app)
    client = app.test_client()
    for i in range(3):
        client.get(f"/items/{i}")
    client.get("/nowhere")
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.content_type.startswith("text/plain")
    families = _families(response.get_data(as_text=True))
    requests = {
        (s.labels["endpoint"], s.labels["status"]): s.value
        for s in families["plugboard_http_requests"].samples
    }
    assert requests[(ITEM, "2xx")] == 3
    assert requests[(UNMATCHED, "4xx")] == 1
    latency = families["plugboard_http_request_duration_seconds"].samples
    count = [s for s in latency if s.name.endswith("_count") and s.labels["endpoint"] == ITEM]
    assert count[0].value == 3
    inf = [s for s in latency if s.labels.get("le") == "+Inf" and s.labels["endpoint"] == ITEM]
    assert inf[0].value == 3
    collected = families["plugboard_stats_collected"].samples
    assert {(s.labels["collector"], s.labels["endpoint"]) for s in collected} >= {("bytes", ITEM)}


def test_metrics_are_off_by_default() -> None:
    assert plain_app().test_client().get("/metrics").status_code == 404


def test_metrics_without_a_token_are_an_admin_page() -> None:
    app = Flask("stats_metrics_closed")
    app.config["STATS_METRICS"] = True
    Stats(app)
    assert app.test_client().get("/metrics").status_code == 404
    app.config["PLUGBOARD_ADMIN"] = True
    assert app.test_client().get("/metrics").status_code == 403  # nobody decides: closed


def test_metrics_with_a_token_need_it() -> None:
    token = "scrape-token-0123456789"
    app = Flask("stats_metrics_token")
    app.config.update(STATS_METRICS=True, STATS_METRICS_TOKEN=token, STATS_METRICS_PATH="/m")
    Stats(app)
    client = app.test_client()
    assert client.get("/m").status_code == 401
    wrong = client.get("/m", headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401
    assert wrong.headers["WWW-Authenticate"].startswith("Bearer")
    assert token not in wrong.get_data(as_text=True)
    right = client.get("/m", headers={"Authorization": f"Bearer {token}"})
    assert right.status_code == 200
    assert "plugboard_http_requests_total" in right.get_data(as_text=True)


# -- settings -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("STATS_INTERVAL", 0, "STATS_INTERVAL"),
        ("STATS_FLUSH_INTERVAL", "soon", "STATS_FLUSH_INTERVAL"),
        ("STATS_METRICS_PATH", "metrics", "STATS_METRICS_PATH"),
        ("STATS_SLOWEST", -1, "STATS_SLOWEST"),
    ],
)
def test_bad_settings_fail_at_start_up(key: str, value: Any, message: str) -> None:
    app = Flask("stats_bad")
    app.config[key] = value
    with pytest.raises(SettingsError, match=message):
        Stats(app)


def test_secrets_are_redacted_in_the_listing() -> None:
    token = "scrape-token-not-for-eyes"
    app = build_app(
        [Stats],
        {**OPEN_ADMIN, "STATS_METRICS_TOKEN": token, "STATS_METRICS": True},
    )
    listing = app.test_client().get("/admin/plugins.json").get_data(as_text=True)
    assert token not in listing
    assert dataclasses.fields(Stats.Settings)  # every setting is documented by test_docs


def test_the_dashboard_sends_the_admin_pages_policy() -> None:
    from flask_plugboard import ADMIN_CONTENT_SECURITY_POLICY

    for app in (build_app([Stats], OPEN_ADMIN, setup=_routes), plain_app()):
        response = app.test_client().get("/admin/stats/dashboard")
        assert response.status_code == 200
        assert response.headers["Content-Security-Policy"] == ADMIN_CONTENT_SECURITY_POLICY
        assert response.headers["X-Frame-Options"] == "DENY"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "no-referrer"
        html = response.get_data(as_text=True)
        assert "<script>" not in html and "<style" not in html and "style=" not in html
