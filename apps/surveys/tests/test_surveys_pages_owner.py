"""The owners' pages: the dashboard, creating and managing a survey and its questions,
deleting it, its results. Through the test client, logged in with auth's login form, on
SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import html
import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from flask_plugboard.db import session
from flask_plugboard.plugins.auth import User
from pages_support import assert_no_inline_code, csrf, logged_in, login, make_user
from plugboard_surveys import _service as service
from plugboard_surveys._models import Survey

PAGE = {"Accept": "text/html"}


# -- helpers --------------------------------------------------------------------------------


def make_survey(app: Flask, username: str, **fields: Any) -> int:
    """A survey of ``username`` (made through the service); its id."""
    with app.app_context():
        owner = session().query(User).filter_by(username=username).one()
        return service.create_survey(owner, **{"name": "Team lunch", **fields}).id


def snapshot(app: Flask, survey_id: int) -> dict[str, Any] | None:
    """What is stored of a survey, None when it is gone."""
    with app.app_context():
        survey = session().get(Survey, survey_id)
        if survey is None:
            return None
        return {
            "name": survey.name,
            "description": survey.description,
            "due_at": survey.due_at,
            "is_active": survey.is_active,
            "one_per_respondent": survey.one_per_respondent,
            "questions": [
                {
                    "id": q.id,
                    "kind": q.kind,
                    "content": q.content,
                    "required": q.required,
                    "options": q.options,
                    "settings": q.settings,
                }
                for q in survey.questions
            ],
        }


def questions(app: Flask, survey_id: int) -> list[dict[str, Any]]:
    found = snapshot(app, survey_id)
    assert found is not None
    result: list[dict[str, Any]] = found["questions"]
    return result


def submit(app: Flask, survey_id: int, answers: dict[str, Any]) -> None:
    """One submission, its answers keyed by question text (through the service)."""
    with app.app_context():
        survey = session().get(Survey, survey_id)
        assert survey is not None
        by_text = {q.content: q.id for q in survey.questions}
        service.submit(survey, {by_text[text]: value for text, value in answers.items()})


def post(client: FlaskClient, path: str, **data: str) -> TestResponse:
    """A form posted with this client's CSRF token."""
    token = csrf(client, "/surveys/new")
    return client.post(path, data={"csrf_token": token, **data}, headers=PAGE)


def text(response: TestResponse) -> str:
    return response.get_data(as_text=True)


def follow(client: FlaskClient, response: TestResponse) -> str:
    """The page a 303 leads to (its flash message with it)."""
    assert response.status_code == 303, text(response)
    return text(client.get(response.headers["Location"], headers=PAGE))


def errors_on(page: str) -> dict[str, str]:
    """The messages beside the fields: field name -> message."""
    found = re.findall(r'<p class="sv-error" id="([\w-]+)-error">([^<]*)</p>', page)
    return {name: html.unescape(message) for name, message in found}


def section(page: str, heading: str) -> str:
    """The results page's section whose h2 is ``heading``."""
    for part in re.findall(r"<section.*?</section>", page, re.S):
        if re.search(rf"<h2[^>]*>{re.escape(html.escape(heading))}</h2>", part):
            return str(part)
    raise AssertionError(f"no section {heading!r}")


def table(part: str) -> list[tuple[str, int, str]]:
    """The rows of a results table: (label, count, percent)."""
    rows = re.findall(
        r'<th scope="row">([^<]*)</th>\s*<td class="[^"]*sv-count[^"]*">(\d+)</td>\s*'
        r"<td[^>]*>([^<]*)</td>",
        part,
    )
    return [(html.unescape(label), int(count), percent) for label, count, percent in rows]


def logged_in_as(app: Flask, username: str) -> FlaskClient:
    """A new client, logged in as the existing user ``username``."""
    client = app.test_client()
    login(client, username)
    return client


@pytest.fixture
def alice(app: Flask) -> FlaskClient:
    return logged_in(app, "alice")


# -- logging in -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/surveys",
        "/surveys/new",
        "/surveys/1",
        "/surveys/1/edit",
        "/surveys/1/delete",
        "/surveys/1/results",
        "/surveys/1/questions/new",
        "/surveys/1/questions/1/edit",
    ],
)
def test_pages_send_visitors_to_log_in_and_back(client: FlaskClient, path: str) -> None:
    response = client.get(path, headers=PAGE)
    assert response.status_code == 302
    assert response.headers["Location"] == f"/auth/login?next={path}"


def test_a_visitor_posting_a_form_is_sent_to_log_in_and_nothing_changes(
    app: Flask, client: FlaskClient
) -> None:
    make_user(app, "alice")
    survey_id = make_survey(app, "alice")
    response = client.post(f"/surveys/{survey_id}/open", data={"open": "1"}, headers=PAGE)
    assert response.status_code == 302
    assert "/auth/login" in response.headers["Location"]
    assert snapshot(app, survey_id)["is_active"] is False  # type: ignore[index]


