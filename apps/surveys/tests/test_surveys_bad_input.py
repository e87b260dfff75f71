"""Garbage into every legacy endpoint and every owner page, field by field: each answer
is a 4xx or a business answer, never a server error (the app runs with TESTING, so any
exception a view lets out fails the test), on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from flask_plugboard.db import session
from flask_plugboard.plugins.auth import User
from pages_support import csrf, logged_in
from plugboard_surveys import _service as service
from surveys_support import bearer, legacy_register

#: What an attacker sends in a field: other scripts' digits, ids past 32 bits, empty and
#: huge values, NUL, JSON and Python literals that are no JSON, deep nesting.
GARBAGE = [
    "",
    " ",
    "\u00b2",
    "\u00b9\u00b2",
    "\u0967\u0968",
    "2147483648",
    "9" * 30,
    "-1",
    "0",
    "1.5",
    "1e400",
    "NaN",
    "null",
    "[]",
    "{}",
    "\x00",
    "x" * 2000,
    "'",
    '"',
    "<script>alert(1)</script>",
    "{1,2}",
    "1j",
    "b'x'",
    "{(1,2):3}",
    "[" * 3000 + "]" * 3000,
    "{'content': 'c', 'type': 'radio', 'replyContent': {1, 2}}",
    "{'content': 'c', 'type': 'radio', 'replyContent': 1e999}",
    "2099-13-45 99:99:99",
    "True",
]
#: Whole bodies, sent as JSON.
BODIES = [
    "[" * 50_000 + "]" * 50_000,
    "{",
    "[]",
    '"x"',
    "null",
    '{"reply": ' * 200 + "1" + "}" * 200,
]

_HEADERS_OF = {
    "/register": ("username", "email", "password"),
    "/login": ("username", "password"),
    "/addsurvey": ("name", "duedate", "desc", "isactive"),
    "/getsurveyquestions": ("idSurvey",),
    "/addquestion": ("idSurvey", "content", "type"),
    "/addreply": ("idQuestion",),
    "/getsurveystats": ("id",),
}
_BODY_OF = {"/addsurvey": "questions", "/addquestion": "replyContent", "/addreply": "reply"}
_METHOD = {"/getsurveyquestions": "GET", "/getsurveystats": "GET"}
_NO_FIELDS = [
    ("POST", "/logout/access"),
    ("POST", "/logout/refresh"),
    ("POST", "/token/refresh"),
    ("GET", "/users"),
    ("GET", "/getsurveys"),
    ("GET", "/activesurveys"),
]


def _server_errors(client: FlaskClient, method: str, path: str, **kwargs: Any) -> list[str]:
    response = client.open(path, method=method, **kwargs)
    if response.status_code >= 500 and response.status_code != 503:
        return [f"{method} {path} {kwargs!r:.200}: {response.status_code}"]
    return []


def _legacy_ids(client: FlaskClient, access: str) -> dict[str, str]:
    client.post(
        "/addsurvey",
        headers=bearer(access, name="Probe", duedate="2099-12-31 10:11:12", isactive="True"),
        json={"questions": [{"content": "Colour?", "type": "radio", "replyContent": ["a"]},
                            {"content": "Why?", "type": "text"}]},
    )
    survey_id = client.get("/getsurveys", headers=bearer(access)).get_json()["surveys"][0]["id"]
    questions = client.get("/getsurveyquestions", headers={"idSurvey": str(survey_id)})
    question_id = questions.get_json()["questions"][0]["id"]
    return {
        "username": "mallory", "email": "mallory@example.org", "password": "a quiet tram",
        "name": "Probed", "duedate": "2099-12-31 10:11:12", "desc": "d", "isactive": "True",
        "idSurvey": str(survey_id), "content": "c", "type": "text",
        "idQuestion": str(question_id), "id": str(survey_id),
    }


def test_no_legacy_endpoint_answers_garbage_with_a_server_error(app: Flask) -> None:
    client = app.test_client()
    access = legacy_register(client)["access_token"]
    valid = _legacy_ids(client, access)
    failures: list[str] = []
    for path, names in _HEADERS_OF.items():
        method = _METHOD.get(path, "POST")
        fields = {name: valid[name] for name in names}
        body_field = _BODY_OF.get(path)
        for garbage in GARBAGE:
            for name in names:
                headers = bearer(access, **{**fields, name: garbage})
                failures += _server_errors(client, method, path, headers=headers)
            if body_field is not None:
                headers = bearer(access, **fields)
                for kwargs in (
                    {"json": {body_field: garbage}},
                    {"data": {body_field: garbage}},
                    {"query_string": {body_field: garbage}},
                    {"json": {body_field: [garbage, garbage]}},
                ):
                    failures += _server_errors(client, method, path, headers=headers, **kwargs)
        for body in BODIES:
            failures += _server_errors(
                client, method, path, headers=bearer(access, **fields), data=body,
                content_type="application/json",
            )
    for method, path in _NO_FIELDS:
        for token in ("", "garbage", access, "\u00b2"):
            failures += _server_errors(client, method, path, headers={"Authorization": token})
    assert failures == []


_PAGE = {"Accept": "text/html"}
#: Each kind of question, with the fields of its form.
_KIND_FIELDS = {
    "single_choice": {"options": "a\nb"},
    "multiple_choice": {"options": "a\nb", "min_choices": "1", "max_choices": "2"},
    "text": {"max_length": "20"},
    "number": {"number_min": "0", "number_max": "9", "integer": "1"},
    "rating": {"rating_min": "1", "rating_max": "5"},
}


def test_no_owner_page_answers_garbage_with_a_server_error(app: Flask) -> None:
    client = logged_in(app, "alice")
    with app.app_context():
        owner = session().query(User).filter_by(username="alice").one()
        drafts = [service.QuestionDraft("single_choice", "One?", options=["a", "b"])]
        survey = service.create_survey(owner, name="Probe", questions=drafts, is_active=True)
        survey_id, question_id = survey.id, survey.questions[0].id
    token = csrf(client, "/surveys/new")
    one = f"/surveys/{survey_id}"
    question = f"{one}/questions/{question_id}"
    survey_fields = {"name": "n", "description": "d", "due_at": "", "one_per_respondent": ""}
    forms: list[tuple[str, dict[str, str]]] = [
        ("/surveys/new", survey_fields),
        (f"{one}/edit", survey_fields),
        (f"{one}/open", {"open": "1"}),
        (f"{question}/move", {"direction": "down"}),
        (f"/s/{survey_id}", {f"q{question_id}": "a"}),
    ]
    for kind, settings in _KIND_FIELDS.items():
        fields = {"content": "c", "kind": kind, "required": "", **settings}
        forms.append((f"{one}/questions/new", fields))
        forms.append((f"{question}/edit", fields))
    failures: list[str] = []
    for garbage in GARBAGE:
        for path, fields in forms:
            for name in fields:
                data = {"csrf_token": token, **fields, name: garbage}
                failures += _server_errors(client, "POST", path, data=data, headers=_PAGE)
        failures += _server_errors(
            client, "GET", "/surveys", query_string={"page": garbage}, headers=_PAGE
        )
        failures += _server_errors(
            client, "GET", f"{one}/results", query_string={"page": garbage}, headers=_PAGE
        )
    for bad_id in ("2147483648", "99999999999999999999", "0", "\u00b2", "-1", "1.5"):
        for suffix in ("", "/edit", "/results", "/results.csv", "/delete", "/questions/new"):
            failures += _server_errors(client, "GET", f"/surveys/{bad_id}{suffix}", headers=_PAGE)
            failures += _server_errors(client, "GET", f"/s/{bad_id}{suffix}", headers=_PAGE)
        failures += _server_errors(
            client, "POST", f"{one}/questions/{bad_id}/edit",
            data={"csrf_token": token, "content": "c", "kind": "text"}, headers=_PAGE,
        )
    assert failures == []
