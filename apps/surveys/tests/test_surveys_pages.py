"""What every page of the service shares: the home page, the navigation (the admin links
for administrators), auth's pages in the service's layout, and the security headers."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from flask import Flask
from flask.testing import FlaskClient
from markupsafe import Markup

from flask_plugboard import Plugin, hookimpl
from flask_plugboard.db import session
from flask_plugboard.plugins.auth import User
from pages_support import assert_no_inline_code, logged_in, make_user
from plugboard_surveys import PLUGINS
from plugboard_surveys._models import Survey
from plugboard_surveys._page_support import format_datetime
from plugboard_surveys._service import create_survey

STRICT = "default-src 'none'"


def _survey(app: Flask, owner_id: int, name: str, *, active: bool = True, **fields: object) -> int:
    with app.app_context():
        owner = session().get(User, owner_id)
        assert owner is not None
        survey: Survey = create_survey(owner, name=name, is_active=active, **fields)
        return survey.id


def test_the_home_page_lists_the_open_surveys_with_their_public_links(app: Flask) -> None:
    owner = make_user(app, "olga")
    open_id = _survey(app, owner, "Lunch options", description="Where shall we eat?")
    _survey(app, owner, "Not yet", active=False)
    past = dt.datetime.now(dt.UTC) - dt.timedelta(days=1)
    _survey(app, owner, "Too late", due_at=past)

    response = app.test_client().get("/")

    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert f'href="/s/{open_id}"' in html and "Lunch options" in html
    assert "Where shall we eat?" in html
    assert "Not yet" not in html and "Too late" not in html
    assert_no_inline_code(html)


def test_visitors_are_offered_to_log_in_and_register(client: FlaskClient) -> None:
    html = client.get("/").get_data(as_text=True)

    assert 'href="/auth/login"' in html and 'href="/auth/register"' in html
    assert "My surveys" not in html and "/admin/" not in html


def test_owners_see_their_surveys_in_the_navigation_but_no_admin_links(app: Flask) -> None:
    client = logged_in(app, "olga")

    html = client.get("/").get_data(as_text=True)

    assert 'href="/surveys"' in html and 'href="/surveys/new"' in html
    assert "olga" in html and 'href="/auth/logout"' in html
    assert 'href="/admin/plugins"' not in html and "/admin/stats" not in html


def test_administrators_get_the_plugins_page_and_the_stats_dashboard_in_the_navigation(
    app: Flask,
) -> None:
    client = logged_in(app, "ada", roles=("admin",))

    html = client.get("/surveys").get_data(as_text=True)

    assert 'href="/admin/plugins"' in html
    assert 'href="/admin/stats/dashboard"' in html
    assert client.get("/admin/plugins").status_code == 200
    assert client.get("/admin/stats/dashboard").status_code == 200


class HelpLink(Plugin):
    """Another plugin's link in the service's navigation, through the surveys_nav slot."""

    name = "helplink"

    @hookimpl
    def plugboard_template_slot(self, slot: str, context: dict[str, object]) -> Markup | None:
        if slot != "surveys_nav":
            return None
        return Markup('<li><a href="/help">Help</a></li>')


def test_other_plugins_add_links_to_the_navigation_through_its_slot(
    make_surveys_app: Callable[..., Flask],
) -> None:
    app = make_surveys_app(PLUGBOARD_PLUGINS=[*PLUGINS, "test_surveys_pages:HelpLink"])

    for path in ("/", "/auth/login"):
        html = app.test_client().get(path).get_data(as_text=True)
        nav = html[html.index('<nav class="sv-nav"') : html.index("</nav>")]
        assert '<li><a href="/help">Help</a></li>' in nav, path


def test_auth_pages_share_the_services_layout_and_policy(client: FlaskClient) -> None:
    response = client.get("/auth/login")

    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'class="sv-brand"' in html and "surveys.css" in html and "auth.css" in html
    assert response.headers["Content-Security-Policy"].startswith(STRICT)
    assert_no_inline_code(html)


def test_pages_send_a_strict_policy_and_the_security_headers(client: FlaskClient) -> None:
    for path in ("/", "/s/999999", "/auth/register"):
        response = client.get(path)
        headers = response.headers
        policy = headers["Content-Security-Policy"]
        assert policy.startswith(STRICT), path
        for directive in ("script-src 'self'", "style-src 'self'", "frame-ancestors 'none'"):
            assert directive in policy, (path, directive)
        assert "unsafe-inline" not in policy
        assert headers["X-Content-Type-Options"] == "nosniff", path
        assert headers["X-Frame-Options"] == "DENY", path
        assert headers["Cache-Control"] == "no-store", path
        assert "Strict-Transport-Security" not in headers  # plain HTTP: it would be ignored


def test_over_https_pages_ask_browsers_to_keep_to_https(client: FlaskClient) -> None:
    response = client.get("/", base_url="https://surveys.example")

    assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")


def test_an_unknown_survey_gets_a_page_that_says_so(client: FlaskClient) -> None:
    response = client.get("/s/999999", headers={"Accept": "text/html"})

    html = response.get_data(as_text=True)
    assert response.status_code == 404
    assert "text/html" in response.content_type
    assert "<h1>No such survey</h1>" in html and "Check the link you were given." in html
    assert 'href="/"' in html  # a way on


def test_without_the_pages_the_front_door_is_the_api_documentation(
    make_surveys_app: Callable[..., Flask],
) -> None:
    app = make_surveys_app(SURVEYS_PAGES=False)

    response = app.test_client().get("/")

    assert response.status_code == 302 and response.headers["Location"].endswith("/docs")
    assert app.test_client().get("/surveys").status_code == 404


def test_times_are_shown_in_utc() -> None:
    paris = dt.timezone(dt.timedelta(hours=1))
    shown = format_datetime(dt.datetime(2099, 12, 31, 11, 11, tzinfo=paris))

    assert shown == "2099-12-31 10:11 UTC"
    assert format_datetime(None) == ""
