"""The Surveys API v1's surveys: creating (all or nothing), listing a page at a time,
reading, changing, opening and closing, deleting; who may do each; bad input refused with
a clear 4xx and nothing written. On SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from typing import Any, get_args

import pytest
from flask import Flask

from plugboard_surveys import KINDS
from plugboard_surveys._schemas import Kind
from surveys_api_support import EVERY_KIND, Api, error, errors
from surveys_support import PASSWORD


@pytest.fixture
def api(app: Flask) -> Api:
    return Api(app, app.test_client())


def _total(api: Api, as_user: str = "alice") -> int:
    listing = api.call("GET", "/surveys", as_user)
    assert listing.status_code == 200
    total: int = listing.get_json()["total"]
    return total


# -- creating ---------------------------------------------------------------------------


def test_a_survey_is_created_with_its_questions_and_its_address(api: Api) -> None:
    response = api.call(
        "POST",
        "/surveys",
        "alice",
        json={
            "name": "  Team lunch ",
            "description": "Friday",
            "due_at": "2099-12-31T23:00:00+02:00",
            "one_per_respondent": True,
            "questions": EVERY_KIND,
        },
    )

    assert response.status_code == 201, response.get_json()
    survey = response.get_json()
    assert response.headers["Location"] == f"/api/v1/surveys/{survey['id']}"
    assert api.client.get(response.headers["Location"]).status_code == 404  # closed: private
    assert api.call("GET", f"/surveys/{survey['id']}", "alice").get_json() == survey
    assert survey["name"] == "Team lunch"
    assert survey["description"] == "Friday"
    assert survey["due_at"] == "2099-12-31T21:00:00Z"
    assert survey["is_active"] is False and survey["accepting_answers"] is False
    assert survey["one_per_respondent"] is True
    assert survey["submission_count"] == 0
    assert [q["position"] for q in survey["questions"]] == [0, 1, 2, 3, 4]
    assert [q["kind"] for q in survey["questions"]] == list(KINDS)
    one, many, text, number, rating = survey["questions"]
    assert one["options"] == ["Red", "Green", "Blue"] and one["required"] is True
    assert many["options"] == ["A", "B", "C"] and many["required"] is False
    assert text == {
        "id": text["id"],
        "position": 2,
        "kind": "text",
        "content": "Why?",
        "required": False,
        "options": None,
        "settings": {"max_length": 20},
    }
    assert number["settings"] == {"integer": False} and number["options"] is None
    assert rating["settings"] == {"min": 1, "max": 5}


def test_creating_a_survey_needs_a_login(api: Api) -> None:
    response = api.call("POST", "/surveys", json={"name": "Lunch"})

    assert "log in" in error(response, 401)
    assert response.headers["WWW-Authenticate"] == "Bearer"
    bad_token = api.call(
        "POST", "/surveys", json={"name": "x"}, headers={"Authorization": "Bearer x"}
    )
    assert bad_token.status_code == 422 and "msg" in bad_token.get_json()
    assert _total(api) == 0


def _q(kind: str, **fields: Any) -> dict[str, Any]:
    return {"kind": kind, "content": "Q", **fields}


@pytest.mark.parametrize(
    ("question", "field"),
    [
        (_q("essay"), "kind"),
        (_q("single_choice"), "options"),
        (_q("single_choice", options=["a", " a"]), "options.1"),
        (_q("single_choice", options=["a", " "]), "options.1"),
        (_q("multiple_choice", options="ab"), "options"),
        (_q("multiple_choice", options=[1, 2]), "options.0"),
        (_q("multiple_choice", options=["a"], settings={"max_choices": 2}), "settings.max_choices"),
        (_q("multiple_choice", options=["a"] * 51), "options"),
        (_q("text", options=["a"]), "options"),
        (_q("text", settings={"max_length": 0}), "settings.max_length"),
        (_q("text", settings={"min": 1}), "settings.min"),
        (_q("number", settings={"min": 5, "max": 1}), "settings.min"),
        (_q("number", settings={"integer": "yes"}), "settings.integer"),
        (_q("number", settings={"min": "1"}), "settings.min"),
        (_q("number", settings={"max": 10**400}), "settings.max"),
        (_q("rating", settings={"max": 100}), "settings.max"),
        (_q("rating", settings={"min": 1.5}), "settings.min"),
        (_q("rating", settings=[]), "settings"),
        (_q("text", content="   "), "content"),
        (_q("text", content=""), "content"),
        ({"kind": "text"}, "content"),
        (_q("text", required="yes"), "required"),
        (_q("text", hint="typo"), "hint"),
        ("What?", ""),
    ],
)
def test_a_bad_question_in_a_create_leaves_no_survey(api: Api, question: Any, field: str) -> None:
    good = {"kind": "text", "content": "Fine"}
    response = api.call(
        "POST", "/surveys", "alice", json={"name": "Lunch", "questions": [good, question]}
    )

    assert f"questions.1.{field}".rstrip(".") in errors(response), response.get_json()
    assert _total(api) == 0


def test_every_bad_question_is_named_at_once_as_the_validation_errors_are(api: Api) -> None:
    response = api.call(
        "POST",
        "/surveys",
        "alice",
        json={
            "name": " ",
            "questions": [
                {"kind": "single_choice", "content": "Q"},
                {"kind": "rating", "content": " ", "settings": {"steps": 3}},
            ],
        },
    )

    body = response.get_json()
    assert response.status_code == 422
    assert body["error"] == "invalid request"
    blank = {"in": "body", "field": "name", "message": "may not be blank", "type": "value_error"}
    assert blank in body["errors"]
    assert set(errors(response)) == {
        "name",
        "questions.0.options",
        "questions.1.content",
        "questions.1.settings.steps",
    }
    assert "its settings: max, min" in errors(response)["questions.1.settings.steps"]
    assert _total(api) == 0


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "name"),
        ({"name": None}, "name"),
        ({"name": 3}, "name"),
        ({"name": "x" * 201}, "name"),
        ({"name": "a\x00b"}, "name"),
        ({"name": "Lunch", "description": ["no"]}, "description"),
        ({"name": "Lunch", "is_active": "true"}, "is_active"),
        ({"name": "Lunch", "is_active": 1}, "is_active"),
        ({"name": "Lunch", "due_at": "2099-12-31 10:00"}, "due_at"),  # no offset
        ({"name": "Lunch", "due_at": "tomorrow"}, "due_at"),
        ({"name": "Lunch", "due_at": 4102444800}, "due_at"),  # a Unix time
        ({"name": "Lunch", "due_at": "9999-12-31T23:00:00-05:00"}, "due_at"),  # past 9999 in UTC
        ({"name": "Lunch", "owner_id": 2}, "owner_id"),
        ({"name": "Lunch", "questions": {"kind": "text"}}, "questions"),
        ({"name": "Lunch", "questions": [{"kind": "text", "content": "Q"}] * 201}, "questions"),
        ([{"name": "Lunch"}], ""),
    ],
)
def test_bad_survey_fields_are_refused_naming_the_field(api: Api, body: Any, field: str) -> None:
    response = api.call("POST", "/surveys", "alice", json=body)

    assert field in errors(response)
    assert _total(api) == 0


def test_a_body_that_is_not_json_gets_400(api: Api) -> None:
    for kwargs in (
        {"data": "name=Lunch", "content_type": "application/x-www-form-urlencoded"},
        {"data": '{"name": ', "content_type": "application/json"},
        {},
    ):
        response = api.call("POST", "/surveys", "alice", **kwargs)
        assert "JSON" in error(response, 400)
    assert _total(api) == 0


# -- listing -------------------------------------------------------------------------------


def test_the_listing_shows_your_surveys_newest_first_a_page_at_a_time(api: Api) -> None:
    ids = [api.survey(name=f"Survey {n}")["id"] for n in range(5)]
    api.survey("bob", name="Bob's")

    first = api.call("GET", "/surveys?per_page=2", "alice").get_json()
    last = api.call("GET", "/surveys?per_page=2&page=3", "alice").get_json()
    past = api.call("GET", "/surveys?per_page=2&page=4", "alice").get_json()

    assert [s["id"] for s in first["items"]] == ids[::-1][:2]
    assert (first["page"], first["per_page"], first["total"], first["pages"]) == (1, 2, 5, 3)
    assert [s["name"] for s in last["items"]] == ["Survey 0"]
    assert past["items"] == [] and past["total"] == 5 and past["page"] == 4
    item = first["items"][0]
    assert "questions" not in item
    assert item["accepting_answers"] is True and item["submission_count"] == 0
    everything = api.call("GET", "/surveys?per_page=100", "alice").get_json()
    assert "Bob's" not in {s["name"] for s in everything["items"]}


def test_the_listing_pages_by_surveys_page_size_by_default(make_surveys_app: Any) -> None:
    api = Api(app := make_surveys_app(SURVEYS_PAGE_SIZE=3), app.test_client())
    for n in range(4):
        api.survey(name=f"Survey {n}")
    assert api.call("GET", "/surveys", "bob").get_json() == {
        "items": [],
        "page": 1,
        "per_page": 3,
        "total": 0,
        "pages": 0,
    }

    listing = api.call("GET", "/surveys", "alice").get_json()

    assert (len(listing["items"]), listing["per_page"], listing["pages"]) == (3, 3, 2)


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("page=0", "page"),
        ("page=-1", "page"),
        ("page=x", "page"),
        ("page=1000001", "page"),
        ("per_page=0", "per_page"),
        ("per_page=101", "per_page"),
        ("per_page=1.5", "per_page"),
        ("page=1&page=2", "page"),
        ("all=maybe", "all"),
    ],
)
def test_bad_listing_parameters_get_422(api: Api, query: str, field: str) -> None:
    response = api.call("GET", f"/surveys?{query}", "alice")

    assert response.status_code == 422
    assert [(e["in"], e["field"]) for e in response.get_json()["errors"]] == [("query", field)]


def test_administrators_list_everyone_s_surveys_and_nobody_else_may(api: Api) -> None:
    api.survey("alice", name="Alice's")
    api.survey("bob", name="Bob's", is_active=False)
    api.make_admin("root")

    everyone = api.call("GET", "/surveys?all=true", "root").get_json()
    refused = api.call("GET", "/surveys?all=true", "alice")

    assert [s["name"] for s in everyone["items"]] == ["Bob's", "Alice's"]
    assert everyone["total"] == 2
    assert "administrators" in error(refused, 403)
    assert api.call("GET", "/surveys", "root").get_json()["total"] == 0
    assert api.call("GET", "/surveys").status_code == 401


# -- reading -------------------------------------------------------------------------------


def test_an_open_survey_is_public_and_a_closed_one_only_its_owner_s_and_admins(api: Api) -> None:
    open_one = api.survey(questions=EVERY_KIND)
    closed = api.survey(is_active=False)
    api.make_admin("root")

    public = api.call("GET", f"/surveys/{open_one['id']}")
    assert public.status_code == 200 and public.get_json() == open_one
    assert "does not exist" in error(api.call("GET", f"/surveys/{closed['id']}"), 404)
    assert error(api.call("GET", f"/surveys/{closed['id']}", "bob"), 404)
    assert api.call("GET", f"/surveys/{closed['id']}", "alice").status_code == 200
    assert api.call("GET", f"/surveys/{closed['id']}", "root").get_json() == closed
    bad_token = {"Authorization": "Bearer not-a-token"}
    assert api.call("GET", f"/surveys/{open_one['id']}", headers=bad_token).status_code == 200


@pytest.mark.parametrize("path", ["/surveys/999", "/surveys/2147483648", "/surveys/9" * 30])
def test_a_survey_that_does_not_exist_is_404_for_every_operation(api: Api, path: str) -> None:
    api.survey()
    for method, suffix, body in [
        ("GET", "", None),
        ("PATCH", "", {"name": "x"}),
        ("DELETE", "", None),
        ("POST", "/open", None),
        ("POST", "/close", None),
        ("POST", "/questions", {"kind": "text", "content": "Q"}),
        ("PUT", "/questions/order", {"question_ids": []}),
        ("POST", "/submissions", {"answers": []}),
        ("GET", "/results", None),
        ("GET", "/results.csv", None),
    ]:
        response = api.call(method, path + suffix, "alice", json=body)
        assert response.status_code == 404, (method, suffix, response.get_json())
        assert response.get_json()["error"]


# -- changing ------------------------------------------------------------------------------


def test_the_owner_changes_only_the_fields_given(api: Api) -> None:
    survey = api.survey(description="Friday", due_at="2099-01-01T00:00:00Z")
    path = f"/surveys/{survey['id']}"

    renamed = api.call("PATCH", path, "alice", json={"name": "Brunch"}).get_json()
    assert renamed["name"] == "Brunch"
    assert renamed["description"] == "Friday" and renamed["due_at"] == "2099-01-01T00:00:00Z"

    changed = api.call(
        "PATCH",
        path,
        "alice",
        json={"description": "", "due_at": None, "one_per_respondent": True, "is_active": False},
    ).get_json()
    assert changed["description"] == "" and changed["due_at"] is None
    assert changed["one_per_respondent"] is True and changed["is_active"] is False
    assert changed["accepting_answers"] is False
    assert api.call("GET", path, "alice").get_json() == changed
    assert api.call("PATCH", path, "alice", json={}).get_json()["name"] == "Brunch"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": None}, "name"),
        ({"name": "  "}, "name"),
        ({"is_active": None}, "is_active"),
        ({"is_active": "false"}, "is_active"),
        ({"due_at": "someday"}, "due_at"),
        ({"questions": []}, "questions"),
        ({"description": "x" * 10_001}, "description"),
    ],
)
def test_bad_changes_are_refused_and_change_nothing(api: Api, body: Any, field: str) -> None:
    survey = api.survey()
    path = f"/surveys/{survey['id']}"

    response = api.call("PATCH", path, "alice", json={"description": "changed", **body})

    assert field in errors(response)
    assert api.call("GET", path, "alice").get_json() == survey


def test_a_past_due_date_closes_the_survey_to_answers(api: Api) -> None:
    survey = api.survey(due_at="2001-01-01T00:00:00Z", questions=EVERY_KIND)

    assert survey["is_active"] is True and survey["accepting_answers"] is False
    refused = api.answer(survey, ["Red", None, None, None, None])
    assert "closed" in error(refused, 409)
    later = api.call("PATCH", f"/surveys/{survey['id']}", "alice", json={"due_at": None})
    assert later.get_json()["accepting_answers"] is True
    assert api.answer(survey, ["Red", None, None, None, None]).status_code == 201


def test_open_and_close(api: Api) -> None:
    survey = api.survey(is_active=False)
    path = f"/surveys/{survey['id']}"

    opened = api.call("POST", f"{path}/open", "alice")
    assert opened.status_code == 200
    assert opened.get_json()["is_active"] is True and opened.get_json()["accepting_answers"]
    assert api.call("GET", path).status_code == 200
    closed = api.call("POST", f"{path}/close", "alice").get_json()
    assert closed["is_active"] is False and closed["accepting_answers"] is False
    assert api.call("GET", path).status_code == 404
    assert api.call("POST", f"{path}/close", "alice").get_json()["is_active"] is False


def test_only_the_owner_and_administrators_change_a_survey(api: Api) -> None:
    survey = api.survey()
    closed = api.survey(is_active=False)
    path = f"/surveys/{survey['id']}"
    api.make_admin("root")

    for method, suffix, body in [
        ("PATCH", "", {"name": "Mine now"}),
        ("POST", "/close", None),
        ("DELETE", "", None),
    ]:
        refused = api.call(method, path + suffix, "bob", json=body)
        assert "not yours" in error(refused, 403)
        hidden = api.call(method, f"/surveys/{closed['id']}{suffix}", "bob", json=body)
        assert error(hidden, 404)
        assert api.call(method, path + suffix, json=body).status_code == 401
    assert api.call("GET", path).get_json() == survey

    renamed = api.call("PATCH", path, "root", json={"name": "Moderated"})
    assert renamed.status_code == 200 and renamed.get_json()["name"] == "Moderated"
    assert api.call("POST", f"/surveys/{closed['id']}/open", "root").status_code == 200


def test_deleting_a_survey_deletes_it_with_its_submissions(api: Api) -> None:
    survey = api.survey(questions=EVERY_KIND)
    assert api.answer(survey, ["Red", ["A"], "ok", 1, 5]).status_code == 201
    path = f"/surveys/{survey['id']}"

    deleted = api.call("DELETE", path, "alice")

    assert deleted.status_code == 204 and deleted.get_data() == b""
    assert error(api.call("GET", path, "alice"), 404)
    assert error(api.call("DELETE", path, "alice"), 404)
    assert _total(api) == 0
    again = api.survey()
    assert again["id"] != survey["id"]  # an id is never given to another survey


def test_a_browser_session_must_send_its_csrf_token_with_changes(api: Api) -> None:
    survey = api.survey()
    browser = api.app.test_client()
    page = browser.get("/auth/login").get_data(as_text=True)
    token = page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    logged_in = browser.post(
        "/auth/login", data={"username": "alice", "password": PASSWORD, "csrf_token": token}
    )
    assert logged_in.status_code == 303
    with browser.session_transaction() as session:
        csrf = session["_plugboard_csrf"]
    path = f"/api/v1/surveys/{survey['id']}"

    assert browser.get(path).status_code == 200
    refused = browser.post(f"{path}/close")
    assert "token" in error(refused, 400)
    assert browser.get(path).get_json()["is_active"] is True
    closed = browser.post(f"{path}/close", headers={"X-CSRF-Token": csrf})
    assert closed.status_code == 200 and closed.get_json()["is_active"] is False


def test_an_authorization_header_that_is_no_valid_token_does_not_skip_csrf(api: Api) -> None:
    survey = api.survey()
    browser = api.app.test_client()
    page = browser.get("/auth/login").get_data(as_text=True)
    token = page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    browser.post(
        "/auth/login", data={"username": "alice", "password": PASSWORD, "csrf_token": token}
    )
    path = f"/api/v1/surveys/{survey['id']}"

    for header in ("Basic YWxpY2U6eA==", "Bearer not-a-token", "Bearer"):
        refused = browser.post(f"{path}/close", headers={"Authorization": header})
        assert refused.status_code in (400, 401, 422), (header, refused.get_json())
        assert browser.get(path).get_json()["is_active"] is True, header

    valid = {"Authorization": f"Bearer {api.token('alice')}"}  # a valid token needs no CSRF
    closed = browser.post(f"{path}/close", headers=valid)
    assert closed.status_code == 200 and closed.get_json()["is_active"] is False


# -- the document --------------------------------------------------------------------------


def test_the_document_describes_every_operation_of_the_api(api: Api) -> None:
    document = api.client.get("/openapi.json").get_json()
    operations = {
        (method.upper(), path): op
        for path, item in document["paths"].items()
        if path.startswith("/api/v1/")
        for method, op in item.items()
    }

    assert len(operations) == 14
    for (method, path), op in operations.items():
        assert op["summary"] and op["operationId"].startswith("surveys.api_"), (method, path)
        assert "404" in op["responses"] or path == "/api/v1/surveys", (method, path)
    create = operations[("POST", "/api/v1/surveys")]
    assert set(create["responses"]) >= {"201", "400", "401", "422"}
    assert create["requestBody"]["content"]["application/json"]["examples"]
    submit = operations[("POST", "/api/v1/surveys/{survey_id}/submissions")]
    assert set(submit["responses"]) >= {"201", "401", "404", "409", "422"}
    assert "security" not in submit
    assert document["components"]["schemas"]["NewQuestion"]["properties"]["kind"]["enum"] == list(
        KINDS
    )


def test_the_kinds_of_the_schemas_are_the_service_s() -> None:
    assert get_args(Kind) == KINDS


def test_dates_are_written_in_utc(api: Api) -> None:
    survey = api.survey(due_at="2099-06-01T12:00:00-04:00")

    assert survey["due_at"] == "2099-06-01T16:00:00Z"
    created = dt.datetime.fromisoformat(survey["created_at"])
    assert created.utcoffset() == dt.timedelta(0)
