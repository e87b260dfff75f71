"""The old flaskForms backend's endpoints, as its clients use them: header parameters,
business errors with status 200, token errors in flask-jwt-extended 3's words."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from flask_plugboard.plugins.auth import add_role, delete_user, find_user
from plugboard_surveys import _legacy as legacy
from plugboard_surveys import _service as service
from surveys_support import PASSWORD, bearer, legacy_register, message

DUE = "2099-12-31 10:11:12"
QUESTIONS = [
    {"content": "Favourite colour?", "type": "radio", "replyContent": ["red", "green", "blue"]},
    {"content": "Which pets?", "type": "checkbox", "replyContent": ["cat", "dog"]},
    {"content": "Your age", "type": "number"},
    {"content": "Anything else?", "type": "text"},
]


def _survey(client: FlaskClient, token: str, name: str = "Lunch", **headers: str) -> Any:
    fields = {"name": name, "duedate": DUE, "isactive": "True", **headers}
    response = client.post(
        "/addsurvey", headers=bearer(token, **fields), json={"questions": QUESTIONS}
    )
    assert message(response) == f"Survey {name} was created"
    return response


def _surveys(client: FlaskClient, token: str) -> list[dict[str, Any]]:
    body = client.get("/getsurveys", headers=bearer(token)).get_json()
    assert "surveys" in body, body
    return list(body["surveys"])


def _lunch(client: FlaskClient) -> tuple[str, int]:
    """Alice's access token and the id of her active survey Lunch (:data:`QUESTIONS`)."""
    access = legacy_register(client)["access_token"]
    _survey(client, access)
    return access, _surveys(client, access)[0]["id"]


# -- register and login ------------------------------------------------------------------


def test_register_answers_with_a_message_and_both_tokens(client: FlaskClient) -> None:
    body = legacy_register(client, "alice")
    assert body["message"] == "User alice was created"
    assert set(body) == {"message", "access_token", "refresh_token"}
    assert client.get("/getsurveys", headers=bearer(body["access_token"])).status_code == 200


@pytest.mark.parametrize(
    ("headers", "missing"),
    [
        ({}, "username"),
        ({"username": "bob"}, "email"),
        ({"username": "bob", "email": "bob@example.org"}, "password"),
        ({"email": "bob@example.org", "password": PASSWORD}, "username"),
        ({"username": "  ", "email": "bob@example.org", "password": PASSWORD}, "username"),
    ],
)
def test_register_names_the_first_missing_field(
    client: FlaskClient, headers: dict[str, str], missing: str
) -> None:
    response = client.post("/register", headers=headers)
    assert response.status_code == 400
    assert response.get_json() == {"message": {missing: "This field cannot be blank"}}


def test_register_refuses_taken_names_and_addresses_with_status_200(client: FlaskClient) -> None:
    legacy_register(client, "alice")
    again = client.post(
        "/register", headers={"username": "ALICE", "email": "new@example.org", "password": PASSWORD}
    )
    assert again.status_code == 200
    assert message(again) == "User ALICE already exists"
    same_mail = client.post(
        "/register",
        headers={"username": "carol", "email": "alice@example.org", "password": PASSWORD},
    )
    assert (same_mail.status_code, message(same_mail)) == (
        200,
        "User with email alice@example.org already exists",
    )


@pytest.mark.parametrize(
    ("headers", "field"),
    [
        ({"username": "bob", "email": "bob@example.org", "password": "short"}, "password"),
        ({"username": "bob", "email": "not-an-address", "password": PASSWORD}, "email"),
        ({"username": "bo b", "email": "bob@example.org", "password": PASSWORD}, "username"),
        ({"username": "b@b.org", "email": "bob@example.org", "password": PASSWORD}, "username"),
    ],
)
def test_register_refuses_unusable_input_naming_the_field(
    app: Flask, client: FlaskClient, headers: dict[str, str], field: str
) -> None:
    response = client.post("/register", headers=headers)
    assert response.status_code == 400
    assert set(response.get_json()["message"]) == {field}
    with app.app_context():
        assert find_user("bob") is None


def test_usernames_are_case_insensitive_as_the_readme_says(client: FlaskClient) -> None:
    legacy_register(client, "alice")
    response = client.post("/login", headers={"username": "ALICE", "password": PASSWORD})
    assert message(response) == "Logged in as alice"