def test_after_logging_in_the_visitor_lands_on_the_page_asked_for(
    app: Flask, client: FlaskClient
) -> None:
    make_user(app, "alice")
    token = csrf(client, "/auth/login?next=/surveys/new")
    response = client.post(
        "/auth/login?next=/surveys/new",
        data={"username": "alice", "password": "a quiet tram to Lisbon", "csrf_token": token},
    )
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/surveys/new")


# -- dashboard --------------------------------------------------------------------------------


def test_the_dashboard_lists_only_the_users_surveys_with_their_counts(
    app: Flask, alice: FlaskClient
) -> None:
    make_user(app, "bob")
    lunch = make_survey(app, "alice", name="Team lunch", is_active=True)
    make_survey(app, "alice", name="Offsite dates")
    make_survey(app, "bob", name="Bob's secret survey", is_active=True)
    with app.app_context():
        survey = session().get(Survey, lunch)
        assert survey is not None
        service.add_question(survey, service.QuestionDraft("text", "Why?"))
    for _ in range(3):
        submit(app, lunch, {"Why?": "because"})
    page = text(alice.get("/surveys", headers=PAGE))
    assert "<h1>My surveys</h1>" in page
    assert "Bob&#39;s secret survey" not in page
    rows = re.findall(r"<tr>.*?</tr>", page, re.S)[1:]
    assert len(rows) == 2
    newest, oldest = rows
    assert "Offsite dates" in newest and "Closed" in newest
    assert re.search(r'sv-count">0<', newest)
    assert "Team lunch" in oldest and "Open" in oldest
    assert re.search(r'sv-count">3<', oldest)
    assert f'href="/surveys/{lunch}"' in oldest
    assert f'href="/surveys/{lunch}/results">Results</a>' in oldest
    assert 'href="/surveys/new"' in page


def test_a_new_user_is_told_how_to_start(alice: FlaskClient) -> None:
    page = text(alice.get("/surveys", headers=PAGE))
    assert "You have no survey yet" in page


def test_a_garbage_page_number_shows_the_first_page(app: Flask, alice: FlaskClient) -> None:
    make_survey(app, "alice", name="Only one")
    for garbage in ("0", "-1", "abc", "99999999999999999999", "7", "%C2%B2", "%C2%B9%C2%B2"):
        response = alice.get(f"/surveys?page={garbage}", headers=PAGE)
        assert response.status_code == 200
        assert "Only one" in text(response), garbage


# -- creating ---------------------------------------------------------------------------------


def test_the_new_survey_form_has_its_fields(alice: FlaskClient) -> None:
    page = text(alice.get("/surveys/new", headers=PAGE))
    assert "<h1>New survey</h1>" in page
    for label, name in (("Name", "name"), ("Description", "description"), ("Due date", "due_at")):
        assert f'<label class="sv-label" for="{name}">{label}</label>' in page
    assert re.search(r'<input class="sv-input" type="datetime-local"\s+id="due_at"', page)
    assert "in UTC" in page
    assert "One answer per respondent (respondents must log in)" in page
    assert ">Create survey</button>" in page


def test_a_survey_is_created_closed_and_its_page_says_so(app: Flask, alice: FlaskClient) -> None:
    response = post(
        alice,
        "/surveys/new",
        name="  Team lunch  ",
        description="Where shall we eat?",
        due_at="2099-12-31T10:11",
        one_per_respondent="1",
    )
    assert response.status_code == 303
    survey_id = int(response.headers["Location"].rsplit("/", 1)[1])
    stored = snapshot(app, survey_id)
    assert stored is not None
    assert stored["name"] == "Team lunch"
    assert stored["description"] == "Where shall we eat?"
    assert stored["due_at"] == dt.datetime(2099, 12, 31, 10, 11, tzinfo=dt.UTC)
    assert stored["is_active"] is False
    assert stored["one_per_respondent"] is True
    page = follow(alice, response)
    assert "Survey “Team lunch” created" in page
    assert "<h1>Team lunch</h1>" in page
    assert "Closed: respondents cannot answer yet." in page
    assert ">Open for answers</button>" in page
    assert "2099-12-31 10:11 UTC" in page


def test_a_survey_without_a_due_date_has_none(app: Flask, alice: FlaskClient) -> None:
    response = post(alice, "/surveys/new", name="Lunch", due_at="")
    stored = snapshot(app, int(response.headers["Location"].rsplit("/", 1)[1]))
    assert stored is not None and stored["due_at"] is None and not stored["one_per_respondent"]


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"name": ""}, "name", "May not be blank."),
        ({"name": "   "}, "name", "May not be blank."),
        ({"name": "x" * 201}, "name", "At most 200 characters."),
        ({"name": "Lunch", "description": "d" * 10_001}, "description", "At most 10000"),
        ({"name": "Lunch", "due_at": "next friday"}, "due_at", "Enter a date and time"),
        ({"name": "Lunch", "due_at": "2099-02-30T10:00"}, "due_at", "is not a date"),
        ({"name": "Lunch\x00"}, "name", "NUL"),
    ],
)
def test_a_bad_survey_comes_back_with_the_error_beside_its_field(
    app: Flask, alice: FlaskClient, fields: dict[str, str], field: str, message: str
) -> None:
    response = post(alice, "/surveys/new", **{"description": "kept text", **fields})
    assert response.status_code == 400
    page = text(response)
    assert message in errors_on(page)[field]
    assert 'role="alert"' in page
    assert f'id="{field}" name="{field}"' in page
    assert re.search(rf'id="{field}" name="{field}"[^>]*aria-invalid="true"', page)
    if field != "description":
        assert "kept text</textarea>" in page
    assert "You have no survey yet" in text(alice.get("/surveys", headers=PAGE))


