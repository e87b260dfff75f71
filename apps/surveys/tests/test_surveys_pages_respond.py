"""The respondents' pages (issue 8): a survey's public page at /s/<id>, its form sent
without JavaScript, and every reason it shows no form."""

from __future__ import annotations

import datetime as dt
import re
import urllib.parse
from collections.abc import Callable
from html.parser import HTMLParser
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.datastructures import MultiDict
from werkzeug.test import TestResponse

from flask_plugboard.db import session
from flask_plugboard.plugins.auth import User
from pages_support import assert_no_inline_code, csrf, logged_in, login, make_user
from plugboard_surveys import _service as service
from plugboard_surveys._models import Question, Submission, Survey
from plugboard_surveys._respond_form import read_answers

DAYS = ["Monday", "Tuesday", "Wednesday"]
#: A question of each kind, as the browser test has them.
QUESTIONS = [
    service.QuestionDraft("single_choice", "Which lunch?", True, ["Soup", "Salad", "Pasta"]),
    service.QuestionDraft(
        "multiple_choice", "Which days?", True, DAYS, {"min_choices": 1, "max_choices": 2}
    ),
    service.QuestionDraft("text", "Anything else?", False, None, {"max_length": 20}),
    service.QuestionDraft(
        "number", "Minutes?", True, None, {"min": 10, "max": 120, "integer": True}
    ),
    service.QuestionDraft("rating", "How was it?", True, None, {"min": 1, "max": 5}),
]
GOOD = {"single_choice": "Soup", "text": "More soup", "number": "45", "rating": "4"}


class Tags(HTMLParser):
    """Every start tag of a page, with its attributes."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.found: list[tuple[str, dict[str, str | None]]] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found.append((tag, dict(attrs)))

    def named(self, name: str) -> list[tuple[str, dict[str, str | None]]]:
        return [(tag, attrs) for tag, attrs in self.found if attrs.get("name") == name]

    def by_id(self, id_: str) -> dict[str, str | None]:
        (attrs,) = [attrs for _, attrs in self.found if attrs.get("id") == id_]
        return attrs


def make_survey(
    app: Flask,
    questions: list[service.QuestionDraft] = QUESTIONS,
    owner: str = "olga",
    **fields: Any,
) -> tuple[int, dict[str, str]]:
    """A survey of ``owner``'s (open unless ``fields`` say otherwise); its id and the form
    field of each kind's question."""
    owner_id = make_user(app, owner)
    with app.app_context():
        user = session().get(User, owner_id)
        assert user is not None
        survey = service.create_survey(
            user, name="Lunch", questions=questions, **{"is_active": True, **fields}
        )
        return survey.id, {q.kind: f"q{q.id}" for q in survey.questions}


def good_form(names: dict[str, str], **changes: Any) -> dict[str, Any]:
    form: dict[str, Any] = {names[kind]: value for kind, value in GOOD.items()}
    form[names["multiple_choice"]] = ["Monday", "Wednesday"]
    form.update({names[kind]: value for kind, value in changes.items()})
    return form


def send(client: FlaskClient, survey_id: int, form: dict[str, Any]) -> TestResponse:
    """Send the survey's form with the CSRF token of its page."""
    token = csrf(client, f"/s/{survey_id}")
    return client.post(f"/s/{survey_id}", data={**form, "csrf_token": token})


def stored(app: Flask, survey_id: int) -> list[dict[str, Any]]:
    """The survey's submissions: each one's answers by the question's kind."""
    with app.app_context():
        kinds = {q.id: q.kind for q in session().scalars(sa.select(Question))}
        query = sa.select(Submission).where(Submission.survey_id == survey_id)
        return [
            {kinds[a.question_id]: a.value for a in submission.answers}
            for submission in session().scalars(query)
        ]


def text(response: TestResponse) -> str:
    return response.get_data(as_text=True)