def test_login_gives_new_tokens_and_the_old_messages(client: FlaskClient) -> None:
    legacy_register(client, "alice")
    ok = client.post("/login", headers={"username": "alice", "password": PASSWORD})
    assert ok.status_code == 200
    assert set(ok.get_json()) == {"message", "access_token", "refresh_token"}
    assert message(ok) == "Logged in as alice"
    assert ok.headers["Cache-Control"] == "no-store"
    wrong = client.post("/login", headers={"username": "alice", "password": "not it at all"})
    assert (wrong.status_code, message(wrong)) == (200, "Wrong credentials")
    nobody = client.post("/login", headers={"username": "zed", "password": PASSWORD})
    assert (nobody.status_code, message(nobody)) == (200, "User zed doesn't exist")
    missing = client.post("/login", headers={"username": "alice"})
    assert missing.status_code == 400
    assert missing.get_json() == {"message": {"password": "This field cannot be blank"}}


def _work(app: Flask, request: Any) -> tuple[list[str], int]:
    """The SQL statements (text, no values) and commits of ``request()``, and its answer
    kept aside: the database work a request costs."""
    from flask_plugboard.db import get_db

    statements: list[str] = []
    commits: list[object] = []
    with app.app_context():
        engine = get_db(app).engine

    def note(conn: object, cursor: object, statement: str, *args: object) -> None:
        statements.append(statement)

    def commit(conn: object) -> None:
        commits.append(conn)

    sa.event.listen(engine, "before_cursor_execute", note)
    sa.event.listen(engine, "commit", commit)
    try:
        request()
    finally:
        sa.event.remove(engine, "before_cursor_execute", note)
        sa.event.remove(engine, "commit", commit)
    return statements, len(commits)


def test_login_costs_the_same_for_an_unknown_name_as_for_a_wrong_password(
    app: Flask, client: FlaskClient
) -> None:
    legacy_register(client, "alice")

    def login(name: str) -> Any:
        def post() -> None:
            answer = client.post("/login", headers={"username": name, "password": "not it at all"})
            answers.append(message(answer))

        return post

    answers: list[str] = []
    wrong = _work(app, login("alice"))
    nobody = _work(app, login("zed"))

    assert answers == ["Wrong credentials", "User zed doesn't exist"]
    assert wrong == nobody and wrong[1] == 1


def test_register_costs_the_same_for_a_taken_name_as_for_a_free_one(
    app: Flask, client: FlaskClient
) -> None:
    legacy_register(client, "alice")
    hashes: list[str] = []
    passwords = app.extensions["auth.state"].passwords
    hash_once = passwords.hash

    def counted(password: str) -> str:
        hashes.append(password)
        return str(hash_once(password))

    passwords.hash = counted  # type: ignore[method-assign]
    def register(name: str) -> Any:
        headers = {"username": name, "email": "carol@example.org", "password": PASSWORD}
        return lambda: client.post("/register", headers=headers)

    taken, _ = _work(app, register("alice"))
    free, _ = _work(app, register("carol"))

    assert len(hashes) == 2  # the taken name was hashed too, before the one lookup
    assert taken[0] == free[0] and taken[0].startswith("SELECT")


def test_registrations_are_limited_per_address_with_a_legacy_message(
    make_surveys_app: Any,
) -> None:
    client = make_surveys_app(AUTH_REGISTER_LIMIT="2/minute").test_client()
    legacy_register(client, "alice")
    api = client.post("/auth/api/register", json={"username": "bob", "password": PASSWORD})
    assert api.status_code == 201  # auth's own register draws on the same budget

    refused = client.post(
        "/register",
        headers={"username": "carol", "email": "carol@example.org", "password": PASSWORD},
    )

    assert refused.status_code == 429 and refused.headers["Retry-After"]
    assert set(refused.get_json()) == {"message"}
    assert "rate limit exceeded" in message(refused) and "try again in " in message(refused)


# -- tokens ------------------------------------------------------------------------------


def test_logout_access_revokes_that_token(client: FlaskClient) -> None:
    tokens = legacy_register(client)
    access = tokens["access_token"]
    assert message(client.post("/logout/access", headers=bearer(access))) == (
        "Access token has been revoked"
    )
    again = client.get("/getsurveys", headers=bearer(access))
    assert (again.status_code, again.get_json()) == (401, {"msg": "Token has been revoked"})


def test_logout_refresh_revokes_the_whole_login(client: FlaskClient) -> None:
    tokens = legacy_register(client)
    refresh = tokens["refresh_token"]
    assert message(client.post("/logout/refresh", headers=bearer(refresh))) == (
        "Refresh token has been revoked"
    )
    again = client.post("/token/refresh", headers=bearer(refresh))
    assert (again.status_code, again.get_json()) == (401, {"msg": "Token has been revoked"})
    assert client.get("/getsurveys", headers=bearer(tokens["access_token"])).status_code == 401


def test_token_refresh_keeps_the_refresh_token_usable(client: FlaskClient) -> None:
    refresh = legacy_register(client)["refresh_token"]
    for _ in range(3):  # the old clients keep one refresh token for its 30 days
        response = client.post("/token/refresh", headers=bearer(refresh))
        assert response.status_code == 200
        assert set(response.get_json()) == {"access_token"}
        access = response.get_json()["access_token"]
        assert client.get("/getsurveys", headers=bearer(access)).status_code == 200