def test_every_bad_field_is_shown_at_once(alice: FlaskClient) -> None:
    response = post(alice, "/surveys/new", name="", due_at="soon", one_per_respondent="1")
    assert response.status_code == 400
    page = text(response)
    assert set(errors_on(page)) == {"name", "due_at"}
    assert "There are 2 problems" in page
    assert 'value="soon"' in page
    assert re.search(r'name="one_per_respondent" value="1" checked', page)


# -- managing ---------------------------------------------------------------------------------


def test_the_manage_page_has_the_link_the_actions_and_the_add_form(
    app: Flask, alice: FlaskClient
) -> None:
    survey_id = make_survey(
        app,
        "alice",
        questions=[
            service.QuestionDraft("text", "First?"),
            service.QuestionDraft("rating", "Second?", required=True),
        ],
    )
    page = text(alice.get(f"/surveys/{survey_id}", headers=PAGE))
    assert '<label class="sv-label" for="public-link">Public link</label>' in page
    link = rf'id="public-link"[^>]*readonly[^>]*value="http://localhost/s/{survey_id}"'
    assert re.search(link, page)
    assert ">Copy link</button>" in page
    for link in ("Edit details", "Results", "Delete survey"):
        assert f">{link}</a>" in page
    assert page.index("First?") < page.index("Second?")
    for label in ("Move up: First?", "Move down: First?", "Move up: Second?", "Move down: Second?"):
        assert f'aria-label="{label}"' in page
    # The first cannot move up, the last cannot move down.
    assert re.search(r'aria-label="Move up: First\?" disabled', page)
    assert re.search(r'aria-label="Move down: Second\?" disabled', page)
    assert not re.search(r'aria-label="Move down: First\?" disabled', page)
    assert page.count(">Edit</a>") == 2 and page.count(">Remove</button>") == 2
    assert '<h2 id="add-title">Add a question</h2>' in page
    for option in ("Single choice", "Multiple choice", "Text", "Number", "Rating"):
        assert f">{option}</option>" in page
    for label in (
        "Question",
        "Kind",
        "Options",
        "Fewest choices",
        "Most choices",
        "Longest answer (characters)",
        "Smallest",
        "Largest",
        "Scale from",
        "Scale to",
    ):
        assert f'">{label}</label>' in page
    assert "<span>Required</span>" in page and "<span>Whole numbers only</span>" in page
    assert re.search(r'name="required" value="1" checked', page)
    assert re.search(r'id="rating_min" name="rating_min"[^>]*value="1"', page)
    assert re.search(r'id="rating_max" name="rating_max"[^>]*value="5"', page)
    assert ">Add question</button>" in page
    assert "owner.js" in page


@pytest.mark.parametrize(
    ("fields", "kind", "options", "settings"),
    [
        (
            {"kind": "single_choice", "options": "Pizza\r\n  Sushi \r\n\r\nTacos\r\n"},
            "single_choice",
            ["Pizza", "Sushi", "Tacos"],
            {},
        ),
        (
            {
                "kind": "multiple_choice",
                "options": "Mon\nTue\nWed",
                "min_choices": "1",
                "max_choices": "2",
                "max_length": "99",  # another kind's setting: ignored
            },
            "multiple_choice",
            ["Mon", "Tue", "Wed"],
            {"min_choices": 1, "max_choices": 2},
        ),
        (
            {"kind": "text", "max_length": "300", "options": "ignored"},
            "text",
            None,
            {"max_length": 300},
        ),
        ({"kind": "text"}, "text", None, {"max_length": 2000}),
        (
            {"kind": "number", "number_min": "0", "number_max": "2.5"},
            "number",
            None,
            {"integer": False, "min": 0, "max": 2.5},
        ),
        (
            {"kind": "number", "number_min": "1", "integer": "1"},
            "number",
            None,
            {"integer": True, "min": 1},
        ),
        (
            {"kind": "rating", "rating_min": "0", "rating_max": "10"},
            "rating",
            None,
            {"min": 0, "max": 10},
        ),
        (
            {"kind": "rating", "rating_min": "", "rating_max": ""},
            "rating",
            None,
            {"min": 1, "max": 5},
        ),
    ],
)
def test_a_question_of_each_kind_is_added(
    app: Flask,
    alice: FlaskClient,
    fields: dict[str, str],
    kind: str,
    options: list[str] | None,
    settings: dict[str, Any],
) -> None:
    survey_id = make_survey(app, "alice")
    response = post(
        alice, f"/surveys/{survey_id}/questions/new", content="What do you think?", **fields
    )
    assert response.status_code == 303
    (question,) = questions(app, survey_id)
    assert question["kind"] == kind
    assert question["content"] == "What do you think?"
    assert question["required"] is False  # the box was not ticked
    assert question["options"] == options
    assert question["settings"] == settings
    assert response.headers["Location"].endswith(f"/surveys/{survey_id}#question-{question['id']}")
    page = follow(alice, response)
    assert "Question “What do you think?” added." in page
    assert f'id="question-{question["id"]}"' in page


