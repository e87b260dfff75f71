"""The survey service's pages as a browser shows them: Debian's chromium, driven by
Playwright (issue 8).

One story, as people live it: an owner registers, creates a survey with a question of
each kind, opens it and copies its public link; two anonymous respondents answer it, one
with the mouse (after a submission the server refuses), one with the keyboard only; the
owner sees the results, downloads the CSV and, once an administrator, finds the admin
pages in the navigation. A phone-width visit checks that nothing overflows. No page may
log a console error or break the Content-Security-Policy, and every asset comes from the
app. Screenshots go to test-artifacts/surveys-*.png for a human to look at.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from flask_plugboard.plugins.auth import add_role
from flask_plugboard.testing.browser import ARTIFACTS, Traffic, chromium, playwright_api, serve
from surveys_support import PASSWORD, dispose, surveys_app

pytestmark = pytest.mark.browser

#: Bounded waits, generous for a loaded CI machine; never a sleep.
WAIT = 15_000
ADMIN_ROLE = "survey-admins"
NAME = "Lunch at the office"
LUNCH = "Which lunch do you prefer?"
DAYS = "Which days suit you?"
REMARKS = "Anything else to tell the canteen?"
MINUTES = "How many minutes do you take for lunch?"
RATING = "How do you rate the canteen?"
QUESTIONS = [LUNCH, DAYS, REMARKS, MINUTES, RATING]
REMARK = "More vegetables, please."
#: Reports CSP violations to the test; an init script runs whatever the page's policy.
REPORT_VIOLATIONS = """document.addEventListener("securitypolicyviolation", (event) =>
    window.reportViolation(`${event.violatedDirective} blocked ${event.blockedURI}`));"""
#: The elements wider than the window, to say what overflows.
OVERFLOWING = """() => [...document.querySelectorAll("body *")]
    .filter((el) => el.getBoundingClientRect().right > window.innerWidth + 0.5)
    .slice(0, 5).map((el) => `${el.tagName.toLowerCase()}.${el.className}`)"""
#: Each row of a results table: its first cell and its count.
COUNTS = """(rows) => rows.map((row) =>
    [row.cells[0].textContent.trim(), row.querySelector(".sv-count").textContent.trim()])"""


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[Flask, str]]:
    """The survey service on SQLite, served on 127.0.0.1; the app and its base URL."""
    app = surveys_app(tmp_path / "instance", {"AUTH_ADMIN_ROLE": ADMIN_ROLE})
    with serve(app) as url:
        yield app, url
    dispose(app)


def failed(response: Any) -> bool:
    """The refused submission answers 400 on purpose; anything else that fails (a 500,
    a missing asset) fails the test."""
    if response.status == 400 and response.request.resource_type == "document":
        return False
    return bool(response.status >= 400)


class Watch:
    """What the browser contexts reported: requests, console errors, CSP violations."""

    def __init__(self) -> None:
        self.network = Traffic()
        self.problems: list[str] = []

    def context(self, browser: Any, **options: Any) -> Any:
        context = browser.new_context(**options)
        context.set_default_timeout(WAIT)
        self.network.watch(context, failed=failed)  # a context has a page's events
        context.expose_binding(
            "reportViolation", lambda source, text: self.problems.append(f"CSP: {text}")
        )
        context.add_init_script(REPORT_VIOLATIONS)
        # Failed loads are the network's business (the 400 page logs one).
        context.on(
            "console",
            lambda m: (
                self.problems.append(f"console: {m.text} ({m.location.get('url')})")
                if m.type == "error" and not m.text.startswith("Failed to load resource")
                else None
            ),
        )
        return context


def shot(page: Any, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"surveys-{name}.png"), full_page=True)


def add_question(
    page: Any,
    text: str,
    kind: str,
    options: tuple[str, ...] = (),
    required: bool = True,
    settings: Mapping[str, str | bool] | None = None,
) -> None:
    """Fill the manage page's "Add a question" form and send it."""
    expect = playwright_api().expect
    form = page.locator("form").filter(has=page.get_by_role("button", name="Add question"))
    form.get_by_label("Question", exact=True).fill(text)
    form.get_by_label("Kind", exact=True).select_option(label=kind)
    if options:
        form.get_by_label("Options", exact=True).fill("\n".join(options))
    form.get_by_label("Required", exact=True).set_checked(required)
    for label, value in (settings or {}).items():
        field = form.get_by_label(label, exact=True)
        if isinstance(value, bool):
            field.set_checked(value)
        else:
            field.fill(value)
    form.get_by_role("button", name="Add question").click()
    item = page.get_by_role("listitem").filter(has_text=text)
    expect(item).to_have_count(1, timeout=WAIT)


