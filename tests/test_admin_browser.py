"""The admin page as a browser shows it: Debian's chromium, driven by Playwright.

The app runs on 127.0.0.1 in a thread; every asset must come from it (no CDN). A
screenshot is saved to test-artifacts/ for a human to look at.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Blueprint, Flask, Request, Response

from flask_plugboard import Plugin, hookimpl, plugin_blueprint, setting
from flask_plugboard.testing import build_app
from flask_plugboard.testing.browser import ARTIFACTS, Traffic, chromium, serve

pytestmark = pytest.mark.browser

SECRET = "mailer-password-do-not-show"


@dataclasses.dataclass(frozen=True)
class TimerSettings:
    slow_threshold: float = setting(1.0, min=0, doc="Seconds after which a request is slow.")


class Timer(Plugin):
    name = "timer"
    version = "0.3.1"
    description = "Logs slow requests and adds Server-Timing headers."
    Settings = TimerSettings
    url_prefix = "/timer"

    def blueprint(self, app: Flask, settings: Any) -> Blueprint:
        bp = plugin_blueprint(self, __name__)
        bp.add_url_rule("/", "report", lambda: "timings")
        return bp

    @hookimpl
    def plugboard_admin_links(self) -> list[tuple[str, str]]:
        return [("Timings", "timer.report")]


@dataclasses.dataclass(frozen=True)
class MailerSettings:
    server: str = setting("smtp.example.org", doc="SMTP server.")
    password: str = setting("", secret=True, doc="SMTP password.")


class Mailer(Plugin):
    name = "mailer"
    version = "1.4.0"
    description = "Sends mail through SMTP."
    Settings = MailerSettings
    requires = ("timer",)


class Flaky(Plugin):
    name = "flaky"
    version = "0.0.9"
    description = "A collector whose hook always raises."

    @hookimpl
    def plugboard_request_finished(self, request: Request, response: Response) -> None:
        raise ValueError("collector backend unreachable")


class Search(Plugin):
    name = "search"
    version = "2.0.0"
    description = "Full-text search over pages."
    requires = ("elastic",)


class Broken(Plugin):
    name = "broken"
    version = "0.1.0"
    description = "Fails while starting."

    def setup(self, app: Flask, settings: Any) -> None:
        raise RuntimeError(f"cannot log in with password {SECRET}")


@pytest.fixture
def base_url() -> Iterator[str]:
    app = build_app(
        [Timer, Mailer, Flaky, Search, Broken],
        {
            "PLUGBOARD_ADMIN": True,
            "PLUGBOARD_ADMIN_ACCESS": "open",
            "PLUGBOARD_STRICT": False,
            "PLUGBOARD_QUARANTINE_AFTER": 1,
            "MAILER_PASSWORD": SECRET,
        },
    )
    app.test_client().get("/timer/")  # Flaky's hook raises once: quarantined
    with serve(app) as url:
        yield url


def test_admin_page_in_chromium(base_url: str) -> None:
    network = Traffic()
    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        network.watch(page)
        page.goto(f"{base_url}/admin/plugins", wait_until="networkidle")
        rows = {
            name: page.locator(f"#row-{name}").inner_text()
            for name in ["timer", "mailer", "flaky", "search", "broken"]
        }
        stylesheet_applied = page.evaluate(
            "getComputedStyle(document.querySelector('.pb-badge')).borderRadius"
        )
        html = page.content()
        page.screenshot(path=str(ARTIFACTS / "admin-plugins.png"), full_page=True)
        page.set_viewport_size({"width": 390, "height": 844})
        page.screenshot(path=str(ARTIFACTS / "admin-plugins-narrow.png"), full_page=True)
        page.get_by_role("link", name="Timings").click()  # a plugin's admin link
        page.wait_for_url(f"{base_url}/timer/")
        assert page.locator("body").inner_text() == "timings"

    assert "loaded" in rows["timer"] and "0.3.1" in rows["timer"]
    assert "loaded" in rows["mailer"]
    assert "quarantined" in rows["flaky"] and "collector backend unreachable" in rows["flaky"]
    assert "failed (requirements)" in rows["search"] and "elastic" in rows["search"]
    assert "failed (init)" in rows["broken"] and "cannot log in" in rows["broken"]
    assert SECRET not in html
    assert stylesheet_applied == "999px"
    network.check("/_static/plugboard/admin.css?v=")