BAD_HEADER = "Bad Authorization header. Expected value 'Bearer <JWT>'"


@pytest.mark.parametrize(
    ("headers", "status", "text"),
    [
        ({}, 401, "Missing Authorization Header"),
        ({"Authorization": "Token abc"}, 422, BAD_HEADER),
        ({"Authorization": "Bearer"}, 422, BAD_HEADER),
        ({"Authorization": "Bearer a b"}, 422, BAD_HEADER),
        ({"Authorization": "Bearer abc"}, 422, "Not enough segments"),
    ],
)
def test_token_errors_speak_flask_jwt_extended_3(
    client: FlaskClient, headers: dict[str, str], status: int, text: str
) -> None:
    response = client.get("/getsurveys", headers=headers)
    assert (response.status_code, response.get_json()) == (status, {"msg": text})


def test_wrong_token_types_are_named_as_before(client: FlaskClient) -> None:
    tokens = legacy_register(client)
    refresh_for_access = client.get("/getsurveys", headers=bearer(tokens["refresh_token"]))
    assert (refresh_for_access.status_code, refresh_for_access.get_json()) == (
        422,
        {"msg": "Only access tokens are allowed"},
    )
    access_for_refresh = client.post("/token/refresh", headers=bearer(tokens["access_token"]))
    assert (access_for_refresh.status_code, access_for_refresh.get_json()) == (
        422,
        {"msg": "Only refresh tokens are allowed"},
    )


def test_a_token_from_another_key_fails_signature(client: FlaskClient) -> None:
    import jwt

    forged = jwt.encode({"sub": "1", "type": "access", "jti": "x"}, "another key" * 4, "HS256")
    response = client.get("/getsurveys", headers=bearer(forged))
    assert (response.status_code, response.get_json()) == (
        422,
        {"msg": "Signature verification failed"},
    )


def test_the_token_of_a_deleted_user_gets_401(app: Flask, client: FlaskClient) -> None:
    access = legacy_register(client, "alice")["access_token"]
    with app.app_context():
        user = find_user("alice")
        assert user is not None
        delete_user(user)
    response = client.get("/getsurveys", headers=bearer(access))
    assert response.status_code == 401
    assert set(response.get_json()) == {"msg"}


# -- surveys -----------------------------------------------------------------------------


def test_addsurvey_then_getsurveys_and_activesurveys(client: FlaskClient) -> None:
    access = legacy_register(client)["access_token"]
    assert message(client.get("/getsurveys", headers=bearer(access))) == "User alice has no surveys"
    assert message(client.get("/activesurveys")) == "There are no active surveys"
    _survey(client, access, desc="Where to eat")
    listed = _surveys(client, access)
    assert listed == [
        {
            "id": listed[0]["id"],
            "name": "Lunch",
            "isActive": True,
            "dueDate": DUE,
            "subCount": 0,
            "desc": "Where to eat",
        }
    ]
    assert client.get("/activesurveys").get_json() == {"surveys": listed}


def test_addsurvey_defaults_and_inactive_surveys(client: FlaskClient) -> None:
    access = legacy_register(client)["access_token"]
    response = client.post(
        "/addsurvey", headers=bearer(access, name="Draft", duedate=DUE, isactive="False")
    )
    assert message(response) == "Survey Draft was created"
    listed = _surveys(client, access)
    assert listed[0]["desc"] == "Add description!"
    assert listed[0]["isActive"] is False
    assert message(client.get("/activesurveys")) == "There are no active surveys"


def test_past_due_surveys_are_not_active(client: FlaskClient) -> None:
    access = legacy_register(client)["access_token"]
    _survey(client, access, duedate="2001-01-01 00:00:00")
    assert message(client.get("/activesurveys")) == "There are no active surveys"


@pytest.mark.parametrize(
    ("headers", "field"),
    [
        ({}, "name"),
        ({"name": "x"}, "duedate"),
        ({"name": "x", "duedate": "tomorrow"}, "duedate"),
        ({"name": "x", "duedate": "2099-13-45 10:00:00"}, "duedate"),
        ({"name": "x" * 201, "duedate": DUE}, "name"),
    ],
)
def test_addsurvey_refuses_bad_headers_with_400(
    client: FlaskClient, headers: dict[str, str], field: str
) -> None:
    access = legacy_register(client)["access_token"]
    response = client.post("/addsurvey", headers=bearer(access, **headers))
    assert response.status_code == 400
    assert set(response.get_json()["message"]) == {field}
    assert message(client.get("/getsurveys", headers=bearer(access))) == "User alice has no surveys"


