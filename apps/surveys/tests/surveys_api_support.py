"""What the tests of the Surveys API v1 share: a client with users and their tokens, and
surveys made through the API."""

from __future__ import annotations

import dataclasses
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from flask_plugboard.plugins.auth import add_role
from surveys_support import api_token, bearer

API = "/api/v1"

#: One question of each kind, the choice ones first.
EVERY_KIND: list[dict[str, Any]] = [
    {
        "kind": "single_choice",
        "content": "Colour?",
        "options": ["Red", "Green", "Blue"],
        "required": True,
    },
    {"kind": "multiple_choice", "content": "Letters?", "options": ["A", "B", "C"]},
    {"kind": "text", "content": "Why?", "settings": {"max_length": 20}},
    {"kind": "number", "content": "How many?"},
    {"kind": "rating", "content": "How good?"},
]


@dataclasses.dataclass
class Api:
    """A test client of the API, with a token per user."""

    app: Flask
    client: FlaskClient
    tokens: dict[str, str] = dataclasses.field(default_factory=dict)

    def token(self, username: str) -> str:
        if username not in self.tokens:
            self.tokens[username] = api_token(self.client, username)
        return self.tokens[username]

    def make_admin(self, username: str) -> None:
        self.token(username)
        with self.app.app_context():
            add_role(username, "admin")

    def call(
        self, method: str, path: str, as_user: str | None = None, **kwargs: Any
    ) -> TestResponse:
        headers = dict(kwargs.pop("headers", {}))
        if as_user is not None:
            headers.update(bearer(self.token(as_user)))
        return self.client.open(API + path, method=method, headers=headers, **kwargs)

    def survey(self, as_user: str = "alice", **fields: Any) -> dict[str, Any]:
        """Create a survey (open unless ``is_active=False``); its JSON."""
        body = {"name": "Lunch", "is_active": True, **fields}
        response = self.call("POST", "/surveys", as_user, json=body)
        assert response.status_code == 201, response.get_json()
        created: dict[str, Any] = response.get_json()
        return created

    def answer(
        self, survey: dict[str, Any], values: list[Any], as_user: str | None = None
    ) -> TestResponse:
        """Submit ``values``, one per question of ``survey`` in order (None: left out)."""
        answers = [
            {"question_id": q["id"], "value": v}
            for q, v in zip(survey["questions"], values, strict=True)
            if v is not None
        ]
        return self.call(
            "POST", f"/surveys/{survey['id']}/submissions", as_user, json={"answers": answers}
        )


def errors(response: TestResponse) -> dict[str, str]:
    """The fields a 422 names, with their messages."""
    assert response.status_code == 422, (response.status_code, response.get_data(as_text=True))
    body = response.get_json()
    assert body["error"] == "invalid request", body
    for error in body["errors"]:
        assert set(error) == {"in", "field", "message", "type"}, error
    return {error["field"]: error["message"] for error in body["errors"]}


def error(response: TestResponse, status: int) -> str:
    """The message of a ``{"error": ...}`` answer with ``status``."""
    assert response.status_code == status, (response.status_code, response.get_data(as_text=True))
    body = response.get_json()
    assert set(body) == {"error"}, body
    message: str = body["error"]
    return message