def test_each_kind_gets_its_control_with_the_rules_of_its_settings(client: FlaskClient) -> None:
    survey_id, names = make_survey(client.application)
    response = client.get(f"/s/{survey_id}")
    assert response.status_code == 200
    html = text(response)
    tags = Tags(html)
    assert "<h1>Lunch</h1>" in html
    assert [t for t, a in tags.found if t == "form" and a.get("method") == "post"] == ["form"]

    single = tags.named(names["single_choice"])
    assert [(a["type"], a["value"], "required" in a) for _, a in single] == [
        ("radio", "Soup", True),
        ("radio", "Salad", True),
        ("radio", "Pasta", True),
    ]
    boxes = tags.named(names["multiple_choice"])
    assert [(a["type"], a["value"]) for _, a in boxes] == [("checkbox", d) for d in DAYS]
    # A required box would mean "tick this one": the group's rule is on its fieldset.
    assert not any("required" in a for _, a in boxes)
    (group,) = [a for t, a in tags.found if a.get("data-rs-question") == names["multiple_choice"]]
    assert (group["data-rs-min"], group["data-rs-max"], group["data-rs-required"]) == (
        "1",
        "2",
        "true",
    )
    assert "Choose 1 to 2 options." in html

    ((tag, remarks),) = tags.named(names["text"])
    assert tag == "textarea"
    assert remarks["maxlength"] == "20" and "required" not in remarks

    ((tag, minutes),) = tags.named(names["number"])
    assert (tag, minutes["type"], minutes["min"], minutes["max"], minutes["step"]) == (
        "input",
        "number",
        "10",
        "120",
        "1",
    )
    assert "required" in minutes
    assert minutes["aria-describedby"] == f"{names['number']}-hint"
    assert "A whole number from 10 to 120." in html

    scale = tags.named(names["rating"])
    assert [(a["type"], a["value"]) for _, a in scale] == [("radio", str(n)) for n in range(1, 6)]
    assert "1 is the lowest, 5 the highest." in html
    # Each question labelled, required ones said so, the button named as people see it.
    for question in QUESTIONS:
        assert question.content in html
    assert html.count("(required)") == 4
    assert ">Send answers</button>" in html


def test_a_number_question_without_whole_numbers_takes_any_step(client: FlaskClient) -> None:
    drafts = [service.QuestionDraft("number", "Weight?", False, None, {"min": 0.5})]
    survey_id, names = make_survey(client.application, drafts)
    ((_, weight),) = Tags(text(client.get(f"/s/{survey_id}"))).named(names["number"])
    assert (weight["step"], weight["min"], weight.get("max")) == ("any", "0.5", None)
    assert "required" not in weight


def test_good_answers_are_stored_typed_and_thanked(client: FlaskClient) -> None:
    app = client.application
    survey_id, names = make_survey(app)
    response = send(client, survey_id, good_form(names))
    assert response.status_code == 303
    assert response.headers["Location"] == f"/s/{survey_id}/thanks"
    assert stored(app, survey_id) == [
        {
            "single_choice": "Soup",
            "multiple_choice": ["Monday", "Wednesday"],
            "text": "More soup",
            "number": 45,
            "rating": 4,
        }
    ]
    (answers,) = stored(app, survey_id)
    assert type(answers["number"]) is int and type(answers["rating"]) is int
    thanks = client.get(response.headers["Location"])
    assert thanks.status_code == 200
    assert "<h1>Thank you</h1>" in text(thanks)
    assert "Your answers were sent." in text(thanks)


def test_optional_questions_may_be_left_blank(client: FlaskClient) -> None:
    app = client.application
    survey_id, names = make_survey(app)
    response = send(client, survey_id, good_form(names, text=""))
    assert response.status_code == 303
    (answers,) = stored(app, survey_id)
    assert "text" not in answers


def test_a_logged_in_respondent_is_recorded(app: Flask) -> None:
    survey_id, names = make_survey(app)
    client = logged_in(app, "rita")
    assert send(client, survey_id, good_form(names)).status_code == 303
    with app.app_context():
        (user_id,) = session().scalars(sa.select(Submission.user_id)).all()
        assert user_id is not None


BAD = [
    # kind, what is sent, the message beside it
    ("single_choice", "Pizza", "Choose one of 'Soup', 'Salad', 'Pasta'"),
    ("single_choice", "", "An answer is required"),
    ("multiple_choice", DAYS, "Choose 1 to 2 options"),
    ("multiple_choice", [], "An answer is required"),
    ("text", "x" * 21, "At most 20 characters"),
    ("number", "abc", "Enter a number"),
    ("number", "1_000", "Enter a number"),
    ("number", "150", "The answer must be at most 120"),
    ("number", "45.5", "The answer must be a whole number"),
    ("number", "", "An answer is required"),
    ("rating", "9", "The answer must be at most 5"),
    ("rating", "four", "Choose a rating"),
]