def test_addsurvey_is_all_or_nothing(client: FlaskClient) -> None:
    access = legacy_register(client)["access_token"]
    bad = [QUESTIONS[0], {"content": "no type here"}]
    response = client.post(
        "/addsurvey", headers=bearer(access, name="Half", duedate=DUE), json={"questions": bad}
    )
    assert response.status_code == 400
    assert "questions" in response.get_json()["message"]
    assert message(client.get("/getsurveys", headers=bearer(access))) == "User alice has no surveys"


def test_addsurvey_takes_questions_as_python_literals_from_a_form(client: FlaskClient) -> None:
    # What reqparse made of a JSON list of objects: their str(), which the old API
    # turned back with ast.literal_eval.
    access = legacy_register(client)["access_token"]
    form = {"questions": [str(QUESTIONS[0]), str(QUESTIONS[2])]}
    response = client.post(
        "/addsurvey", headers=bearer(access, name="Form", duedate=DUE, isactive="True"), data=form
    )
    assert message(response) == "Survey Form was created"
    survey_id = _surveys(client, access)[0]["id"]
    questions = client.get("/getsurveyquestions", headers={"idSurvey": str(survey_id)})
    assert [q["content"] for q in questions.get_json()["questions"]] == [
        "Favourite colour?",
        "Your age",
    ]


@pytest.mark.parametrize(
    ("literal", "why"),
    [
        ("{1,2}", "a set is not a JSON value"),
        ("1j", "a complex number is not a JSON value"),
        ("b'x'", "bytes is not a JSON value"),
        ("{(1,2):3}", "an object's key is a tuple: JSON keys are text"),
    ],
)
def test_addsurvey_refuses_python_literals_that_are_no_json(
    client: FlaskClient, literal: str, why: str
) -> None:
    access = legacy_register(client)["access_token"]
    form = {"questions": "{'content': 'c', 'type': 'text', 'replyContent': " + literal + "}"}
    response = client.post("/addsurvey", headers=bearer(access, name="Odd", duedate=DUE), data=form)
    assert response.status_code == 400
    assert why in response.get_json()["message"]["questions"]
    assert message(client.get("/getsurveys", headers=bearer(access))) == "User alice has no surveys"


def test_addsurvey_keeps_a_tuple_literal_as_a_json_array(client: FlaskClient) -> None:
    access = legacy_register(client)["access_token"]
    form = {"questions": "{'content': 'c', 'type': 'radio', 'replyContent': ('a', 'b')}"}
    response = client.post(
        "/addsurvey", headers=bearer(access, name="T", duedate=DUE, isactive="True"), data=form
    )
    assert message(response) == "Survey T was created"
    survey_id = _surveys(client, access)[0]["id"]
    shown = client.get("/getsurveyquestions", headers={"idSurvey": str(survey_id)}).get_json()
    assert shown["questions"][0]["replyContent"] == ["a", "b"]


DEEP_JSON = "[" * 50_000 + "]" * 50_000


@pytest.mark.parametrize("path", ["/addreply", "/addsurvey", "/addquestion"])
def test_json_nested_50000_levels_deep_is_a_400_naming_it(client: FlaskClient, path: str) -> None:
    access = legacy_register(client)["access_token"]
    headers = bearer(
        access, idQuestion="1", idSurvey="1", name="n", duedate=DUE, content="c", type="text"
    )
    response = client.post(path, headers=headers, data=DEEP_JSON, content_type="application/json")
    assert response.status_code == 400
    assert "nested deeper than 64 levels" in message(response)


def test_a_form_of_questions_nested_3000_levels_deep_is_a_400_naming_it(
    client: FlaskClient,
) -> None:
    access = legacy_register(client)["access_token"]
    form = {"questions": "[" * 3000 + "]" * 3000}
    response = client.post("/addsurvey", headers=bearer(access, name="n", duedate=DUE), data=form)
    assert response.status_code == 400
    assert response.get_json()["message"] == {
        "questions": "arrays and objects are nested deeper than 64 levels"
    }


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/v1/surveys", DEEP_JSON),
        ("/auth/api/login", DEEP_JSON),
        ("/auth/api/register", DEEP_JSON),
        ("/api/v1/surveys", '{"name": ' + "[" * 100 + "]" * 100 + "}"),
    ],
)
def test_the_apis_refuse_deep_json_with_a_4xx(client: FlaskClient, path: str, body: str) -> None:
    access = legacy_register(client)["access_token"]
    response = client.post(
        path, headers=bearer(access), data=body, content_type="application/json"
    )
    assert 400 <= response.status_code < 500, response.get_data(as_text=True)