def test_a_required_question_is_added_required(app: Flask, alice: FlaskClient) -> None:
    survey_id = make_survey(app, "alice")
    post(alice, f"/surveys/{survey_id}/questions/new", content="Why?", kind="text", required="1")
    assert questions(app, survey_id)[0]["required"] is True


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"content": "", "kind": "text"}, "content", "May not be blank."),
        ({"kind": "essay"}, "kind", "Choose a kind"),
        ({"kind": "single_choice", "options": ""}, "options", "needs its options"),
        ({"kind": "single_choice", "options": "\n \n"}, "options", "needs its options"),
        ({"kind": "single_choice", "options": "Red\nBlue\nRed"}, "options", "Option 3: the option"),
        ({"kind": "single_choice", "options": "a\n" + "b" * 201}, "options", "Option 2:"),
        (
            {"kind": "multiple_choice", "options": "a\nb", "max_choices": "3"},
            "max_choices",
            "Most choices",
        ),
        (
            {"kind": "multiple_choice", "options": "a\nb", "min_choices": "1.5"},
            "min_choices",
            "whole number",
        ),
        (
            {"kind": "multiple_choice", "options": "a\nb", "min_choices": "two"},
            "min_choices",
            "whole number",
        ),
        ({"kind": "single_choice", "options": "a\nb\x00"}, "options", "NUL characters"),
        ({"kind": "text", "max_length": "0"}, "max_length", "Longest answer (characters) is 1 to"),
        ({"kind": "text", "max_length": "lots"}, "max_length", "whole number"),
        (
            {"kind": "number", "number_min": "5", "number_max": "1"},
            "number_min",
            "Smallest is above Largest",
        ),
        ({"kind": "number", "number_min": "abc"}, "number_min", "Enter a number"),
        ({"kind": "number", "number_max": "nan"}, "number_max", "Enter a number"),
        ({"kind": "number", "number_max": "1e999"}, "number_max", "Enter a number"),
        ({"kind": "number", "number_min": "0.5", "integer": "1"}, "number_min", "whole number"),
        ({"kind": "rating", "rating_min": "1", "rating_max": "50"}, "rating_max", "2 to 11 steps"),
        ({"kind": "rating", "rating_min": "5", "rating_max": "1"}, "rating_max", "not 5 to 1"),
    ],
)
def test_a_bad_question_comes_back_with_the_error_beside_its_field(
    app: Flask, alice: FlaskClient, fields: dict[str, str], field: str, message: str
) -> None:
    survey_id = make_survey(app, "alice")
    form = {"content": "Kept question", **fields}
    response = post(alice, f"/surveys/{survey_id}/questions/new", **form)
    assert response.status_code == 400
    page = text(response)
    assert message in errors_on(page)[field], errors_on(page)
    assert re.search(rf'id="{field}" name="{field}"[^>]*aria-invalid="true"', page)
    assert 'role="alert"' in page
    if fields.get("content") != "":
        assert "Kept question</textarea>" in page
    assert questions(app, survey_id) == []


def test_a_bad_question_shows_the_service_errors_with_the_pages_own(
    app: Flask, alice: FlaskClient
) -> None:
    survey_id = make_survey(app, "alice")
    response = post(
        alice, f"/surveys/{survey_id}/questions/new", content="", kind="number", number_min="x"
    )
    assert response.status_code == 400
    assert set(errors_on(text(response))) == {"content", "number_min"}
    assert questions(app, survey_id) == []


def test_the_add_question_page_works_alone(app: Flask, alice: FlaskClient) -> None:
    survey_id = make_survey(app, "alice", name="Lunch")
    page = text(alice.get(f"/surveys/{survey_id}/questions/new", headers=PAGE))
    assert "<h1>Add a question</h1>" in page
    assert ">Add question</button>" in page


def test_a_question_is_edited(app: Flask, alice: FlaskClient) -> None:
    survey_id = make_survey(
        app, "alice", questions=[service.QuestionDraft("single_choice", "Colour?", True, ["Red"])]
    )
    (question,) = questions(app, survey_id)
    path = f"/surveys/{survey_id}/questions/{question['id']}/edit"
    page = text(alice.get(path, headers=PAGE))
    assert "<h1>Edit a question</h1>" in page
    assert "Colour?</textarea>" in page
    assert re.search(r'<option value="single_choice" selected>', page)
    response = post(alice, path, content="How many?", kind="number", number_min="0", number_max="9")
    page = follow(alice, response)
    assert "Question “How many?” saved." in page
    (edited,) = questions(app, survey_id)
    assert edited["kind"] == "number" and edited["content"] == "How many?"
    assert edited["options"] is None
    assert edited["settings"] == {"integer": False, "min": 0, "max": 9}
    assert edited["required"] is False
    page = text(alice.get(path, headers=PAGE))
    assert re.search(r'id="number_max" name="number_max"[^>]*value="9"', page)


