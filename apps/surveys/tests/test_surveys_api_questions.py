"""The Surveys API v1's questions, submissions and results: adding, changing, reordering
and deleting questions; answers checked against each kind, stored all together or not at
all; the results of every kind and the CSV export. On SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from flask_plugboard.db import session
from plugboard_surveys import Submission
from surveys_api_support import EVERY_KIND, Api, error, errors
from surveys_support import api_token, bearer


@pytest.fixture
def api(app: Flask) -> Api:
    return Api(app, app.test_client())


def _count(api: Api, survey: dict[str, Any]) -> int:
    read = api.call("GET", f"/surveys/{survey['id']}", "alice")
    count: int = read.get_json()["submission_count"]
    return count


def _stored(app: Flask) -> list[tuple[int, int | None]]:
    """(survey, respondent) of every stored submission."""
    with app.app_context():
        rows = session().execute(sa.select(Submission.survey_id, Submission.user_id))
        return [(survey_id, user_id) for survey_id, user_id in rows]


# -- questions -----------------------------------------------------------------------------


def test_a_question_is_added_last_or_where_asked(api: Api) -> None:
    survey = api.survey(questions=[{"kind": "text", "content": "First"}])
    path = f"/surveys/{survey['id']}/questions"

    last = api.call("POST", path, "alice", json={"kind": "rating", "content": "Last"})
    first = api.call(
        "POST",
        path,
        "alice",
        json={
            "kind": "multiple_choice",
            "content": "Before all",
            "options": [" x ", "y"],
            "settings": {"min_choices": 1, "max_choices": 1},
            "required": True,
            "position": 0,
        },
    )
    end = api.call("POST", path, "alice", json={"kind": "text", "content": "End", "position": 99})

    assert last.status_code == 201 and last.get_json()["position"] == 1
    added = first.get_json()
    assert first.status_code == 201
    assert added["options"] == ["x", "y"] and added["required"] is True
    assert added["settings"] == {"min_choices": 1, "max_choices": 1}
    read = api.call("GET", f"/surveys/{survey['id']}", "alice").get_json()
    assert [(q["position"], q["content"]) for q in read["questions"]] == [
        (0, "Before all"),
        (1, "First"),
        (2, "Last"),
        (3, "End"),
    ]
    assert read["questions"][0] == added | {"position": 0}
    assert end.get_json()["position"] == 3


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"kind": "single_choice", "content": "Q"}, "options"),
        ({"kind": "single_choice", "content": "Q", "options": ["a", "a"]}, "options.1"),
        ({"kind": "rating", "content": "Q", "settings": {"min": 3, "max": 3}}, "settings.max"),
        ({"kind": "number", "content": "Q", "settings": {"step": 1}}, "settings.step"),
        ({"kind": "text", "content": " "}, "content"),
        ({"kind": "poll", "content": "Q"}, "kind"),
        ({"kind": "text", "content": "Q", "position": -1}, "position"),
        ({"kind": "text", "content": "Q", "position": "0"}, "position"),
        ({"kind": "text", "content": "Q\x00"}, "content"),
        ({"kind": "single_choice", "content": "Q", "options": ["a\x00"]}, "options.0"),
    ],
)
def test_a_bad_question_is_not_added(api: Api, body: dict[str, Any], field: str) -> None:
    survey = api.survey(questions=[{"kind": "text", "content": "First"}])

    response = api.call("POST", f"/surveys/{survey['id']}/questions", "alice", json=body)

    assert field in errors(response)
    assert api.call("GET", f"/surveys/{survey['id']}", "alice").get_json() == survey


def test_a_survey_takes_at_most_200_questions(api: Api) -> None:
    survey = api.survey(questions=[{"kind": "text", "content": f"Q{n}"} for n in range(200)])

    response = api.call(
        "POST", f"/surveys/{survey['id']}/questions", "alice", json={"kind": "text", "content": "Q"}
    )

    assert "at most 200" in errors(response)[""]


def test_a_question_changes_only_in_the_fields_given(api: Api) -> None:
    survey = api.survey(questions=EVERY_KIND)
    text = survey["questions"][2]
    path = f"/surveys/{survey['id']}/questions/{text['id']}"

    reworded = api.call("PATCH", path, "alice", json={"content": "Why not?", "required": True})
    assert reworded.status_code == 200
    assert reworded.get_json() == text | {"content": "Why not?", "required": True}

    choice = api.call(
        "PATCH", path, "alice", json={"kind": "single_choice", "options": ["Yes", "No"]}
    ).get_json()
    assert choice["kind"] == "single_choice" and choice["options"] == ["Yes", "No"]
    assert choice["settings"] == {}  # a new kind starts with its own settings

    moved = api.call("PATCH", path, "alice", json={"position": 0}).get_json()
    assert moved["position"] == 0
    read = api.call("GET", f"/surveys/{survey['id']}", "alice").get_json()
    assert [q["id"] for q in read["questions"]][:3] == [
        text["id"],
        survey["questions"][0]["id"],
        survey["questions"][1]["id"],
    ]
    assert [q["position"] for q in read["questions"]] == [0, 1, 2, 3, 4]

    number = survey["questions"][3]
    ranged = api.call(
        "PATCH",
        f"/surveys/{survey['id']}/questions/{number['id']}",
        "alice",
        json={"settings": {"min": 1, "max": 9, "integer": True}},
    )
    assert ranged.get_json()["settings"] == {"min": 1, "max": 9, "integer": True}
    number_path = f"/surveys/{survey['id']}/questions/{number['id']}"
    cleared = api.call("PATCH", number_path, "alice", json={"settings": None})
    assert cleared.get_json()["settings"] == {"integer": False}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"content": None}, "content"),
        ({"kind": None}, "kind"),
        ({"required": None}, "required"),
        ({"position": None}, "position"),
        ({"kind": "single_choice"}, "options"),  # a text question has no options to keep
        ({"settings": {"max_length": 0}}, "settings.max_length"),
        ({"options": ["a"]}, "options"),
        ({"answer": "typo"}, "answer"),
    ],
)
def test_bad_question_changes_are_refused_and_change_nothing(
    api: Api, body: dict[str, Any], field: str
) -> None:
    survey = api.survey(questions=EVERY_KIND)
    text = survey["questions"][2]

    response = api.call(
        "PATCH",
        f"/surveys/{survey['id']}/questions/{text['id']}",
        "alice",
        json={"content": "Changed", **body},
    )

    assert field in errors(response)
    assert api.call("GET", f"/surveys/{survey['id']}", "alice").get_json() == survey


def test_a_question_with_answers_keeps_its_kind_options_and_settings(api: Api) -> None:
    survey = api.survey(questions=EVERY_KIND)
    assert api.answer(survey, ["Red", None, None, None, None]).status_code == 201
    colour = survey["questions"][0]
    path = f"/surveys/{survey['id']}/questions/{colour['id']}"

    for change in ({"options": ["Red", "Blue"]}, {"kind": "text"}):
        assert "has answers" in error(api.call("PATCH", path, "alice", json=change), 409)
    same = api.call("PATCH", path, "alice", json={"options": ["Red", "Green", "Blue"]})
    reworded = api.call("PATCH", path, "alice", json={"content": "Which colour?"})

    assert same.status_code == 200
    assert reworded.get_json() == colour | {"content": "Which colour?"}


def test_deleting_a_question_deletes_its_answers_and_keeps_the_submissions(api: Api) -> None:
    survey = api.survey(questions=EVERY_KIND)
    assert api.answer(survey, ["Red", ["A"], "because", 2, 4]).status_code == 201
    colour, letters = survey["questions"][:2]

    deleted = api.call("DELETE", f"/surveys/{survey['id']}/questions/{colour['id']}", "alice")

    assert deleted.status_code == 204
    read = api.call("GET", f"/surveys/{survey['id']}", "alice").get_json()
    assert [q["id"] for q in read["questions"]] == [q["id"] for q in survey["questions"][1:]]
    assert [q["position"] for q in read["questions"]] == [0, 1, 2, 3]
    assert read["submission_count"] == 1
    results = api.call("GET", f"/surveys/{survey['id']}/results", "alice").get_json()
    assert [q["id"] for q in results["questions"]][0] == letters["id"]
    assert results["questions"][0]["answered"] == 1
    gone = api.call("DELETE", f"/surveys/{survey['id']}/questions/{colour['id']}", "alice")
    assert "no question" in error(gone, 404)


def test_questions_are_reordered_with_each_id_once(api: Api) -> None:
    survey = api.survey(questions=EVERY_KIND)
    ids = [q["id"] for q in survey["questions"]]
    path = f"/surveys/{survey['id']}/questions/order"

    reordered = api.call("PUT", path, "alice", json={"question_ids": ids[::-1]})

    assert reordered.status_code == 200
    assert [q["id"] for q in reordered.get_json()["questions"]] == ids[::-1]
    assert [q["position"] for q in reordered.get_json()["questions"]] == [0, 1, 2, 3, 4]
    for bad in (ids[:-1], [*ids, ids[0]], [*ids[:-1], 999_999], []):
        response = api.call("PUT", path, "alice", json={"question_ids": bad})
        assert "each question" in errors(response)["question_ids"]
    assert "question_ids.0" in errors(api.call("PUT", path, "alice", json={"question_ids": ["1"]}))
    read = api.call("GET", f"/surveys/{survey['id']}", "alice").get_json()
    assert [q["id"] for q in read["questions"]] == ids[::-1]


def test_only_the_owner_and_administrators_change_questions(api: Api) -> None:
    survey = api.survey(questions=EVERY_KIND)
    closed = api.survey(is_active=False, questions=EVERY_KIND)
    api.make_admin("root")
    question = survey["questions"][2]
    ids = [q["id"] for q in survey["questions"]]
    changes = [
        ("POST", "/questions", {"kind": "text", "content": "Mine"}),
        ("PATCH", f"/questions/{question['id']}", {"content": "Mine"}),
        ("DELETE", f"/questions/{question['id']}", None),
        ("PUT", "/questions/order", {"question_ids": ids[::-1]}),
    ]

    for method, suffix, body in changes:
        refused = api.call(method, f"/surveys/{survey['id']}{suffix}", "bob", json=body)
        assert "not yours" in error(refused, 403)
        hidden = api.call(method, f"/surveys/{closed['id']}{suffix}", "bob", json=body)
        assert hidden.status_code == 404
        anonymous = api.call(method, f"/surveys/{survey['id']}{suffix}", json=body)
        assert anonymous.status_code == 401
    assert api.call("GET", f"/surveys/{survey['id']}").get_json() == survey

    added = api.call(
        "POST", f"/surveys/{survey['id']}/questions", "root", json={"kind": "text", "content": "Q"}
    )
    assert added.status_code == 201


def test_a_question_of_another_survey_is_not_found(api: Api) -> None:
    mine = api.survey(questions=EVERY_KIND)
    other = api.survey(questions=EVERY_KIND)
    foreign = other["questions"][0]["id"]

    response = api.call(
        "PATCH", f"/surveys/{mine['id']}/questions/{foreign}", "alice", json={"content": "x"}
    )

    assert f"has no question {foreign}" in error(response, 404)


# -- submissions ---------------------------------------------------------------------------


def test_anyone_answers_an_open_survey_and_a_logged_in_respondent_is_recorded(
    api: Api,
) -> None:
    survey = api.survey(questions=EVERY_KIND)

    anonymous = api.answer(survey, ["Red", ["A", "C"], "fine", 2.5, 4])
    known = api.answer(survey, ["Blue", None, None, None, None], as_user="bob")

    assert anonymous.status_code == 201
    body = anonymous.get_json()
    assert set(body) == {"id", "survey_id", "created_at"}
    assert body["survey_id"] == survey["id"] and body["created_at"].endswith("Z")
    assert known.status_code == 201 and known.get_json()["id"] != body["id"]
    assert _count(api, survey) == 2
    bob = api.call("GET", "/surveys", "bob")  # bob's id, as the auth plugin gave it
    assert bob.status_code == 200
    stored = _stored(api.app)
    assert stored[0] == (survey["id"], None)
    assert stored[1][0] == survey["id"] and stored[1][1] is not None


@pytest.mark.parametrize(
    ("index", "value", "message"),
    [
        (0, "Purple", "choose one of 'Red', 'Green', 'Blue'"),
        (0, ["Red"], "choose one of"),
        (0, 1, "choose one of"),
        (1, "A", "give a list of options"),
        (1, ["A", "Z"], "'Z' is not an option"),
        (1, ["A", "A"], "chosen twice"),
        (1, [1], "give a list of options"),
        (2, 42, "must be text"),
        (2, "x" * 21, "at most 20 characters"),
        (2, "nul\x00", "NUL"),
        (3, "3", "must be a number"),
        (3, True, "must be a number"),
        (3, 10**400, "must be a number"),
        (3, {"n": 1}, "must be a number"),
        (4, 6, "at most 5"),
        (4, 0, "at least 1"),
        (4, 2.5, "whole number"),
    ],
)
def test_an_answer_that_does_not_fit_its_question_stores_nothing(
    api: Api, index: int, value: Any, message: str
) -> None:
    survey = api.survey(questions=EVERY_KIND)
    values: list[Any] = ["Red", ["A"], "fine", 3, 4]
    values[index] = value

    response = api.answer(survey, values)

    found = errors(response)
    assert list(found) == [f"answers.{index}.value"]
    assert message in found[f"answers.{index}.value"]
    assert _count(api, survey) == 0
    assert _stored(api.app) == []
    results = api.call("GET", f"/surveys/{survey['id']}/results", "alice").get_json()
    assert [q["answered"] for q in results["questions"]] == [0, 0, 0, 0, 0]


def test_every_bad_answer_is_named_at_once(api: Api) -> None:
    survey = api.survey(questions=EVERY_KIND)
    ids = [q["id"] for q in survey["questions"]]

    response = api.call(
        "POST",
        f"/surveys/{survey['id']}/submissions",
        json={
            "answers": [
                {"question_id": ids[1], "value": "A"},
                {"question_id": 999_999, "value": "?"},
                {"question_id": ids[4], "value": 9},
                {"question_id": ids[1], "value": ["B"]},
            ]
        },
    )

    assert list(errors(response)) == ["answers.3.question_id"]  # answered twice: first
    response = api.call(
        "POST",
        f"/surveys/{survey['id']}/submissions",
        json={
            "answers": [
                {"question_id": ids[1], "value": "A"},
                {"question_id": 999_999, "value": "?"},
                {"question_id": ids[4], "value": 9},
            ]
        },
    )
    found = errors(response)
    assert set(found) == {
        "answers",
        "answers.0.value",
        "answers.1.question_id",
        "answers.2.value",
    }
    assert found["answers"] == f"question {ids[0]}: an answer is required"
    assert f"survey {survey['id']} has no such question" in found["answers.1.question_id"]
    assert _count(api, survey) == 0


def test_blank_answers_leave_optional_questions_unanswered(api: Api) -> None:
    survey = api.survey(questions=EVERY_KIND)
    ids = [q["id"] for q in survey["questions"]]

    response = api.call(
        "POST",
        f"/surveys/{survey['id']}/submissions",
        json={
            "answers": [
                {"question_id": ids[0], "value": "Green"},
                {"question_id": ids[1], "value": []},
                {"question_id": ids[2], "value": "   "},
                {"question_id": ids[3], "value": None},
            ]
        },
    )
    required_blank = api.answer(survey, ["", None, None, None, None])

    assert response.status_code == 201
    assert "required" in errors(required_blank)["answers.0.value"]
    results = api.call("GET", f"/surveys/{survey['id']}/results", "alice").get_json()
    assert [q["answered"] for q in results["questions"]] == [1, 0, 0, 0, 0]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "answers"),
        ({"answers": {"1": "Red"}}, "answers"),
        ({"answers": [{"question_id": "1", "value": "Red"}]}, "answers.0.question_id"),
        ({"answers": [{"question_id": 1}]}, "answers.0.value"),
        ({"answers": [{"question_id": 1, "value": "Red", "note": ""}]}, "answers.0.note"),
        ({"answers": [{"question_id": 1, "value": "Red"}] * 201}, "answers"),
    ],
)
def test_a_malformed_submission_gets_422(api: Api, body: dict[str, Any], field: str) -> None:
    survey = api.survey(questions=EVERY_KIND)

    response = api.call("POST", f"/surveys/{survey['id']}/submissions", json=body)

    assert field in errors(response)
    assert _count(api, survey) == 0


def test_a_closed_survey_takes_no_answers(api: Api) -> None:
    survey = api.survey(questions=EVERY_KIND)
    closing = api.call("POST", f"/surveys/{survey['id']}/close", "alice")
    assert closing.status_code == 200

    anonymous = api.answer(survey, ["Red", None, None, None, None])
    owner = api.answer(survey, ["Red", None, None, None, None], as_user="alice")
    owner_badly = api.answer(survey, ["Purple", None, None, None, None], as_user="alice")

    assert error(anonymous, 404)  # a closed survey is its owner's business only
    assert "closed" in error(owner, 409)
    assert "closed" in error(owner_badly, 409)
    assert _count(api, survey) == 0


def test_one_answer_per_respondent(api: Api) -> None:
    survey = api.survey(questions=EVERY_KIND, one_per_respondent=True)
    values = ["Red", None, None, None, None]

    anonymous = api.answer(survey, values)
    first = api.answer(survey, values, as_user="bob")
    second = api.answer(survey, ["Blue", None, None, None, None], as_user="bob")
    other = api.answer(survey, values, as_user="carol")

    assert "log in" in error(anonymous, 401)
    assert anonymous.headers["WWW-Authenticate"] == "Bearer"
    assert first.status_code == 201 and other.status_code == 201
    assert "already" in error(second, 409)
    assert _count(api, survey) == 2
    results = api.call("GET", f"/surveys/{survey['id']}/results", "alice").get_json()
    assert [o["count"] for o in results["questions"][0]["options"]] == [2, 0, 0]


def test_v1_submissions_and_legacy_replies_share_one_rate_limit(
    make_surveys_app: Callable[..., Flask],
) -> None:
    app = make_surveys_app(SURVEYS_SUBMIT_LIMIT="2/minute")
    api = Api(app, app.test_client())
    survey = api.survey(questions=[{"kind": "text", "content": "Q"}])
    question = survey["questions"][0]["id"]

    statuses = [api.answer(survey, ["hi"]).status_code for _ in range(2)]
    refused = api.answer(survey, ["again"])
    legacy = api.client.post(
        "/addreply", headers={"idQuestion": str(question)}, json={"reply": "x"}
    )

    assert statuses == [201, 201]
    assert refused.status_code == 429 and refused.headers["Retry-After"]
    assert legacy.status_code == 429
    assert _count(api, survey) == 2
    document = api.client.get("/openapi.json").get_json()
    submit = document["paths"]["/api/v1/surveys/{survey_id}/submissions"]["post"]
    assert "429" in submit["responses"]


def test_the_rate_limit_of_one_app_does_not_count_in_another(
    make_surveys_app: Callable[..., Flask],
) -> None:
    strict = make_surveys_app(SURVEYS_SUBMIT_LIMIT="1/minute")
    free = make_surveys_app()
    for app in (strict, free):
        api = Api(app, app.test_client())
        survey = api.survey(questions=[{"kind": "text", "content": "Q"}])
        statuses = [api.answer(survey, ["hi"]).status_code for _ in range(3)]
        assert statuses == ([201, 429, 429] if app is strict else [201, 201, 201])


# -- results ---------------------------------------------------------------------------


def test_the_results_count_every_kind_with_percentages(api: Api) -> None:
    survey = api.survey(questions=EVERY_KIND)
    for values in (
        ["Red", ["A", "B"], "first", 3, 5],
        ["Red", ["A"], "second", 4.5, 4],
        ["Green", [], None, 3, None],
        ["Blue", ["C", "A"], "=1+2", None, 5],
    ):
        assert api.answer(survey, values).status_code == 201
    ids = [q["id"] for q in survey["questions"]]

    response = api.call("GET", f"/surveys/{survey['id']}/results", "alice")

    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "private, no-store"
    assert response.get_json() == {
        "survey_id": survey["id"],
        "submissions": 4,
        "questions": [
            {
                "id": ids[0],
                "kind": "single_choice",
                "content": "Colour?",
                "answered": 4,
                "answered_percent": 100.0,
                "options": [
                    {"label": "Red", "count": 2, "percent": 50.0},
                    {"label": "Green", "count": 1, "percent": 25.0},
                    {"label": "Blue", "count": 1, "percent": 25.0},
                ],
            },
            {
                "id": ids[1],
                "kind": "multiple_choice",
                "content": "Letters?",
                "answered": 3,
                "answered_percent": 75.0,
                "options": [
                    {"label": "A", "count": 3, "percent": 100.0},
                    {"label": "B", "count": 1, "percent": 33.3},
                    {"label": "C", "count": 1, "percent": 33.3},
                ],
            },
            {
                "id": ids[2],
                "kind": "text",
                "content": "Why?",
                "answered": 3,
                "answered_percent": 75.0,
                "answers": ["=1+2", "second", "first"],
            },
            {
                "id": ids[3],
                "kind": "number",
                "content": "How many?",
                "answered": 3,
                "answered_percent": 75.0,
                "summary": {"count": 3, "mean": 3.5, "min": 3, "max": 4.5},
                "histogram": [
                    {"value": 3, "count": 2, "percent": 66.7},
                    {"value": 4.5, "count": 1, "percent": 33.3},
                ],
            },
            {
                "id": ids[4],
                "kind": "rating",
                "content": "How good?",
                "answered": 3,
                "answered_percent": 75.0,
                "summary": {"count": 3, "mean": 4.667, "min": 4, "max": 5},
                "histogram": [
                    {"value": 1, "count": 0, "percent": 0.0},
                    {"value": 2, "count": 0, "percent": 0.0},
                    {"value": 3, "count": 0, "percent": 0.0},
                    {"value": 4, "count": 1, "percent": 33.3},
                    {"value": 5, "count": 2, "percent": 66.7},
                ],
            },
        ],
    }


def test_a_survey_without_answers_has_empty_results(api: Api) -> None:
    survey = api.survey(questions=EVERY_KIND)

    results = api.call("GET", f"/surveys/{survey['id']}/results", "alice").get_json()

    assert results["submissions"] == 0
    one, many, text, number, rating = results["questions"]
    assert one["answered_percent"] == 0.0
    assert [o["percent"] for o in one["options"]] == [0.0, 0.0, 0.0]
    assert [o["count"] for o in many["options"]] == [0, 0, 0]
    assert text["answers"] == []
    assert number["summary"] == {"count": 0, "mean": None, "min": None, "max": None}
    assert number["histogram"] == []
    assert [bar["count"] for bar in rating["histogram"]] == [0, 0, 0, 0, 0]


def test_a_number_question_with_many_values_is_shown_in_ten_bins(api: Api) -> None:
    survey = api.survey(questions=[{"kind": "number", "content": "Age?"}])
    for value in [*range(11), 10]:
        assert api.answer(survey, [value]).status_code == 201

    results = api.call("GET", f"/surveys/{survey['id']}/results", "alice").get_json()

    question = results["questions"][0]
    assert question["summary"] == {"count": 12, "mean": 5.417, "min": 0, "max": 10}
    bins = question["histogram"]
    assert [(b["from"], b["to"]) for b in bins] == [(n, n + 1) for n in range(10)]
    assert [b["count"] for b in bins] == [1] * 9 + [3]
    assert [b["percent"] for b in bins] == [8.3] * 9 + [25.0]


def test_whole_numbers_in_the_results_are_written_as_integers(api: Api) -> None:
    # The results go out through their declared model (SurveyResults): a whole value
    # stays 3, not 3.0, as the view computed it.
    survey = api.survey(questions=[{"kind": "number", "content": "Age?"}])
    for value in [*range(11), 2.5]:
        assert api.answer(survey, [value]).status_code == 201

    data = api.call("GET", f"/surveys/{survey['id']}/results", "alice").get_data(as_text=True)

    assert '"min":0,' in data and '"max":10}' in data
    assert '"from":0,"to":1,' in data and '"from":9,"to":10,' in data


def test_the_results_of_the_largest_numbers_are_still_numbers(api: Api) -> None:
    survey = api.survey(questions=[{"kind": "number", "content": "How far?"}])
    for value in (1e308, 1.5e308, -1e308):
        assert api.answer(survey, [value]).status_code == 201

    response = api.call("GET", f"/surveys/{survey['id']}/results", "alice")

    assert response.status_code == 200
    summary = response.get_json()["questions"][0]["summary"]
    assert summary["count"] == 3 and summary["min"] == -1e308 and summary["max"] == 1.5e308


def test_only_the_owner_and_administrators_see_the_results(api: Api) -> None:
    survey = api.survey(questions=EVERY_KIND)
    closed = api.survey(is_active=False)
    api.make_admin("root")

    for suffix in ("/results", "/results.csv"):
        assert "not yours" in error(api.call("GET", f"/surveys/{survey['id']}{suffix}", "bob"), 403)
        assert error(api.call("GET", f"/surveys/{closed['id']}{suffix}", "bob"), 404)
        assert api.call("GET", f"/surveys/{survey['id']}{suffix}").status_code == 401
        assert api.call("GET", f"/surveys/{survey['id']}{suffix}", "root").status_code == 200
        assert api.call("GET", f"/surveys/{closed['id']}{suffix}", "alice").status_code == 200


def test_the_csv_export_has_a_row_per_submission_and_quotes_formulas(api: Api) -> None:
    questions = [
        *EVERY_KIND[:3],
        {"kind": "text", "content": '=HYPERLINK("http://evil")'},
        {"kind": "number", "content": "N"},
    ]
    survey = api.survey(questions=questions)
    ids = [q["id"] for q in survey["questions"]]
    first = api.answer(survey, ["Red", ["C", "A"], "=1+2", "@SUM(A1)", -3]).get_json()
    second = api.answer(survey, ["Blue", None, "+cmd|' /C calc'!A0", "plain", 2.5]).get_json()

    response = api.call("GET", f"/surveys/{survey['id']}/results.csv", "alice")

    assert response.status_code == 200
    assert response.mimetype == "text/csv" and response.mimetype_params["charset"] == "utf-8"
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="survey-{survey["id"]}.csv"'
    )
    assert response.headers["Cache-Control"] == "private, no-store"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0] == [
        "submission",
        "submitted_at",
        f"Colour? [{ids[0]}]",
        f"Letters? [{ids[1]}]",
        f"Why? [{ids[2]}]",
        f'\'=HYPERLINK("http://evil") [{ids[3]}]',
        f"N [{ids[4]}]",
    ]
    assert rows[1] == [str(first["id"]), rows[1][1], "Red", "A; C", "'=1+2", "'@SUM(A1)", "-3"]
    assert rows[2] == [
        str(second["id"]),
        rows[2][1],
        "Blue",
        "",
        "'+cmd|' /C calc'!A0",
        "plain",
        "2.5",
    ]
    assert rows[1][1].startswith(first["created_at"][:19])
    assert len(rows) == 3


def test_the_csv_export_of_a_survey_without_submissions_is_its_header(api: Api) -> None:
    survey = api.survey(questions=[{"kind": "text", "content": "Q"}])

    response = api.call("GET", f"/surveys/{survey['id']}/results.csv", "alice")

    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows == [["submission", "submitted_at", f"Q [{survey['questions'][0]['id']}]"]]


def test_a_token_client_needs_no_csrf_token(app: Flask) -> None:
    client = app.test_client()
    token = api_token(client, "alice")
    created = client.post("/api/v1/surveys", json={"name": "Lunch"}, headers=bearer(token))
    closed = client.post(f"/api/v1/surveys/{created.get_json()['id']}/close", headers=bearer(token))

    assert closed.status_code == 200