def test_getsurveyquestions_keeps_types_and_reply_content(client: FlaskClient) -> None:
    access = legacy_register(client)["access_token"]
    _survey(client, access)
    survey_id = _surveys(client, access)[0]["id"]
    body = client.get("/getsurveyquestions", headers={"idSurvey": str(survey_id)}).get_json()
    assert [(q["content"], q["type"], q["replyContent"]) for q in body["questions"]] == [
        (q["content"], q["type"], q.get("replyContent")) for q in QUESTIONS
    ]
    assert all(isinstance(q["id"], int) for q in body["questions"])


def test_getsurveyquestions_errors(client: FlaskClient) -> None:
    access = legacy_register(client)["access_token"]
    assert message(client.get("/getsurveyquestions", headers={"idSurvey": "999"})) == (
        "Survey doesn't exist"
    )
    bad = client.get("/getsurveyquestions", headers={"idSurvey": "one"})
    assert bad.status_code == 400
    assert set(bad.get_json()["message"]) == {"idSurvey"}
    missing = client.get("/getsurveyquestions")
    assert missing.get_json() == {"message": {"idSurvey": "This field cannot be blank"}}
    # An inactive survey is its owner's business only.
    client.post("/addsurvey", headers=bearer(access, name="Draft", duedate=DUE))
    draft = _surveys(client, access)[0]["id"]
    assert message(client.get("/getsurveyquestions", headers={"idSurvey": str(draft)})) == (
        "Survey doesn't exist"
    )
    mine = client.get("/getsurveyquestions", headers=bearer(access, idSurvey=str(draft)))
    assert mine.get_json() == {"questions": []}


def test_addquestion_owner_only(client: FlaskClient) -> None:
    access = legacy_register(client, "alice")["access_token"]
    other = legacy_register(client, "bob")["access_token"]
    _survey(client, access)
    survey_id = str(_surveys(client, access)[0]["id"])
    fields = {"idSurvey": survey_id, "content": "Dessert?", "type": "radio"}
    added = client.post(
        "/addquestion", headers=bearer(access, **fields), json={"replyContent": ["yes", "no"]}
    )
    assert message(added) == "Question was added"
    refused = client.post("/addquestion", headers=bearer(other, **fields))
    assert (refused.status_code, message(refused)) == (200, "User bob not permited")
    gone = client.post("/addquestion", headers=bearer(access, **{**fields, "idSurvey": "999"}))
    assert message(gone) == "Survey doesn't exist"
    questions = client.get("/getsurveyquestions", headers={"idSurvey": survey_id}).get_json()
    assert questions["questions"][-1]["replyContent"] == ["yes", "no"]
    assert len(questions["questions"]) == len(QUESTIONS) + 1


@pytest.mark.parametrize(
    ("headers", "field"),
    [
        ({}, "idSurvey"),
        ({"idSurvey": "1"}, "content"),
        ({"idSurvey": "1", "content": "x"}, "type"),
        ({"idSurvey": "-1", "content": "x", "type": "text"}, "idSurvey"),
    ],
)
def test_addquestion_refuses_missing_and_bad_fields(
    client: FlaskClient, headers: dict[str, str], field: str
) -> None:
    access = legacy_register(client)["access_token"]
    response = client.post("/addquestion", headers=bearer(access, **headers))
    assert response.status_code == 400
    assert set(response.get_json()["message"]) == {field}


def _question_ids(client: FlaskClient, survey_id: int) -> list[int]:
    body = client.get("/getsurveyquestions", headers={"idSurvey": str(survey_id)}).get_json()
    return [q["id"] for q in body["questions"]]


def test_addreply_keeps_json_values_and_counts_submissions(client: FlaskClient) -> None:
    access = legacy_register(client)["access_token"]
    _survey(client, access)
    survey_id = _surveys(client, access)[0]["id"]
    colour, pets, age, text = _question_ids(client, survey_id)
    replies = [(colour, "red"), (colour, "blue"), (pets, ["cat", "dog"]), (age, 42), (text, "hi")]
    for question_id, reply in replies:
        answer = client.post(
            "/addreply", headers={"idQuestion": str(question_id)}, json={"reply": reply}
        )
        assert (answer.status_code, message(answer)) == (200, "Reply was added")
    assert _surveys(client, access)[0]["subCount"] == len(replies)
    stats = client.get("/getsurveystats", headers=bearer(access, id=str(survey_id))).get_json()
    assert stats == [
        {
            "id": colour,
            "type": "radio",
            "votes": 2,
            "content": "Favourite colour?",
            "answers": ["red", "blue"],
        },
        {
            "id": pets,
            "type": "checkbox",
            "votes": 1,
            "content": "Which pets?",
            "answers": [["cat", "dog"]],
        },
        {"id": age, "type": "number", "votes": 1, "content": "Your age", "answers": [42]},
        {"id": text, "type": "text", "votes": 1, "content": "Anything else?", "answers": ["hi"]},
    ]


