"""The stats dashboard in Debian's chromium, driven by Playwright: every request stays on
127.0.0.1, and the charts and table show the traffic the test sent, refreshed live."""

from __future__ import annotations

import urllib.request
from collections.abc import Iterator

import pytest
from flask import Flask, abort

from flask_plugboard.plugins.stats import Stats
from flask_plugboard.testing import build_app
from flask_plugboard.testing.browser import ARTIFACTS, Traffic, chromium, playwright_api, serve

pytestmark = pytest.mark.browser

ITEM = "/items/<int:item_id>"


def _routes(app: Flask) -> None:
    @app.get("/items/<int:item_id>")
    def item(item_id: int) -> str:
        return f"item {item_id}"

    @app.get("/fail")
    def fail() -> str:
        abort(503)


@pytest.fixture
def base_url() -> Iterator[str]:
    app = build_app(
        [Stats],
        {
            "PLUGBOARD_ADMIN": True,
            "PLUGBOARD_ADMIN_ACCESS": "open",
            "STATS_DASHBOARD_REFRESH": 0.5,
            "STATS_INTERVAL": 5,
        },
        setup=_routes,
    )
    app.extensions["stats"].register_collector(
        "response_bytes", lambda req, resp, elapsed: resp.content_length, app=app
    )
    with serve(app) as url:
        yield url


def _send(base_url: str, path: str) -> None:
    try:
        with urllib.request.urlopen(base_url + path, timeout=10) as response:  # noqa: S310 - our own server
            response.read()
    except urllib.error.HTTPError as exc:  # the 503s and 404s are part of the traffic
        exc.close()


def test_dashboard_in_chromium(base_url: str) -> None:
    playwright_api()  # skips before sending traffic when the browser is missing
    for i in range(37):
        _send(base_url, f"/items/{i}")
    for _ in range(3):
        _send(base_url, "/fail")
    for i in range(5):
        _send(base_url, f"/.env{i}")
    network = Traffic()
    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1280, "height": 1000})
        network.watch(page)
        console: list[str] = []
        page.on("console", lambda message: console.append(message.text))
        page.goto(f"{base_url}/admin/stats/dashboard", wait_until="networkidle")
        page.wait_for_selector("#stats-dashboard[data-loaded=true]")
        row = page.locator(f'tr[data-endpoint="{ITEM}"]')
        assert row.locator(".sd-count").inner_text() == "37"
        # Read together, in one turn of the page's event loop: a poll landing between
        # two separate reads would redraw one chart and not yet the other.
        first_total, first_errors, histogram_total = page.evaluate(
            """() => {
                const traffic = document.querySelector("#sd-chart-traffic");
                const histogram = document.querySelector("#sd-chart-histogram");
                return [traffic.dataset.total, traffic.dataset.errors, histogram.dataset.total]
                    .map((value) => Number(value || 0));
            }"""
        )
        bars = page.locator("#sd-chart-traffic rect.sd-bar").count()
        latency_points = int(page.locator("#sd-chart-latency").get_attribute("data-points") or 0)
        lines = page.locator("#sd-chart-latency path.sd-line").count()
        unmatched = page.locator('tr[data-endpoint="<unmatched>"] .sd-count').inner_text()
        collectors = page.locator("#sd-collectors").locator("xpath=..").text_content() or ""
        slowest = page.locator("#sd-slowest").inner_text()

        # Live: more traffic shows up without reloading the page.
        for i in range(20):
            _send(base_url, f"/items/{i}")
        # A function, not an expression: Playwright evals an expression in the page,
        # which the page's policy (no 'unsafe-eval') refuses.
        page.wait_for_function(
            "() => document.querySelector('tr[data-endpoint=\"/items/<int:item_id>\"] "
            ".sd-count').textContent === '57'",
            timeout=10_000,
        )
        page.screenshot(path=str(ARTIFACTS / "stats-dashboard.png"), full_page=True)

    # 37 + 3 + 5 sent, plus the dashboard's own page, assets and polls.
    assert first_total >= 45
    assert first_errors >= 8  # three 503s and five 404s
    assert bars >= 1
    assert lines == 3 and latency_points >= 1
    assert histogram_total == first_total
    assert unmatched == "5"
    assert "response_bytes" in collectors and "/items/<int:item_id>" in collectors
    assert "GET /" in slowest
    network.check("/_static/stats/dashboard.js?v=")
    # The page runs under the admin pages' strict policy and breaks none of it.
    assert not [m for m in console if "Content Security Policy" in m], console