def test_a_bad_edit_keeps_the_question_as_it_was(app: Flask, alice: FlaskClient) -> None:
    survey_id = make_survey(app, "alice", questions=[service.QuestionDraft("text", "Why?")])
    (question,) = questions(app, survey_id)
    path = f"/surveys/{survey_id}/questions/{question['id']}/edit"
    response = post(alice, path, content="", kind="single_choice", options="")
    assert response.status_code == 400
    assert set(errors_on(text(response))) == {"content", "options"}
    assert questions(app, survey_id) == [question]


def test_a_question_with_answers_keeps_its_kind_and_options(app: Flask, alice: FlaskClient) -> None:
    survey_id = make_survey(
        app,
        "alice",
        is_active=True,
        questions=[service.QuestionDraft("single_choice", "Colour?", True, ["Red", "Blue"])],
    )
    submit(app, survey_id, {"Colour?": "Red"})
    (question,) = questions(app, survey_id)
    path = f"/surveys/{survey_id}/questions/{question['id']}/edit"
    response = post(alice, path, content="Colour?", kind="single_choice", options="Red\nGreen")
    assert response.status_code == 409
    page = text(response)
    assert "has answers already" in page and "add a new question instead" in page
    assert "Red\nGreen</textarea>" in page
    assert questions(app, survey_id) == [question]
    # Its text and whether it is required may still change.
    response = post(
        alice, path, content="Favourite colour?", kind="single_choice", options="Red\nBlue"
    )
    assert response.status_code == 303
    (edited,) = questions(app, survey_id)
    assert edited["content"] == "Favourite colour?" and edited["required"] is False
    assert edited["options"] == ["Red", "Blue"]


def test_questions_move_up_and_down(app: Flask, alice: FlaskClient) -> None:
    drafts = [service.QuestionDraft("text", name) for name in ("A", "B", "C")]
    survey_id = make_survey(app, "alice", questions=drafts)
    a, b, c = (q["id"] for q in questions(app, survey_id))
    base = f"/surveys/{survey_id}/questions"
    page = follow(alice, post(alice, f"{base}/{c}/move", direction="up"))
    assert "Question “C” moved up." in page
    assert [q["content"] for q in questions(app, survey_id)] == ["A", "C", "B"]
    post(alice, f"{base}/{a}/move", direction="down")
    assert [q["content"] for q in questions(app, survey_id)] == ["C", "A", "B"]
    page = follow(alice, post(alice, f"{base}/{c}/move", direction="up"))
    assert "Question “C” is first already." in page
    page = follow(alice, post(alice, f"{base}/{b}/move", direction="down"))
    assert "Question “B” is last already." in page
    page = follow(alice, post(alice, f"{base}/{b}/move", direction="sideways"))
    assert "Move up and Move down buttons" in page
    assert [q["content"] for q in questions(app, survey_id)] == ["C", "A", "B"]


def test_a_question_is_removed(app: Flask, alice: FlaskClient) -> None:
    drafts = [service.QuestionDraft("text", name) for name in ("Keep", "Drop")]
    survey_id = make_survey(app, "alice", questions=drafts)
    drop = questions(app, survey_id)[1]["id"]
    page = follow(alice, post(alice, f"/surveys/{survey_id}/questions/{drop}/delete"))
    assert "Question “Drop” removed." in page
    assert [q["content"] for q in questions(app, survey_id)] == ["Keep"]


def test_an_unknown_question_is_a_404(app: Flask, alice: FlaskClient) -> None:
    survey_id = make_survey(app, "alice")
    other = make_survey(app, "alice", questions=[service.QuestionDraft("text", "Elsewhere")])
    elsewhere = questions(app, other)[0]["id"]
    for question_id in (999, elsewhere):
        base = f"/surveys/{survey_id}/questions/{question_id}"
        assert alice.get(f"{base}/edit", headers=PAGE).status_code == 404
        assert post(alice, f"{base}/delete").status_code == 404
        assert post(alice, f"{base}/move", direction="up").status_code == 404
    assert questions(app, other)[0]["content"] == "Elsewhere"


def test_a_survey_is_opened_and_closed(app: Flask, alice: FlaskClient) -> None:
    survey_id = make_survey(app, "alice", name="Lunch")
    page = follow(alice, post(alice, f"/surveys/{survey_id}/open", open="1"))
    assert "Survey “Lunch” is open" in page
    assert snapshot(app, survey_id)["is_active"] is True  # type: ignore[index]
    assert ">Close</button>" in page and "anyone with the link can answer" in page
    page = follow(alice, post(alice, f"/surveys/{survey_id}/open", open="0"))
    assert "is closed" in page and ">Open for answers</button>" in page
    assert snapshot(app, survey_id)["is_active"] is False  # type: ignore[index]
    page = follow(alice, post(alice, f"/surveys/{survey_id}/open", open="maybe"))
    assert "Open or close the survey with its button." in page
    assert snapshot(app, survey_id)["is_active"] is False  # type: ignore[index]