def test_activesurveys_shows_each_reply_at_once_as_getsurveys_does(client: FlaskClient) -> None:
    # The two listings are read differently (rows for the public one): same wire format,
    # and no stale subCount.
    access, survey_id = _lunch(client)
    for count in (1, 2):
        reply = client.post(
            "/addreply", headers={"idQuestion": str(_question_ids(client, survey_id)[0])},
            json={"reply": "red"},
        )
        assert message(reply) == "Reply was added"
        listed = client.get("/activesurveys").get_json()["surveys"]
        assert listed == _surveys(client, access)
        assert listed[0]["subCount"] == count


def test_getsurveyquestions_follows_the_order_of_the_questions(
    app: Flask, client: FlaskClient
) -> None:
    _, survey_id = _lunch(client)
    asked = {"idSurvey": str(survey_id)}
    before = client.get("/getsurveyquestions", headers=asked).get_json()["questions"]
    with app.app_context():
        service.reorder_questions(service.get_survey(survey_id), [q["id"] for q in before][::-1])
    after = client.get("/getsurveyquestions", headers=asked).get_json()["questions"]
    assert after == before[::-1]


def test_getsurveyquestions_shows_an_inactive_survey_to_its_owner_and_admins_only(
    app: Flask, client: FlaskClient
) -> None:
    alice = legacy_register(client, "alice")["access_token"]
    _survey(client, alice, isactive="False")
    draft = str(_surveys(client, alice)[0]["id"])
    bob = legacy_register(client, "bob")["access_token"]
    for headers in ({"idSurvey": draft}, bearer(bob, idSurvey=draft)):
        assert message(client.get("/getsurveyquestions", headers=headers)) == (
            "Survey doesn't exist"
        )
    for token in (alice, _admin(app, client)):
        shown = client.get("/getsurveyquestions", headers=bearer(token, idSurvey=draft))
        assert [q["content"] for q in shown.get_json()["questions"]] == [
            q["content"] for q in QUESTIONS
        ]


def test_addreply_from_a_form_or_query(client: FlaskClient) -> None:
    access = legacy_register(client)["access_token"]
    _survey(client, access)
    colour = _question_ids(client, _surveys(client, access)[0]["id"])[0]
    assert (
        message(
            client.post("/addreply", headers={"idQuestion": str(colour)}, data={"reply": "green"})
        )
        == "Reply was added"
    )
    assert (
        message(client.post("/addreply?reply=red", headers={"idQuestion": str(colour)}))
        == "Reply was added"
    )


def test_addreply_errors(client: FlaskClient) -> None:
    access = legacy_register(client)["access_token"]
    _survey(client, access)
    survey_id = _surveys(client, access)[0]["id"]
    colour = _question_ids(client, survey_id)[0]
    assert message(
        client.post("/addreply", headers={"idQuestion": "999"}, json={"reply": "x"})
    ) == ("Question doesn't exist")
    missing = client.post("/addreply", headers={"idQuestion": str(colour)}, json={})
    assert missing.get_json() == {"message": {"reply": "This field cannot be blank"}}
    no_id = client.post("/addreply", json={"reply": "x"})
    assert no_id.get_json() == {"message": {"idQuestion": "This field cannot be blank"}}
    huge = client.post(
        "/addreply", headers={"idQuestion": str(colour)}, json={"reply": "x" * 20_000}
    )
    assert huge.status_code == 400
    broken = client.post(
        "/addreply",
        headers={"idQuestion": str(colour)},
        data="{not json",
        content_type="application/json",
    )
    assert broken.status_code == 400
    assert _surveys(client, access)[0]["subCount"] == 0


def test_a_closed_survey_takes_no_replies(client: FlaskClient) -> None:
    access = legacy_register(client)["access_token"]
    client.post(
        "/addsurvey",
        headers=bearer(access, name="Closed", duedate=DUE, isactive="False"),
        json={"questions": QUESTIONS},
    )
    survey_id = _surveys(client, access)[0]["id"]
    question = client.get("/getsurveyquestions", headers=bearer(access, idSurvey=str(survey_id)))
    first = question.get_json()["questions"][0]["id"]
    refused = client.post("/addreply", headers={"idQuestion": str(first)}, json={"reply": "red"})
    assert (refused.status_code, message(refused)) == (200, "Survey is closed")
    assert _surveys(client, access)[0]["subCount"] == 0


def test_getsurveystats_errors(client: FlaskClient) -> None:
    access = legacy_register(client)["access_token"]
    unknown = client.get("/getsurveystats", headers=bearer(access, id="12"))
    assert message(unknown) == "Survey 12 doesn't exist"
    bad = client.get("/getsurveystats", headers=bearer(access, id="x1"))
    assert bad.status_code == 400


