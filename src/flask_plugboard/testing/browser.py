"""Browser tests of pages: Debian's chromium driven by Playwright, the app served on
127.0.0.1 in a thread, and a record of the requests a page makes.

    from flask_plugboard.testing.browser import ARTIFACTS, Traffic, chromium, serve

    def test_dashboard(app):
        with serve(app) as url, chromium() as browser:
            page = browser.new_page()
            page.goto(url + "/dashboard")
            page.screenshot(path=str(ARTIFACTS / "dashboard.png"))

Screenshots go to ARTIFACTS (``test-artifacts/`` in the current folder, or
``PLUGBOARD_TEST_ARTIFACTS``) for a human to look at. A test that needs the browser calls
:func:`chromium` (or :func:`playwright_api`), which skips it when chromium or Playwright
is missing. Playwright is not a dependency of flask-plugboard: install it (and Debian's
chromium) for these tests.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask
from werkzeug.serving import make_server

__all__ = ["ARTIFACTS", "CHROMIUM", "LAUNCH_ARGS", "Traffic", "chromium", "playwright_api", "serve"]

CHROMIUM = os.environ.get("PLUGBOARD_TEST_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(os.environ.get("PLUGBOARD_TEST_ARTIFACTS", "test-artifacts")).resolve()
#: No sandbox (CI runs as root), and nothing that would reach the network on its own.
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@contextlib.contextmanager
def serve(app: Flask) -> Iterator[str]:
    """Serve ``app`` on 127.0.0.1 and a free port in a thread; yields its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.port}"
    finally:
        server.shutdown()
        thread.join()


def playwright_api() -> ModuleType:
    """``playwright.sync_api``; skips the test when chromium or Playwright is missing."""
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"{CHROMIUM} is missing: install Debian's chromium (apt-get install chromium)")
    module: ModuleType = pytest.importorskip("playwright.sync_api")
    return module


@contextlib.contextmanager
def chromium() -> Iterator[Any]:
    """A Playwright ``Browser`` on Debian's chromium, closed afterwards (ARTIFACTS exists)."""
    sync_api = playwright_api()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def _status_4xx_5xx(response: Any) -> bool:
    return bool(response.status >= 400)


@dataclasses.dataclass
class Traffic:
    """The URLs a page requested, and those whose answer counts as failed."""

    requested: list[str] = dataclasses.field(default_factory=list)
    failed: list[str] = dataclasses.field(default_factory=list)

    def watch(self, page: Any, failed: Callable[[Any], bool] = _status_4xx_5xx) -> None:
        """Record ``page``'s requests; ``failed(response)`` says which answers failed."""
        page.on("request", lambda r: self.requested.append(r.url))
        page.on("response", lambda r: self.failed.append(r.url) if failed(r) else None)

    def check(self, asset: str) -> None:
        """Every request went to 127.0.0.1 (no CDN), ``asset`` was among them, none failed."""
        assert self.requested, "the browser recorded no requests"
        hosts = {urlsplit(url).hostname for url in self.requested}
        assert hosts == {"127.0.0.1"}, f"requests left 127.0.0.1: {sorted(map(str, hosts))}"
        assert any(asset in url for url in self.requested), f"{asset} was never requested"
        assert not self.failed, f"requests that failed: {self.failed}"