def test_an_open_survey_past_its_due_date_says_it_takes_no_answers(
    app: Flask, alice: FlaskClient
) -> None:
    past = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
    survey_id = make_survey(app, "alice", is_active=True, due_at=past)
    page = text(alice.get(f"/surveys/{survey_id}", headers=PAGE))
    assert "past its due date (2020-01-01 00:00 UTC)" in page
    post(alice, f"/surveys/{survey_id}/open", open="0")
    page = follow(alice, post(alice, f"/surveys/{survey_id}/open", open="1"))
    assert "its due date has passed" in page


def test_a_surveys_details_are_edited(app: Flask, alice: FlaskClient) -> None:
    due = dt.datetime(2099, 5, 6, 7, 8, tzinfo=dt.UTC)
    survey_id = make_survey(app, "alice", name="Lunch", due_at=due, one_per_respondent=True)
    path = f"/surveys/{survey_id}/edit"
    page = text(alice.get(path, headers=PAGE))
    assert "<h1>Edit details</h1>" in page
    assert 'value="Lunch"' in page and 'value="2099-05-06T07:08"' in page
    assert re.search(r'name="one_per_respondent" value="1" checked', page)
    page = follow(alice, post(alice, path, name="Dinner", description="At 8", due_at=""))
    assert "Survey “Dinner” saved." in page
    stored = snapshot(app, survey_id)
    assert stored is not None
    assert (stored["name"], stored["description"], stored["due_at"]) == ("Dinner", "At 8", None)
    assert stored["one_per_respondent"] is False


def test_a_bad_edit_of_the_details_changes_nothing(app: Flask, alice: FlaskClient) -> None:
    survey_id = make_survey(app, "alice", name="Lunch")
    before = snapshot(app, survey_id)
    response = post(alice, f"/surveys/{survey_id}/edit", name="", due_at="31/12/2099")
    assert response.status_code == 400
    assert set(errors_on(text(response))) == {"name", "due_at"}
    assert 'value="31/12/2099"' in text(response)
    assert snapshot(app, survey_id) == before


def test_a_survey_is_deleted_after_asking(app: Flask, alice: FlaskClient) -> None:
    survey_id = make_survey(
        app, "alice", name="Lunch", is_active=True, questions=[service.QuestionDraft("text", "Q")]
    )
    submit(app, survey_id, {"Q": "an answer"})
    page = text(alice.get(f"/surveys/{survey_id}/delete", headers=PAGE))
    assert "<h1>Delete “Lunch”?</h1>" in page
    assert "1 submission will be deleted" in page
    assert ">Delete survey</button>" in page
    assert snapshot(app, survey_id) is not None  # asking deletes nothing
    response = post(alice, f"/surveys/{survey_id}/delete")
    assert response.headers["Location"].endswith("/surveys")
    page = follow(alice, response)
    assert "Survey “Lunch” deleted" in page
    assert snapshot(app, survey_id) is None
    assert alice.get(f"/surveys/{survey_id}", headers=PAGE).status_code == 404


# -- whose survey -----------------------------------------------------------------------------


def _every_page(survey_id: int, question_id: int) -> list[tuple[str, str, dict[str, str]]]:
    one = f"/surveys/{survey_id}"
    question = f"{one}/questions/{question_id}"
    return [
        ("GET", one, {}),
        ("GET", f"{one}/edit", {}),
        ("POST", f"{one}/edit", {"name": "Taken over"}),
        ("POST", f"{one}/open", {"open": "0"}),
        ("GET", f"{one}/delete", {}),
        ("POST", f"{one}/delete", {}),
        ("GET", f"{one}/results", {}),
        ("GET", f"{one}/questions/new", {}),
        ("POST", f"{one}/questions/new", {"content": "Mine now", "kind": "text"}),
        ("GET", f"{question}/edit", {}),
        ("POST", f"{question}/edit", {"content": "Mine now", "kind": "text"}),
        ("POST", f"{question}/move", {"direction": "down"}),
        ("POST", f"{question}/delete", {}),
    ]


@pytest.mark.parametrize("active", [True, False])
def test_someone_elses_survey_is_not_found(app: Flask, alice: FlaskClient, active: bool) -> None:
    make_user(app, "bob")
    drafts = [service.QuestionDraft("text", "Bob's question")]
    survey_id = make_survey(app, "bob", name="Bob's", is_active=active, questions=drafts)
    question_id = questions(app, survey_id)[0]["id"]
    before = snapshot(app, survey_id)
    for method, path, data in _every_page(survey_id, question_id):
        if method == "GET":
            response = alice.get(path, headers=PAGE)
        else:
            response = post(alice, path, **data)
        assert response.status_code == 404, (method, path)
        assert "No such" in text(response)
        assert "Bob&#39;s question" not in text(response)
    assert snapshot(app, survey_id) == before