def test_getsurveystats_is_its_owners_and_administrators_only(
    app: Flask, client: FlaskClient
) -> None:
    access, survey_id = _lunch(client)
    _, _, _, text = _question_ids(client, survey_id)
    client.post("/addreply", headers={"idQuestion": str(text)}, json={"reply": "my secret"})
    anonymous = client.get("/getsurveystats", headers={"id": str(survey_id)})
    assert anonymous.status_code == 401
    assert anonymous.get_json() == {"msg": "Missing Authorization Header"}
    bob = legacy_register(client, "bob")["access_token"]
    other = client.get("/getsurveystats", headers=bearer(bob, id=str(survey_id)))
    assert (other.status_code, message(other)) == (200, "User bob not permited")
    assert "my secret" not in other.get_data(as_text=True)
    owner = client.get("/getsurveystats", headers=bearer(access, id=str(survey_id)))
    assert owner.get_json()[3]["answers"] == ["my secret"]
    admin = _admin(app, client)
    assert client.get("/getsurveystats", headers=bearer(admin, id=str(survey_id))).get_json()[3][
        "answers"
    ] == ["my secret"]


def test_surveys_legacy_public_stats_gives_them_to_anyone_as_before(
    make_surveys_app: Any,
) -> None:
    client = make_surveys_app(SURVEYS_LEGACY_PUBLIC_STATS=True).test_client()
    _, survey_id = _lunch(client)
    _, _, _, text = _question_ids(client, survey_id)
    client.post("/addreply", headers={"idQuestion": str(text)}, json={"reply": "hi"})
    stats = client.get("/getsurveystats", headers={"id": str(survey_id)})
    assert stats.status_code == 200
    assert stats.get_json()[3]["answers"] == ["hi"]
    unknown = client.get("/getsurveystats", headers={"id": "12"})
    assert message(unknown) == "Survey 12 doesn't exist"


#: Each endpoint taking an id header, the header, and what it answers for no such id.
ID_ENDPOINTS = [
    ("GET", "/getsurveyquestions", "idSurvey", "Survey doesn't exist"),
    ("GET", "/getsurveystats", "id", "Survey {id} doesn't exist"),
    ("POST", "/addquestion", "idSurvey", "Survey doesn't exist"),
    ("POST", "/addreply", "idQuestion", "Question doesn't exist"),
]


@pytest.mark.parametrize(("method", "path", "header", "unknown"), ID_ENDPOINTS)
@pytest.mark.parametrize("value", ["\u00b2", "\u00b9\u00b2", "\u0967\u0968", "-1", "1.0"])
def test_an_id_in_other_digits_than_0_to_9_is_a_400_naming_it(
    client: FlaskClient, method: str, path: str, header: str, unknown: str, value: str
) -> None:
    access = legacy_register(client)["access_token"]
    headers = bearer(access, **{header: value, "content": "Why?", "type": "text"})
    response = client.open(path, method=method, headers=headers, json={"reply": "x"})
    assert response.status_code == 400
    assert list(response.get_json()["message"]) == [header]
    assert "digits 0-9" in response.get_json()["message"][header]


@pytest.mark.parametrize(("method", "path", "header", "unknown"), ID_ENDPOINTS)
@pytest.mark.parametrize("value", ["2147483648", "0", "999999999999999999"])
def test_an_id_past_the_databases_integers_is_answered_as_unknown(
    client: FlaskClient, method: str, path: str, header: str, unknown: str, value: str
) -> None:
    access = legacy_register(client)["access_token"]
    headers = bearer(access, **{header: value, "content": "Why?", "type": "text"})
    response = client.open(path, method=method, headers=headers, json={"reply": "x"})
    assert (response.status_code, message(response)) == (200, unknown.format(id=value))


# -- the old API's shapes of errors ----------------------------------------------------------


def test_the_legacy_paths_are_the_legacy_routes(app: Flask) -> None:
    routes = {r.rule for r in app.url_map.iter_rules() if r.endpoint.startswith("surveys.legacy.")}
    assert routes == legacy.PATHS


@pytest.mark.parametrize(("method", "path"), [("PUT", "/activesurveys"), ("GET", "/addreply")])
def test_a_method_a_legacy_endpoint_does_not_take_is_405_with_a_message(
    client: FlaskClient, method: str, path: str
) -> None:
    response = client.open(path, method=method, headers={"Accept": "application/json"})
    assert response.status_code == 405
    assert response.get_json() == {"message": "The method is not allowed for the requested URL."}
    assert "Allow" in response.headers


