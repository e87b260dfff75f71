"""auth's pages as a browser shows them: Debian's chromium, driven by Playwright.

Register, log out, log in, forget the password, follow the link from a real SMTP server's
inbox, choose a new one and log in with it. The app runs on 127.0.0.1 in a thread under a
strict Content-Security-Policy; every asset must come from it. Screenshots of the login,
register and reset pages go to test-artifacts/ for a human to look at.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Response, g

from auth_support import Inbox, auth_app, dispose, reset_link, smtp_server
from flask_plugboard.testing.browser import ARTIFACTS, Traffic, chromium, playwright_api, serve

pytestmark = pytest.mark.browser

#: No inline script or style may run: auth's pages must work under it.
CSP = "default-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
FIRST_PASSWORD = "a quiet tram to Lisbon"
NEW_PASSWORD = "seven green kites over Porto"


@pytest.fixture
def inbox() -> Iterator[Inbox]:
    with smtp_server() as box:
        yield box


@pytest.fixture
def base_url(tmp_path: Path, inbox: Inbox) -> Iterator[str]:
    app = auth_app(tmp_path, {"AUTH_MAIL_URL": inbox.url})

    @app.get("/")
    def index() -> str:
        return f"Hello, {g.user.username if g.user is not None else 'nobody'}"

    @app.after_request
    def strict_csp(response: Response) -> Response:
        response.headers["Content-Security-Policy"] = CSP
        return response

    with serve(app) as url:
        yield url
    dispose(app)


def failed_resource(response: Any) -> bool:
    """Pages answer 400 to bad input on purpose; any other resource must load."""
    return bool(response.status >= 400 and response.request.resource_type != "document")


def test_register_log_out_log_in_and_reset_in_chromium(base_url: str, inbox: Inbox) -> None:
    expect = playwright_api().expect
    network = Traffic()
    console: list[str] = []
    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        network.watch(page, failed=failed_resource)
        page.on("console", lambda m: console.append(m.text) if m.type == "error" else None)

        # Register: the new user is logged in and sent home.
        page.goto(f"{base_url}/auth/register", wait_until="networkidle")
        register_focus = page.evaluate("document.activeElement.id")
        page.screenshot(path=str(ARTIFACTS / "auth-register.png"), full_page=True)
        page.get_by_label("Username").fill("bob")
        page.get_by_label("E-mail address").fill("bob@example.org")
        page.get_by_label("Password", exact=True).fill(FIRST_PASSWORD)
        page.get_by_label("Password again").fill(FIRST_PASSWORD)
        page.get_by_role("button", name="Create the account").click()
        page.wait_for_url(f"{base_url}/")
        expect(page.locator("body")).to_have_text("Hello, bob")

        # Log out, after the confirmation page.
        page.goto(f"{base_url}/auth/logout")
        page.get_by_role("button", name="Log out", exact=True).click()
        page.wait_for_url(f"{base_url}/")
        expect(page.locator("body")).to_have_text("Hello, nobody")

        # A wrong password: the form comes back with the error announced.
        page.goto(f"{base_url}/auth/login", wait_until="networkidle")
        login_focus = page.evaluate("document.activeElement.id")
        page.keyboard.type("bob")
        page.keyboard.press("Tab")
        page.keyboard.type("not the password at all")
        page.keyboard.press("Enter")
        expect(page.get_by_role("alert")).to_contain_text("do not match an active account")
        expect(page.get_by_label("Username or e-mail address")).to_have_value("bob")
        page.screenshot(path=str(ARTIFACTS / "auth-login-error.png"), full_page=True)

        # Log in with the e-mail address, remembered.
        page.goto(f"{base_url}/auth/login", wait_until="networkidle")
        page.screenshot(path=str(ARTIFACTS / "auth-login.png"), full_page=True)
        button_colour = page.evaluate(
            "getComputedStyle(document.querySelector('.auth-button')).backgroundColor"
        )
        page.set_viewport_size({"width": 390, "height": 844})
        page.screenshot(path=str(ARTIFACTS / "auth-login-narrow.png"), full_page=True)
        page.set_viewport_size({"width": 1280, "height": 900})
        page.get_by_label("Username or e-mail address").fill("bob@example.org")
        page.get_by_label("Password").fill(FIRST_PASSWORD)
        page.get_by_label("Keep me logged in on this device").check()
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url(f"{base_url}/")
        expect(page.locator("body")).to_have_text("Hello, bob")
        cookies = {c["name"]: c for c in page.context.cookies()}
        page.goto(f"{base_url}/auth/logout")
        page.get_by_role("button", name="Log out", exact=True).click()
        page.wait_for_url(f"{base_url}/")

        # Forgotten password: the link comes by e-mail.
        page.goto(f"{base_url}/auth/login")
        page.get_by_role("link", name="Forgot your password?").click()
        page.get_by_label("E-mail address").fill("bob@example.org")
        page.get_by_role("button", name="Send the link").click()
        expect(page.get_by_role("heading", name="Check your inbox")).to_be_visible()
        assert len(inbox.wait(1)) == 1
        link = reset_link(inbox.messages[0])

        page.goto(link, wait_until="networkidle")
        page.screenshot(path=str(ARTIFACTS / "auth-reset.png"), full_page=True)
        page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
        page.get_by_label("New password again").fill(NEW_PASSWORD)
        page.get_by_role("button", name="Set the new password").click()
        page.wait_for_url(f"{base_url}/auth/login")
        expect(page.get_by_role("status")).to_contain_text("Your password is changed")

        page.get_by_label("Username or e-mail address").fill("bob")
        page.get_by_label("Password").fill(NEW_PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url(f"{base_url}/")
        expect(page.locator("body")).to_have_text("Hello, bob")

        # The link is spent.
        page.goto(link)
        expect(page.get_by_role("heading", name="This link does not work")).to_be_visible()

    assert register_focus == "username" and login_focus == "username"
    assert button_colour == "rgb(47, 91, 211)"  # auth.css applied under the CSP
    session = cookies["session"]
    assert session["httpOnly"] and session["sameSite"] == "Lax" and session["expires"] > 0
    network.check("/auth/_static/auth/auth.css?v=")
    # 400 pages and the app's missing /favicon.ico are logged as failed loads; anything
    # else (a CSP violation: "Refused to apply inline style...") fails the test.
    errors = [m for m in console if not m.startswith("Failed to load resource")]
    assert not errors, f"console errors: {errors}"