def test_a_survey_that_does_not_exist_is_not_found(alice: FlaskClient) -> None:
    for method, path, data in _every_page(12345, 1):
        response = alice.get(path, headers=PAGE) if method == "GET" else post(alice, path, **data)
        assert response.status_code == 404, (method, path)


def test_an_id_past_the_databases_integers_is_not_found(alice: FlaskClient) -> None:
    for method, path, data in _every_page(2**31, 2**31):
        response = alice.get(path, headers=PAGE) if method == "GET" else post(alice, path, **data)
        assert response.status_code == 404, (method, path)
        assert "No such" in text(response)


def test_an_administrator_manages_any_survey(app: Flask) -> None:
    make_user(app, "bob")
    survey_id = make_survey(
        app, "bob", name="Bob's", is_active=True, questions=[service.QuestionDraft("text", "Q")]
    )
    root = logged_in(app, "root", roles=("admin",))
    assert "<h1>Bob&#39;s</h1>" in text(root.get(f"/surveys/{survey_id}", headers=PAGE))
    assert root.get(f"/surveys/{survey_id}/results", headers=PAGE).status_code == 200
    follow(root, post(root, f"/surveys/{survey_id}/open", open="0"))
    assert snapshot(app, survey_id)["is_active"] is False  # type: ignore[index]
    # Their own dashboard lists their own surveys only.
    assert "Bob&#39;s" not in text(root.get("/surveys", headers=PAGE))


# -- results ----------------------------------------------------------------------------------


@pytest.fixture
def answered(app: Flask) -> int:
    """A survey of alice's with one question of each kind, and three submissions."""
    make_user(app, "alice")
    D = service.QuestionDraft
    survey_id = make_survey(
        app,
        "alice",
        name="Lunch <poll>",
        is_active=True,
        questions=[
            D("single_choice", "Cuisine?", False, ["Italian", "Japanese", "Thai"]),
            D("multiple_choice", "Days?", False, ["Mon", "Tue", "Wed"]),
            D("number", "Budget?", False, None, {"min": 0}),
            D("rating", "Last time?", False, None, {"min": 1, "max": 5}),
            D("text", "Anything else?"),
        ],
    )
    submit(
        app,
        survey_id,
        {
            "Cuisine?": "Italian",
            "Days?": ["Mon", "Tue"],
            "Budget?": 10,
            "Last time?": 4,
            "Anything else?": "First <b>answer</b>",
        },
    )
    submit(
        app,
        survey_id,
        {
            "Cuisine?": "Italian",
            "Days?": ["Tue"],
            "Budget?": 12.5,
            "Last time?": 5,
            "Anything else?": "Second answer",
        },
    )
    submit(app, survey_id, {"Cuisine?": "Japanese", "Days?": ["Tue", "Wed"], "Budget?": 10})
    return survey_id


def test_the_results_show_the_counts_and_percentages_of_every_kind(
    app: Flask, answered: int
) -> None:
    client = logged_in_as(app, "alice")
    page = text(client.get(f"/surveys/{answered}/results", headers=PAGE))
    assert "<h1>Results: Lunch &lt;poll&gt;</h1>" in page
    assert "3 submissions" in page

    cuisine = section(page, "Cuisine?")
    assert "3 answered" in cuisine
    assert table(cuisine) == [
        ("Italian", 2, "66.7%"),
        ("Japanese", 1, "33.3%"),
        ("Thai", 0, "0.0%"),
    ]
    assert re.search(r'<svg[^>]*role="img"[^>]*aria-label="[^"]*Italian: 2 \(66\.7%\)', cuisine)

    days = section(page, "Days?")
    assert table(days) == [("Mon", 1, "33.3%"), ("Tue", 3, "100.0%"), ("Wed", 1, "33.3%")]

    budget = section(page, "Budget?")
    assert table(budget) == [("10", 2, "66.7%"), ("12.5", 1, "33.3%")]
    assert "<dt>Mean</dt><dd>10.833</dd>" in budget
    assert "<dt>Smallest</dt><dd>10</dd>" in budget and "<dt>Largest</dt><dd>12.5</dd>" in budget
    assert 'role="img"' in budget

    rating = section(page, "Last time?")
    assert "2 answered" in rating
    assert table(rating) == [
        ("1", 0, "0.0%"),
        ("2", 0, "0.0%"),
        ("3", 0, "0.0%"),
        ("4", 1, "50.0%"),
        ("5", 1, "50.0%"),
    ]
    assert "<dt>Mean</dt><dd>4.5</dd>" in rating

    others = section(page, "Anything else?")
    assert "2 answered" in others
    assert others.index("Second answer") < others.index("First &lt;b&gt;answer&lt;/b&gt;")
    assert "<b>answer</b>" not in others


def test_the_bars_are_sized_by_the_percentages(app: Flask, answered: int) -> None:
    client = logged_in_as(app, "alice")
    cuisine = section(text(client.get(f"/surveys/{answered}/results", headers=PAGE)), "Cuisine?")
    widths = [float(w) for w in re.findall(r'class="ow-chart__bar"[^>]*width="([\d.]+)"', cuisine)]
    assert len(widths) == 2  # Thai, chosen by nobody, has no bar
    assert widths[0] == pytest.approx(2 * widths[1], rel=0.01)