@pytest.mark.parametrize(("kind", "value", "message"), BAD)
def test_a_bad_answer_comes_back_beside_its_question_with_what_was_typed(
    client: FlaskClient, kind: str, value: Any, message: str
) -> None:
    app = client.application
    survey_id, names = make_survey(app)
    form = good_form(names, **{kind: value})
    form[names["text"]] = form[names["text"]] if kind == "text" else "Keep this\r\nplease"
    response = send(client, survey_id, form)
    assert response.status_code == 400
    assert stored(app, survey_id) == []
    html = text(response)
    tags = Tags(html)
    name = names[kind]
    # The message beside the question, tied to it, and in the summary linking to it.
    assert f'<p class="sv-error" id="{name}-error">{message}</p>'.replace("'", "&#39;") in html
    assert 'role="alert"' in html and f'href="#{name}"' in html
    first = tags.by_id(name)
    assert first.get("aria-invalid") == "true"
    assert "autofocus" in first
    described = tags.by_id(name) if kind in ("text", "number") else _block(tags, name)
    assert f"{name}-error" in str(described.get("aria-describedby"))
    # What was typed is kept: the other questions' answers, and this one's.
    checked = [a["value"] for _, a in tags.named(names["multiple_choice"]) if "checked" in a]
    assert checked == (value if kind == "multiple_choice" else ["Monday", "Wednesday"])
    if kind != "single_choice":
        assert [a["value"] for _, a in tags.named(names["single_choice"]) if "checked" in a] == [
            "Soup"
        ]
    if kind != "rating":
        assert [a["value"] for _, a in tags.named(names["rating"]) if "checked" in a] == ["4"]
    if kind == "text":
        assert f">{'x' * 21}</textarea>" in html
    else:
        assert ">Keep this\nplease</textarea>" in html
    if kind == "number":
        assert tags.by_id(name).get("value") == (value or None)
    else:
        assert tags.by_id(names["number"]).get("value") == "45"


def _block(tags: Tags, name: str) -> dict[str, str | None]:
    (attrs,) = [a for _, a in tags.found if a.get("data-rs-question") == name]
    return attrs


def test_all_bad_answers_are_listed_at_once(client: FlaskClient) -> None:
    app = client.application
    survey_id, names = make_survey(app)
    form = good_form(names, number="abc", single_choice="", multiple_choice=DAYS)
    html = text(send(client, survey_id, form))
    assert "There are 3 problems" in html
    # In the questions' order, each with its question.
    summary = html[html.index('id="error-summary"') : html.index("<form")]
    assert summary.index("Which lunch?") < summary.index("Which days?") < summary.index("Minutes?")
    assert "Minutes? Enter a number" in summary
    assert stored(app, survey_id) == []


def test_blank_spaces_are_no_answer_and_nul_characters_are_refused(client: FlaskClient) -> None:
    app = client.application
    drafts = [service.QuestionDraft("text", "Why?", True)]
    survey_id, names = make_survey(app, drafts)
    response = send(client, survey_id, {names["text"]: "   "})
    assert response.status_code == 400
    assert "An answer is required" in text(response)
    response = send(client, survey_id, {names["text"]: "a\x00b"})
    assert response.status_code == 400
    assert "The answer may not contain NUL characters" in text(response)
    assert stored(app, survey_id) == []


def test_answers_without_the_csrf_token_are_refused(client: FlaskClient) -> None:
    app = client.application
    survey_id, names = make_survey(app)
    client.get(f"/s/{survey_id}")  # the session has a token, the form does not send it
    response = client.post(f"/s/{survey_id}", data=good_form(names))
    assert response.status_code == 400
    assert "Form expired" in text(response)
    response = client.post(f"/s/{survey_id}", data={**good_form(names), "csrf_token": "forged"})
    assert response.status_code == 400
    assert "Form expired" in text(response)
    assert stored(app, survey_id) == []


