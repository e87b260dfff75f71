"""apidocs' Swagger UI page as a browser shows it: Debian's chromium, driven by Playwright.

The app runs on 127.0.0.1 in a thread; the page is sent with apidocs' strict
Content-Security-Policy and every file must come from the app (no CDN). "Try it out"
sends real requests to the running app. Screenshots go to test-artifacts/ for a human
to look at.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask
from pydantic import BaseModel, Field

from apidocs_support import Item, ItemIn
from flask_plugboard.plugins.apidocs import api
from flask_plugboard.testing import build_app
from flask_plugboard.testing.browser import ARTIFACTS, Traffic, chromium, playwright_api, serve

pytestmark = pytest.mark.browser

TITLE = "Shop API"
#: What Chromium logs for the one request the test expects to be refused.
REFUSED_422 = "Failed to load resource: the server responded with a status of 422"


class Display(BaseModel):
    currency: str = Field("EUR", pattern="^[A-Z]{3}$", description="ISO 4217 code.")


class PricedItem(Item):
    currency: str


def shop_routes(app: Flask) -> None:
    @app.post("/items")
    @api(body=ItemIn, response={201: Item})
    def create_item(body: ItemIn) -> Item:
        """Create an item."""
        return Item(id=42, **body.model_dump())

    @app.get("/items/<int:item_id>")
    @api(query=Display, response=PricedItem)
    def show_item(item_id: int, query: Display) -> PricedItem:
        """Show one item in a currency."""
        return PricedItem(id=item_id, name="lamp", price=12.5, currency=query.currency)


@pytest.fixture
def base_url() -> Iterator[str]:
    config = {"PLUGBOARD_PLUGINS": ["apidocs"], "APIDOCS_TITLE": TITLE}
    app = build_app([], config, setup=shop_routes)
    with serve(app) as url:
        yield url


def server_response(operation: Any) -> tuple[Any, Any]:
    """The status cell and the body cell of what the app answered to "Execute"."""
    row = operation.locator(".live-responses-table tr.response")
    return row.locator(".response-col_status"), row.locator(".response-col_description")


def failed_response(response: Any) -> bool:
    """Everything must load, except the invalid body the test sends on purpose."""
    expected = (
        response.request.method == "POST"
        and urlsplit(response.url).path == "/items"
        and response.status == 422
    )
    return bool(response.status >= 400 and not expected)


def test_swagger_ui_tries_the_real_app_in_chromium(base_url: str) -> None:
    expect = playwright_api().expect
    network = Traffic()
    console: list[str] = []
    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        network.watch(page, failed=failed_response)
        page.on("console", lambda m: console.append(m.text) if m.type == "error" else None)

        docs = page.goto(f"{base_url}/docs", wait_until="networkidle")
        assert docs is not None
        csp = docs.headers["content-security-policy"]
        expect(page.get_by_role("heading", name=TITLE)).to_be_visible()
        create = page.locator(".opblock-post").filter(has_text="/items")
        show = page.locator(".opblock-get").filter(has_text="/items/{item_id}")
        expect(create.locator(".opblock-summary-path")).to_have_text("/items")
        expect(create.locator(".opblock-summary-description")).to_have_text("Create an item.")
        expect(show.locator(".opblock-summary-path")).to_have_text("/items/{item_id}")
        expect(show.locator(".opblock-summary-description")).to_have_text(
            "Show one item in a currency."
        )
        post_colour = page.evaluate(
            "getComputedStyle(document.querySelector('.opblock-post .opblock-summary-method'))"
            ".backgroundColor"
        )
        page.screenshot(path=str(ARTIFACTS / "apidocs-docs.png"), full_page=True)

        # POST with a valid body: the app's 201 and the item it made.
        create.locator(".opblock-summary-control").click()
        create.get_by_role("button", name="Try it out").click()
        body = create.locator("textarea.body-param__text")
        expect(body).to_contain_text('"name"')  # the example, from the schema
        body.fill(json.dumps({"name": "desk lamp", "price": 19.5}))
        create.get_by_role("button", name="Execute").click()
        status, answer = server_response(create)
        expect(status).to_have_text("201")
        expect(answer).to_contain_text('"id": 42')
        expect(answer).to_contain_text('"name": "desk lamp"')
        expect(create.locator(".request-url")).to_contain_text(f"{base_url}/items")
        body.evaluate("e => e.scrollIntoView({block: 'start'})")  # body, then the answer
        page.screenshot(path=str(ARTIFACTS / "apidocs-try-it-out.png"))

        # An invalid body: 422, naming the field.
        body.fill(json.dumps({"name": "desk lamp", "price": 0}))
        create.get_by_role("button", name="Execute").click()
        expect(status).to_have_text("422")
        expect(answer).to_contain_text('"field": "price"')
        expect(answer).to_contain_text("Input should be greater than 0")

        # GET with the path parameter and the query parameter filled in.
        show.locator(".opblock-summary-control").click()
        show.get_by_role("button", name="Try it out").click()
        show.locator('tr[data-param-name="item_id"] input').fill("5")
        show.locator('tr[data-param-name="currency"] input').fill("SEK")
        show.get_by_role("button", name="Execute").click()
        status, answer = server_response(show)
        expect(status).to_have_text("200")
        expect(answer).to_contain_text('"id": 5')
        expect(answer).to_contain_text('"currency": "SEK"')
        expect(show.locator(".request-url")).to_contain_text(f"{base_url}/items/5?currency=SEK")

    assert "script-src 'self'" in csp and "default-src 'none'" in csp
    assert post_colour == "rgb(73, 204, 144)"  # swagger-ui.css applied under the CSP
    network.check("/_static/apidocs/swagger-ui-bundle.js?v=")
    assert any(url.endswith("/openapi.json") for url in network.requested)
    # The refused body is logged as a failed load; anything else (a CSP violation:
    # "Loading the script ... violates the following Content Security Policy
    # directive") fails the test.
    errors = [m for m in console if not m.startswith(REFUSED_422)]
    assert not errors, f"console errors: {errors}"