def test_a_survey_without_submissions_has_empty_results(app: Flask, alice: FlaskClient) -> None:
    survey_id = make_survey(
        app,
        "alice",
        questions=[
            service.QuestionDraft("single_choice", "Colour?", options=["Red"]),
            service.QuestionDraft("number", "How many?"),
            service.QuestionDraft("text", "Why?"),
        ],
    )
    response = alice.get(f"/surveys/{survey_id}/results", headers=PAGE)
    assert response.status_code == 200
    page = text(response)
    assert "0 submissions" in page
    assert table(section(page, "Colour?")) == [("Red", 0, "0.0%")]
    assert "No answers yet." in section(page, "Why?")


def test_the_csv_is_linked_and_downloads_with_the_session(app: Flask, answered: int) -> None:
    client = logged_in_as(app, "alice")
    page = text(client.get(f"/surveys/{answered}/results", headers=PAGE))
    link = re.search(r'href="([^"]+)"[^>]*>Download CSV</a>', page)
    assert link is not None
    assert link.group(1) == f"/api/v1/surveys/{answered}/results.csv"
    response = client.get(link.group(1))
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert f'filename="survey-{answered}.csv"' in response.headers["Content-Disposition"]
    lines = text(response).splitlines()
    assert len(lines) == 4 and "Cuisine?" in lines[0]


# -- forms, headers -----------------------------------------------------------------------------


def test_a_form_without_its_csrf_token_is_refused_and_changes_nothing(
    app: Flask, alice: FlaskClient
) -> None:
    survey_id = make_survey(app, "alice", questions=[service.QuestionDraft("text", "Q")])
    question_id = questions(app, survey_id)[0]["id"]
    before = snapshot(app, survey_id)
    posts = [(p, d) for m, p, d in _every_page(survey_id, question_id) if m == "POST"]
    posts.append(("/surveys/new", {"name": "Sneaky"}))
    for path, data in posts:
        for token in ({}, {"csrf_token": "forged"}):
            response = alice.post(path, data={**data, **token}, headers=PAGE)
            assert response.status_code == 400, path
    assert snapshot(app, survey_id) == before
    assert "Sneaky" not in text(alice.get("/surveys", headers=PAGE))


def test_every_page_has_the_security_headers_and_no_inline_code(app: Flask, answered: int) -> None:
    client = logged_in_as(app, "alice")
    question_id = questions(app, answered)[0]["id"]
    responses = [
        client.get(path, headers=PAGE)
        for path in (
            "/surveys",
            "/surveys/new",
            f"/surveys/{answered}",
            f"/surveys/{answered}/edit",
            f"/surveys/{answered}/delete",
            f"/surveys/{answered}/results",
            f"/surveys/{answered}/questions/new",
            f"/surveys/{answered}/questions/{question_id}/edit",
            "/surveys/999",
        )
    ]
    responses.append(post(client, "/surveys/new", name=""))
    responses.append(post(client, f"/surveys/{answered}/questions/new", kind="x"))
    for response in responses:
        assert response.status_code in (200, 400, 404)
        headers = response.headers
        policy = headers["Content-Security-Policy"]
        assert "default-src 'none'" in policy and "style-src 'self'" in policy
        assert headers["X-Frame-Options"] == "DENY"
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Cache-Control"] == "no-store"
        assert response.mimetype == "text/html"
        assert_no_inline_code(text(response))


def test_the_owner_files_are_served(app: Flask, alice: FlaskClient) -> None:
    page = text(alice.get("/surveys/new", headers=PAGE))
    (href,) = re.findall(r'href="([^"]*owner\.css[^"]*)"', page)
    with alice.get(href) as response:
        assert response.status_code == 200
    survey_id = make_survey(app, "alice")
    page = text(alice.get(f"/surveys/{survey_id}", headers=PAGE))
    (src,) = re.findall(r'<script src="([^"]*owner\.js[^"]*)" defer>', page)
    with alice.get(src) as response:
        assert "clipboard" in response.get_data(as_text=True)


def test_a_legacy_question_with_answers_gets_a_new_text(app: Flask, alice: FlaskClient) -> None:
    survey_id = make_survey(app, "alice", is_active=True)
    with app.app_context():
        survey = session().get(Survey, survey_id)
        assert survey is not None
        # The old API kept any JSON as a text question's replyContent.
        legacy = service.legacy_question("essay", "Old question", {"hint": "kept"})
        question_id = service.add_question(survey, legacy).id
        service.legacy_reply(question_id, "an old answer")
    page = text(alice.get(f"/surveys/{survey_id}", headers=PAGE))
    assert "Old question" in page
    path = f"/surveys/{survey_id}/questions/{question_id}/edit"
    assert alice.get(path, headers=PAGE).status_code == 200
    response = post(alice, path, content="New question", kind="text", max_length="2000")
    assert response.status_code == 303
    (question,) = questions(app, survey_id)
    assert question["content"] == "New question"
    assert question["options"] == {"hint": "kept"}