def tab_to(page: Any, target: Any, presses: int = 40) -> None:
    """Press Tab until ``target`` has the focus (no keyboard trap on the way)."""
    for _ in range(presses):
        page.keyboard.press("Tab")
        if target.evaluate("(el) => el === document.activeElement"):
            return
    raise AssertionError(f"{presses} presses of Tab never reached {target}")


def rating(page: Any, value: str) -> Any:
    return page.get_by_role("group", name=RATING).get_by_role("radio", name=value, exact=True)


def no_overflow(page: Any) -> None:
    width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1], f"{page.url} overflows {width}: {page.evaluate(OVERFLOWING)}"


def fits_a_phone(page: Any) -> None:
    """At 375 pixels wide, ``page`` overflows nowhere; back to the desktop's width."""
    page.set_viewport_size({"width": 375, "height": 740})
    no_overflow(page)
    page.set_viewport_size({"width": 1280, "height": 900})


def counts(section: Any) -> dict[str, str]:
    """A results section's table: the first cell of each row and its count."""
    return dict(section.locator("tr:has(.sv-count)").evaluate_all(COUNTS))


def test_survey_story_in_chromium(served: tuple[Flask, str]) -> None:
    app, base = served
    expect = playwright_api().expect
    watch = Watch()
    with chromium() as browser:
        owner = watch.context(
            browser,
            viewport={"width": 1280, "height": 900},
            permissions=["clipboard-read", "clipboard-write"],
        ).new_page()

        # Home, then register: the new owner lands on the (empty) dashboard.
        owner.goto(base + "/")
        shot(owner, "home")
        nav = owner.get_by_role("navigation", name="Main")
        nav.get_by_role("link", name="Register").click()
        owner.wait_for_url(base + "/auth/register")
        shot(owner, "register")
        owner.get_by_label("Username").fill("olga")
        owner.get_by_label("E-mail address").fill("olga@example.org")
        owner.get_by_label("Password", exact=True).fill(PASSWORD)
        owner.get_by_label("Password again").fill(PASSWORD)
        owner.get_by_role("button", name="Create the account").click()
        owner.wait_for_url(base + "/surveys")
        expect(owner.get_by_role("heading", level=1, name="My surveys")).to_be_visible()
        shot(owner, "dashboard")

        # A new survey starts closed; a question of each kind, then open it.
        owner.get_by_role("main").get_by_role("link", name="New survey").click()
        expect(owner.get_by_role("heading", level=1, name="New survey")).to_be_visible()
        owner.get_by_label("Name", exact=True).fill(NAME)
        owner.get_by_label("Description", exact=True).fill("Tell us what to cook in March.")
        expect(owner.get_by_label("Due date")).to_have_attribute("type", "datetime-local")
        owner.get_by_role("button", name="Create survey").click()
        expect(owner.get_by_role("heading", level=1, name=NAME)).to_be_visible(timeout=WAIT)
        expect(owner.get_by_text("Closed: respondents cannot answer yet")).to_be_visible()
        add_question(owner, LUNCH, "Single choice", ("Soup", "Salad", "Pasta"))
        add_question(
            owner,
            DAYS,
            "Multiple choice",
            ("Monday", "Tuesday", "Wednesday"),
            settings={"Fewest choices": "1", "Most choices": "2"},
        )
        add_question(
            owner, REMARKS, "Text", required=False, settings={"Longest answer (characters)": "500"}
        )
        add_question(
            owner,
            MINUTES,
            "Number",
            settings={"Smallest": "10", "Largest": "120", "Whole numbers only": True},
        )
        add_question(owner, RATING, "Rating", settings={"Scale from": "1", "Scale to": "5"})
        listed = owner.get_by_role("main").locator("ol > li")
        expect(listed).to_have_count(5)
        for item, text in zip(listed.all(), QUESTIONS, strict=True):
            expect(item).to_contain_text(text)
        owner.get_by_role("button", name="Open for answers").click()
        expect(owner.get_by_role("button", name="Close", exact=True)).to_be_visible(timeout=WAIT)
        link = owner.get_by_label("Public link").input_value()
        assert re.fullmatch(re.escape(base) + r"/s/\d+", link), link
        owner.get_by_role("button", name="Copy link").click()
        # owner.js writes the clipboard asynchronously: wait until it holds the link.
        owner.wait_for_function(
            "async (link) => (await navigator.clipboard.readText()) === link", arg=link
        )
        shot(owner, "manage")
        fits_a_phone(owner)

        # First respondent, with the mouse: a refused submission keeps what was typed.
        first = watch.context(browser, viewport={"width": 1280, "height": 900}).new_page()
        first.goto(link)
        expect(first.get_by_role("heading", level=1, name=NAME)).to_be_visible()
        shot(first, "respond")
        first.get_by_role("radio", name="Soup").check()
        for day in ("Monday", "Tuesday", "Wednesday"):  # one more than allowed
            first.get_by_role("checkbox", name=day).check()
        first.get_by_role("textbox", name=REMARKS).fill(REMARK)
        first.get_by_role("spinbutton", name=MINUTES).fill("150")  # above the largest
        rating(first, "4").check()
        # The browser would refuse 150 itself (max=120): what is tested is the server.
        first.locator("form[method=post]").evaluate("(form) => { form.noValidate = true; }")
        with first.expect_response(lambda r: r.request.method == "POST") as refused:
            first.get_by_role("button", name="Send answers").click()
        assert refused.value.status == 400
        summary = first.get_by_role("alert")
        expect(summary).to_contain_text("Choose 1 to 2 options", timeout=WAIT)
        expect(summary).to_contain_text("at most 120")
        targets = summary.get_by_role("link").evaluate_all(
            "(links) => links.map((a) => Boolean(document.getElementById(a.hash.slice(1))))"
        )
        assert targets == [True, True], "the error summary links to the fields"
        days = first.get_by_role("group", name=DAYS)
        expect(days).to_have_accessible_description(re.compile("choose 1 to 2 options", re.I))
        minutes = first.get_by_role("spinbutton", name=MINUTES)
        expect(minutes).to_have_attribute("aria-invalid", "true")
        expect(minutes).to_have_accessible_description(re.compile("at most 120"))
        expect(minutes).to_have_value("150")
        expect(first.get_by_role("textbox", name=REMARKS)).to_have_value(REMARK)
        expect(first.get_by_role("radio", name="Soup")).to_be_checked()
        expect(first.get_by_role("checkbox", name="Wednesday")).to_be_checked()
        expect(rating(first, "4")).to_be_checked()
        shot(first, "respond-errors")
        first.get_by_role("checkbox", name="Wednesday").uncheck()
        minutes.fill("45")
        first.get_by_role("button", name="Send answers").click()
        first.wait_for_url(link + "/thanks")
        expect(first.get_by_role("heading", level=1, name="Thank you")).to_be_visible()
        expect(first.get_by_text("Your answers were sent.")).to_be_visible()
        shot(first, "thanks")

        # Second respondent, with the keyboard only: Tab, arrows, Space, Enter.
        second = watch.context(browser, viewport={"width": 1280, "height": 900}).new_page()
        second.goto(link)
        tab_to(second, second.get_by_role("radio", name="Soup"))
        second.keyboard.press("ArrowDown")
        expect(second.get_by_role("radio", name="Salad")).to_be_checked()
        tab_to(second, second.get_by_role("checkbox", name="Tuesday"))
        second.keyboard.press("Space")
        tab_to(second, second.get_by_role("spinbutton", name=MINUTES))  # past the remarks
        second.keyboard.type("30")
        tab_to(second, rating(second, "1"))
        second.keyboard.press("Space")
        for _ in range(4):
            second.keyboard.press("ArrowRight")
        expect(rating(second, "5")).to_be_checked()
        expect(second.get_by_role("checkbox", name="Tuesday")).to_be_checked()
        tab_to(second, second.get_by_role("button", name="Send answers"))
        second.keyboard.press("Enter")
        second.wait_for_url(link + "/thanks")

        # A phone: the page fits the screen's width.
        phone = watch.context(
            browser, viewport={"width": 375, "height": 740}, is_mobile=True, has_touch=True
        ).new_page()
        phone.goto(link)
        expect(phone.get_by_role("button", name="Send answers")).to_be_visible()
        no_overflow(phone)
        shot(phone, "respond-phone")

        # Results: the counts of both submissions, charts, and the CSV.
        owner.get_by_role("main").get_by_role("link", name="Results").click()
        expect(owner.get_by_role("heading", level=1, name=f"Results: {NAME}")).to_be_visible()
        expect(owner.get_by_text("2 submissions")).to_be_visible()
        sections = {
            text: owner.locator("section").filter(
                has=owner.get_by_role("heading", level=2, name=text)
            )
            for text in QUESTIONS
        }
        for text, answered in zip(QUESTIONS, ("2", "2", "1", "2", "2"), strict=True):
            expect(sections[text]).to_contain_text(f"{answered} answered")
        assert counts(sections[LUNCH]) == {"Soup": "1", "Salad": "1", "Pasta": "0"}
        assert counts(sections[DAYS]) == {"Monday": "1", "Tuesday": "2", "Wednesday": "0"}
        expect(sections[LUNCH].get_by_role("row").filter(has_text="Soup")).to_contain_text("50.0%")
        # Two distinct values: one bar each (bins appear only with many distinct values).
        assert counts(sections[MINUTES]) == {"30": "1", "45": "1"}
        expect(sections[MINUTES]).to_contain_text("37.5")  # the mean of 45 and 30
        # The whole scale is shown, the values nobody gave with 0.
        assert counts(sections[RATING]) == {"1": "0", "2": "0", "3": "0", "4": "1", "5": "1"}
        expect(sections[REMARKS]).to_contain_text(REMARK)
        for text in (LUNCH, DAYS, MINUTES, RATING):
            chart = sections[text].locator("svg[role=img]")
            expect(chart).to_have_count(1)
            expect(chart).to_have_attribute("aria-label", re.compile(r"\S"))
        shot(owner, "results")
        fits_a_phone(owner)
        with owner.expect_download() as downloaded:
            owner.get_by_role("link", name="Download CSV").click()
        download = downloaded.value
        survey_id = link.rsplit("/", 1)[1]
        assert download.suggested_filename == f"survey-{survey_id}.csv"
        with open(download.path(), encoding="utf-8", newline="") as exported:
            header, *rows = list(csv.reader(exported))
        assert [re.sub(r" \[\d+\]$", "", cell) for cell in header[2:]] == QUESTIONS, header
        assert [row[2:] for row in rows] == [
            ["Soup", "Monday; Tuesday", REMARK, "45", "4"],
            ["Salad", "Tuesday", "", "30", "5"],
        ]

        # The dashboard counts them; an administrator's navigation leads to the admin pages.
        owner.get_by_role("navigation", name="Main").get_by_role("link", name="My surveys").click()
        row = owner.get_by_role("row").filter(has=owner.get_by_role("link", name=NAME))
        expect(row.get_by_role("cell", name="2", exact=True)).to_be_visible(timeout=WAIT)
        expect(row).to_contain_text("Open")
        expect(nav.get_by_role("link", name="Plugins")).to_have_count(0)
        with app.app_context():
            add_role("olga", ADMIN_ROLE)
        owner.reload()
        shot(owner, "admin-nav")
        fits_a_phone(owner)
        nav.get_by_role("link", name="Plugins").click()
        owner.wait_for_url(base + "/admin/plugins")
        expect(owner.get_by_role("heading", level=1, name="Plugins")).to_be_visible()
        owner.goto(base + "/surveys")
        # The stats plugin's own admin link's label (the host lists the admin pages).
        nav.get_by_role("link", name="Stats").click()
        owner.wait_for_url(base + "/admin/stats/dashboard")
        expect(owner.get_by_role("heading", level=1, name="Request statistics")).to_be_visible()

    assert not watch.problems, watch.problems
    watch.network.check("/_static/surveys/surveys.css?v=")
    assert any("/_static/surveys/respond.css?v=" in url for url in watch.network.requested)