def test_a_closed_survey_says_so_without_its_name_to_strangers_and_to_its_owner_with_it(
    app: Flask,
) -> None:
    survey_id, names = make_survey(app, is_active=False)
    anonymous = app.test_client()
    response = anonymous.get(f"/s/{survey_id}")
    assert response.status_code == 200
    html = text(response)
    assert "<h1>This survey is closed</h1>" in html and "<form" not in html
    with app.app_context():
        assert session().get(Survey, survey_id).name not in html
    token = csrf(anonymous, "/auth/login")
    response = anonymous.post(f"/s/{survey_id}", data={"csrf_token": token})
    assert response.status_code == 409 and "This survey is closed" in text(response)
    owner = app.test_client()
    login(owner, "olga")
    response = owner.get(f"/s/{survey_id}")
    assert response.status_code == 200
    html = text(response)
    assert "<h1>This survey is closed</h1>" in html
    assert 'method="post"' not in html
    assert f'href="/surveys/{survey_id}"' in html  # its owner may open it again
    # Answers sent to it anyway (a page opened before it was closed): 409, not stored.
    token = csrf(owner, "/surveys/new")
    response = owner.post(f"/s/{survey_id}", data={**good_form(names), "csrf_token": token})
    assert response.status_code == 409
    assert "This survey is closed" in text(response)
    assert stored(app, survey_id) == []


def test_a_survey_past_its_due_date_is_closed(client: FlaskClient) -> None:
    app = client.application
    past = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)
    survey_id, names = make_survey(app, due_at=past)
    response = client.get(f"/s/{survey_id}")
    assert response.status_code == 200
    html = text(response)
    assert "<h1>This survey is closed</h1>" in html
    assert "it was open until" in html and 'method="post"' not in html
    token = csrf(client, "/auth/login")
    response = client.post(f"/s/{survey_id}", data={**good_form(names), "csrf_token": token})
    assert response.status_code == 409
    assert "This survey is closed" in text(response)
    assert stored(app, survey_id) == []


def test_a_survey_open_until_later_says_until_when(client: FlaskClient) -> None:
    later = dt.datetime(2099, 12, 31, 10, 11, tzinfo=dt.UTC)
    survey_id, _ = make_survey(client.application, due_at=later)
    html = text(client.get(f"/s/{survey_id}"))
    assert "Open until 2099-12-31 10:11 UTC." in html and 'method="post"' in html