def test_a_question_added_with_an_empty_reply_content_reads_back_null(
    client: FlaskClient,
) -> None:
    access, survey_id = _lunch(client)
    headers = bearer(access, idSurvey=str(survey_id), content="Empty?", type="radio")
    added = client.post("/addquestion", headers=headers, json={"replyContent": []})
    assert message(added) == "Question was added"
    shown = client.get("/getsurveyquestions", headers={"idSurvey": str(survey_id)}).get_json()
    assert shown["questions"][-1]["replyContent"] is None


def test_a_rate_limited_legacy_reply_is_429_with_a_message(
    make_surveys_app: Any,
) -> None:
    client = make_surveys_app(SURVEYS_SUBMIT_LIMIT="1/minute").test_client()
    _, survey_id = _lunch(client)
    text = _question_ids(client, survey_id)[3]
    first = client.post("/addreply", headers={"idQuestion": str(text)}, json={"reply": "a"})
    assert message(first) == "Reply was added"
    limited = client.post("/addreply", headers={"idQuestion": str(text)}, json={"reply": "b"})
    assert limited.status_code == 429
    assert set(limited.get_json()) == {"message"}
    assert "rate limit exceeded" in message(limited)
    assert "try again in" in message(limited)
    assert int(limited.headers["Retry-After"]) >= 1


# -- users ---------------------------------------------------------------------------------


def _admin(app: Flask, client: FlaskClient) -> str:
    legacy_register(client, "root")
    with app.app_context():
        add_role("root", "admin")
    response = client.post("/login", headers={"username": "root", "password": PASSWORD})
    return str(response.get_json()["access_token"])


def test_users_needs_an_administrator_and_hides_hashes(app: Flask, client: FlaskClient) -> None:
    alice = legacy_register(client, "alice")["access_token"]
    assert client.get("/users").status_code == 401
    refused = client.get("/users", headers=bearer(alice))
    assert refused.status_code == 403
    admin = _admin(app, client)
    listed = client.get("/users", headers=bearer(admin))
    assert listed.get_json() == {"users": [{"username": "alice"}, {"username": "root"}]}
    assert "$argon2" not in listed.get_data(as_text=True)


def test_delete_users_deletes_everyone_but_the_administrator(
    app: Flask, client: FlaskClient
) -> None:
    alice = legacy_register(client, "alice")["access_token"]
    _survey(client, alice)
    legacy_register(client, "bob")
    admin = _admin(app, client)
    deleted = client.delete("/users", headers=bearer(admin))
    assert deleted.get_json() == {"message": "2 row(s) deleted"}
    assert client.get("/users", headers=bearer(admin)).get_json() == {
        "users": [{"username": "root"}]
    }
    assert message(client.get("/activesurveys")) == "There are no active surveys"
    assert client.get("/getsurveys", headers=bearer(alice)).status_code == 401


def test_due_dates_are_utc(client: FlaskClient) -> None:
    access = legacy_register(client)["access_token"]
    soon = (dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)).strftime("%Y-%m-%d %H:%M:%S")
    _survey(client, access, duedate=soon)
    assert _surveys(client, access)[0]["dueDate"] == soon
    assert len(client.get("/activesurveys").get_json()["surveys"]) == 1


def test_one_per_respondent_surveys_take_no_anonymous_replies(
    app: Flask, client: FlaskClient
) -> None:
    access, survey_id = _lunch(client)
    with app.app_context():
        service.update_survey(service.get_survey(survey_id), one_per_respondent=True)
    colour = _question_ids(client, survey_id)[0]
    refused = client.post("/addreply", headers={"idQuestion": str(colour)}, json={"reply": "red"})
    assert (refused.status_code, message(refused)) == (
        200,
        "Survey takes one answer per respondent: answer it logged in",
    )
    assert _surveys(client, access)[0]["subCount"] == 0


def test_nul_characters_are_refused_not_a_500(client: FlaskClient) -> None:
    access = legacy_register(client)["access_token"]
    _survey(client, access)
    colour = _question_ids(client, _surveys(client, access)[0]["id"])[0]
    reply = client.post("/addreply", headers={"idQuestion": str(colour)}, json={"reply": "a\x00b"})
    assert reply.status_code == 400
    assert set(reply.get_json()["message"]) == {"reply"}
    survey = client.post(
        "/addsurvey",
        headers=bearer(access, name="Nul", duedate=DUE),
        json={"questions": [{"content": "x", "type": "radio", "replyContent": ["a\x00"]}]},
    )
    assert survey.status_code == 400
    assert _surveys(client, access)[0]["subCount"] == 0
    for path in ("/login", "/register"):
        headers = {"username": "a\x00b", "email": "a@example.org", "password": PASSWORD}
        named = client.post(path, headers=headers)
        assert named.status_code == 400
        assert named.get_json()["message"] == {"username": "may not contain NUL characters"}
