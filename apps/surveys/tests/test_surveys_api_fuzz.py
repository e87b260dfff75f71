"""Property-based fuzzing of the Surveys API v1, driven by its OpenAPI document: no
server error, and no answer the document does not describe, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask

from flask_plugboard.testing.fuzz import fuzz
from surveys_support import api_token, bearer

EVERY_KIND: list[dict[str, Any]] = [
    {"kind": "single_choice", "content": "One?", "options": ["a", "b"], "required": True},
    {"kind": "multiple_choice", "content": "Some?", "options": ["a", "b", "c"]},
    {"kind": "text", "content": "Why?", "settings": {"max_length": 20}},
    {"kind": "number", "content": "How many?", "settings": {"min": 0, "integer": True}},
    {"kind": "rating", "content": "How good?"},
]


def test_the_api_survives_fuzzing_with_a_token_and_keeps_to_its_document(
    make_surveys_app: Callable[..., Flask],
) -> None:
    app = make_surveys_app(REQLOG_LOGGER="")
    client = app.test_client()
    token = api_token(client, "alice")
    # Surveys the generated ids (small numbers first) find: open ones, a closed one, one
    # taking one answer per respondent, one with answers.
    for fields in (
        {"is_active": True},
        {"is_active": True, "one_per_respondent": True},
        {"is_active": False},
    ):
        created = client.post(
            "/api/v1/surveys",
            json={"name": "Fuzzed", "questions": EVERY_KIND, **fields},
            headers=bearer(token),
        )
        assert created.status_code == 201, created.get_json()
    first = client.get("/api/v1/surveys/1").get_json()
    answered = client.post(
        "/api/v1/surveys/1/submissions",
        json={"answers": [{"question_id": first["questions"][0]["id"], "value": "a"}]},
    )
    assert answered.status_code == 201, answered.get_json()

    assert fuzz(app, path_regex="^/api/v1/", headers=bearer(token)) == []


def test_the_api_survives_fuzzing_without_a_token(make_surveys_app: Callable[..., Flask]) -> None:
    app = make_surveys_app(REQLOG_LOGGER="")
    client = app.test_client()
    token = api_token(client, "alice")
    created = client.post(
        "/api/v1/surveys",
        json={"name": "Open to all", "is_active": True, "questions": EVERY_KIND},
        headers=bearer(token),
    )
    assert created.status_code == 201

    assert fuzz(app, path_regex="^/api/v1/", examples=10) == []