@pytest.mark.parametrize("path", ["/s/999", "/s/999/thanks", f"/s/{2**63}", f"/s/{2**31}"])
def test_an_unknown_survey_is_the_404_page(client: FlaskClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 404
    assert "No such survey" in text(response)
    assert response.headers["Content-Security-Policy"]


def test_a_survey_without_questions_has_no_form(client: FlaskClient) -> None:
    app = client.application
    survey_id, _ = make_survey(app, [])
    response = client.get(f"/s/{survey_id}")
    assert response.status_code == 200
    assert "This survey has no questions yet." in text(response)
    assert "<form" not in text(response)
    token = csrf(client, "/auth/login")
    response = client.post(f"/s/{survey_id}", data={"csrf_token": token})
    assert response.status_code == 409
    assert stored(app, survey_id) == []


def test_one_answer_per_respondent_asks_visitors_to_log_in(app: Flask) -> None:
    survey_id, names = make_survey(app, one_per_respondent=True)
    anonymous = app.test_client()
    response = anonymous.get(f"/s/{survey_id}")
    assert response.status_code == 200
    html = text(response)
    assert "log in to answer it" in html and 'method="post"' not in html
    login_link = f'href="/auth/login?next=/s/{survey_id}"'
    assert login_link.replace("/s/", "%2Fs%2F") in html or login_link in html
    # A form sent anyway (say the page was opened before the rule changed): refused.
    token = csrf(anonymous, "/auth/login")
    response = anonymous.post(f"/s/{survey_id}", data={**good_form(names), "csrf_token": token})
    assert response.status_code == 403
    assert "log in to answer it" in text(response)
    assert stored(app, survey_id) == []


def _link(html: str, label: str) -> str:
    """The href of the link (or button) labelled ``label``, unescaped."""
    match = re.search(r'<a [^>]*href="([^"]+)"[^>]*>' + re.escape(label) + "</a>", html)
    assert match, f"no link {label!r}"
    return match.group(1).replace("&amp;", "&")


def test_a_new_respondent_registers_and_comes_back_to_the_survey(app: Flask) -> None:
    survey_id, names = make_survey(app, one_per_respondent=True)
    visitor = app.test_client()
    here = f"/s/{survey_id}"

    from_survey = _link(text(visitor.get(here)), "Create an account")
    login_page = text(visitor.get(_link(text(visitor.get(here)), "Log in to answer")))
    from_login = _link(login_page, "Create an account")
    for link in (from_survey, from_login):
        assert urllib.parse.urlsplit(link).path == "/auth/register"
        assert urllib.parse.parse_qs(urllib.parse.urlsplit(link).query)["next"] == [here]

    form = text(visitor.get(from_survey))
    token = re.search(r'name="csrf_token" value="([^"]+)"', form)
    assert token and f'name="next" value="{here}"' in form
    registered = visitor.post(
        from_survey,
        data={
            "username": "nina",
            "email": "nina@example.org",
            "password": "a quiet tram to Lisbon",
            "confirm": "a quiet tram to Lisbon",
            "next": here,
            "csrf_token": token.group(1),
        },
    )

    assert registered.status_code == 303 and registered.headers["Location"] == here
    assert send(visitor, survey_id, good_form(names)).status_code == 303


def test_one_answer_per_respondent_takes_one_from_each_user(app: Flask) -> None:
    survey_id, names = make_survey(app, one_per_respondent=True)
    rita = logged_in(app, "rita")
    token = csrf(rita, f"/s/{survey_id}")
    first = rita.post(f"/s/{survey_id}", data={**good_form(names), "csrf_token": token})
    assert first.status_code == 303
    # Her next visit says so instead of the form, and a second sending is refused.
    again = rita.get(f"/s/{survey_id}")
    assert again.status_code == 200
    assert "You have answered this survey already." in text(again)
    assert 'method="post"' not in text(again)
    second = rita.post(f"/s/{survey_id}", data={**good_form(names), "csrf_token": token})
    assert second.status_code == 409
    assert "You have answered this survey already." in text(second)
    assert len(stored(app, survey_id)) == 1
    # Someone else still may.
    assert send(logged_in(app, "sam"), survey_id, good_form(names)).status_code == 303
    assert len(stored(app, survey_id)) == 2


def _pages(app: Flask) -> list[TestResponse]:
    """One of each page of the respondents: form, errors, thanks, closed, 404, log in."""
    survey_id, names = make_survey(app)
    closed_id, _ = make_survey(app, owner="carl", due_at=dt.datetime(2000, 1, 1, tzinfo=dt.UTC))
    once_id, _ = make_survey(app, owner="otto", one_per_respondent=True)
    empty_id, _ = make_survey(app, [], owner="emma")
    client = app.test_client()
    return [
        client.get(f"/s/{survey_id}"),
        send(client, survey_id, good_form(names, number="abc")),
        client.get(f"/s/{survey_id}/thanks"),
        client.get(f"/s/{closed_id}"),
        client.get("/s/12345"),
        client.get(f"/s/{once_id}"),
        client.get(f"/s/{empty_id}"),
    ]


def test_every_page_has_the_security_headers_and_no_inline_code(app: Flask) -> None:
    pages = _pages(app)
    assert [p.status_code for p in pages] == [200, 400, 200, 200, 404, 200, 200]
    for page in pages:
        headers = page.headers
        assert "script-src 'self'" in headers["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["X-Frame-Options"] == "DENY"
        assert headers["Cache-Control"] == "no-store"
        assert headers["Referrer-Policy"] == "same-origin"
        assert page.mimetype == "text/html"
        html = text(page)
        assert_no_inline_code(html)
        if page.status_code != 404:  # the service's error page is the lead's, plain
            assert "/_static/surveys/respond.css?v=" in html


def test_the_script_is_linked_where_there_is_a_form(client: FlaskClient) -> None:
    survey_id, _ = make_survey(client.application)
    html = text(client.get(f"/s/{survey_id}"))
    assert "/_static/surveys/respond.js?v=" in html and "defer></script>" in html
    script = client.get("/_static/surveys/respond.js")
    assert script.status_code == 200 and b"setCustomValidity" in script.data
    script.close()


def test_the_submission_limit_counts_answers_sent_not_pages_read(
    make_surveys_app: Callable[..., Flask],
) -> None:
    app = make_surveys_app(SURVEYS_SUBMIT_LIMIT="2/minute")
    survey_id, names = make_survey(app)
    client = app.test_client()
    for _ in range(4):  # reading the page costs nothing
        assert client.get(f"/s/{survey_id}").status_code == 200
    token = csrf(client, f"/s/{survey_id}")
    form = {**good_form(names), "csrf_token": token}
    assert client.post(f"/s/{survey_id}", data=form).status_code == 303
    # The API's submissions draw on the same budget.
    question_ids = {kind: int(name[1:]) for kind, name in names.items()}
    api = client.post(
        f"/api/v1/surveys/{survey_id}/submissions",
        json={
            "answers": [
                {"question_id": question_ids["single_choice"], "value": "Soup"},
                {"question_id": question_ids["multiple_choice"], "value": ["Monday"]},
                {"question_id": question_ids["number"], "value": 30},
                {"question_id": question_ids["rating"], "value": 2},
            ]
        },
        headers={"X-CSRF-Token": token},
    )
    assert api.status_code == 201, api.get_json()
    refused = client.post(f"/s/{survey_id}", data=form)
    assert refused.status_code == 429
    assert refused.mimetype == "text/html"
    html = text(refused)
    assert "Too many answers at once" in html and "go back and send your answers again" in html
    assert int(refused.headers["Retry-After"]) > 0
    assert refused.headers["Content-Security-Policy"]
    assert_no_inline_code(html)
    assert len(stored(app, survey_id)) == 2
    assert client.get(f"/s/{survey_id}").status_code == 200  # still readable


def test_the_api_keeps_its_json_refusal(make_surveys_app: Callable[..., Flask]) -> None:
    app = make_surveys_app(SURVEYS_SUBMIT_LIMIT="1/minute")
    survey_id, _ = make_survey(app)
    client = app.test_client()
    url = f"/api/v1/surveys/{survey_id}/submissions"
    assert client.post(url, json={"answers": []}).status_code != 429
    refused = client.post(url, json={"answers": []})
    assert refused.status_code == 429
    assert refused.mimetype == "application/json"
    assert refused.get_json()["error"] == "rate limit exceeded"
    assert int(refused.headers["Retry-After"]) > 0


# -- reading the form, without an app ------------------------------------------------------


def _question(kind: str, **settings: Any) -> Question:
    return Question(id=7, kind=kind, content="?", required=False, options=None, settings=settings)


@pytest.mark.parametrize(
    ("sent", "answer"),
    [("45", 45), (" 45 ", 45), ("-3", -3), ("4.5", 4.5), ("1e3", 1000.0), (".5", 0.5), ("", None)],
)
def test_a_number_is_read_as_the_number_typed(sent: str, answer: Any) -> None:
    reading = read_answers([_question("number")], MultiDict({"q7": sent}))
    assert reading.errors == {}
    assert reading.answers == {7: answer}
    assert type(reading.answers[7]) is type(answer)
    assert reading.typed == {"q7": sent}


@pytest.mark.parametrize("sent", ["abc", "1_000", "nan", "inf", "٤٥", "4,5", "1" * 101, "0x10"])
def test_what_is_no_number_is_an_error_of_its_question(sent: str) -> None:
    reading = read_answers([_question("number")], MultiDict({"q7": sent}))
    assert reading.errors == {"q7": "enter a number"}
    assert 7 not in reading.answers
    assert reading.typed == {"q7": sent}


def test_text_keeps_its_line_breaks_as_one_character() -> None:
    reading = read_answers([_question("text")], MultiDict({"q7": "a\r\nb\rc"}))
    assert reading.answers == {7: "a\nb\nc"}


def test_fields_of_no_question_are_ignored() -> None:
    form = MultiDict([("q7", "Mon"), ("q7", "Tue"), ("q8", "x"), ("csrf_token", "t")])
    reading = read_answers([_question("multiple_choice")], form)
    assert reading.answers == {7: ["Mon", "Tue"]}
    assert reading.typed == {"q7": ["Mon", "Tue"]}
