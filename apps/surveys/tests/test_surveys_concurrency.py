"""The service under gunicorn, for real: several worker processes (production's
``plugboard_surveys.gunicorn_conf``) on one database, SQLite and PostgreSQL, and many
clients at once.

Every reply a client was told is stored is stored exactly once, and counted once, in
the database, in ``subCount`` and in ``/getsurveystats``; a survey closed while replies
race takes none after it closed. On SQLite, writers wait their turn longer than Python's
default busy timeout.
"""

from __future__ import annotations

import dataclasses
import http.client
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from packaging.version import Version

from flask_plugboard.db import session
from flask_plugboard.testing import postgres_schema, schema_url
from plugboard_surveys import Submission, Survey, create_app
from plugboard_surveys._service import set_active
from surveys_support import PASSWORD, dispose, surveys_app

#: The production gunicorn config, as the README names it.
CONF = "python:plugboard_surveys.gunicorn_conf"
WORKERS = 3
CLIENTS = 32
ADDED = "Reply was added"
CLOSED = "Survey is closed"
QUESTIONS = [
    {"type": "radio", "content": "Lunch where?", "replyContent": ["Noodles", "Tacos"]},
    {"type": "text", "content": "Why?"},
]
#: The service's environment, as a deployment sets it; anything else of the test
#: process's environment that the app reads is left out.
_APP_VARIABLES = (
    "DATABASE_URL",
    "REDIS_URL",
    "SECRET_KEY",
    "JWT_SECRET_KEY",
    "SURVEYS_ENVIRONMENT",
    "PROXIES",
    "CORS_ORIGINS",
    "INSTANCE_PATH",
    "PORT",
    "WEB_CONCURRENCY",
)


@dataclasses.dataclass
class Service:
    """The service served by gunicorn on ``port``, and an app on the same database."""

    port: int
    app: Flask
    log: Path
    #: Where in the log the current test started.
    offset: int = 0

    def call(
        self,
        method: str,
        path: str,
        headers: Mapping[str, str] | None = None,
        body: Any = None,
    ) -> tuple[int, Any]:
        """One request on its own connection; the status and the JSON answer."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            sent = dict(headers or {})
            data = None
            if body is not None:
                data = json.dumps(body).encode()
                sent["Content-Type"] = "application/json"
            connection.request(method, path, body=data, headers=sent)
            response = connection.getresponse()
            text = response.read().decode()
        finally:
            connection.close()
        try:
            return response.status, json.loads(text)
        except ValueError:
            return response.status, text

    def log_text(self) -> str:
        """What gunicorn and the app logged since the current test started."""
        with self.log.open("rb") as file:
            file.seek(self.offset)
            return file.read().decode(errors="replace")

    def problems(self) -> list[str]:
        """Log lines of the current test that tell of a failure (a traceback, a locked
        database, a 5xx answer)."""
        found = []
        for line in self.log_text().splitlines():
            if "Traceback" in line or "database is locked" in line or '"status":5' in line:
                found.append(line)
        return found


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _gunicorn_options() -> list[str]:
    # Gunicorn 25.1+ opens a control socket, one path per user: servers started at the
    # same time (pytest-xdist) would take it from each other.
    if Version(version("gunicorn")) >= Version("25.1"):
        return ["--no-control-socket"]
    return []


def _environment(database_url: str, instance: Path) -> dict[str, str]:
    env = {
        name: value
        for name, value in os.environ.items()
        if name not in _APP_VARIABLES and not name.startswith(("FLASK_", "GUNICORN_"))
    }
    env.update(
        DATABASE_URL=database_url,
        SECRET_KEY=secrets.token_hex(32),
        JWT_SECRET_KEY=secrets.token_hex(32),
        INSTANCE_PATH=str(instance),
        WEB_CONCURRENCY=str(WORKERS),
        # No rate limit on replies: the clients all come from 127.0.0.1.
        FLASK_SURVEYS_SUBMIT_LIMIT="",
        # Cheap password hashing: registering is not what is tested.
        FLASK_AUTH_ARGON2_TIME_COST="1",
        FLASK_AUTH_ARGON2_MEMORY_COST="64",
        FLASK_AUTH_ARGON2_PARALLELISM="1",
    )
    return env


def _wait_ready(server: subprocess.Popen[bytes], port: int, log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise AssertionError(f"gunicorn exited with {server.returncode}:\n{log.read_text()}")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/readyz")
            if connection.getresponse().status == 200:
                connection.close()
                return
            connection.close()
        except OSError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"the service did not get ready in 30 s:\n{log.read_text()}")


def _stop(server: subprocess.Popen[bytes]) -> None:
    if server.poll() is None:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A database of this module's own: a SQLite file, or a fresh PostgreSQL schema named
    in the URL (``options=-csearch_path=...``), as DATABASE_URL would name it."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'surveys.sqlite'}"
        return
    url: str = request.getfixturevalue("postgres_url")
    with postgres_schema(url, "surveys_concurrency") as schema:
        yield schema_url(url, schema)


@pytest.fixture(scope="module")
def gunicorn_service(
    database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Service]:
    """The service under gunicorn with its production config and several workers, on
    ``database_url`` (migrated first), shared by this module's tests (each with a user
    and a survey of its own). Its log is printed afterwards: pytest shows it when a
    test fails."""
    tmp_path = tmp_path_factory.mktemp("service")
    instance = tmp_path / "instance"
    app = surveys_app(instance, {"SQLALCHEMY_DATABASE_URI": database_url})
    port = _free_port()
    log = tmp_path / "gunicorn.log"
    with log.open("wb") as out:
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "-c",
                CONF,
                "-b",
                f"127.0.0.1:{port}",
                *_gunicorn_options(),
                "plugboard_surveys:create_app()",
            ],
            cwd=tmp_path,
            env=_environment(database_url, instance),
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_ready(server, port, log)
        yield Service(port, app, log)
    finally:
        _stop(server)
        dispose(app)


@pytest.fixture
def service(gunicorn_service: Service) -> Iterator[Service]:
    """``gunicorn_service`` for one test; what it logged meanwhile is printed afterwards,
    which pytest shows when the test fails."""
    gunicorn_service.offset = gunicorn_service.log.stat().st_size
    yield gunicorn_service
    log = gunicorn_service.log_text()[-20000:]
    print(f"--- gunicorn's log during the test ({gunicorn_service.log}):\n{log}")


def _token(service: Service) -> str:
    """Register a user of the test's own; their access token."""
    name = f"user{uuid.uuid4().hex[:12]}"
    status, body = service.call(
        "POST",
        "/register",
        {"username": name, "email": f"{name}@example.org", "password": PASSWORD},
    )
    assert status == 200 and "access_token" in body, body
    return str(body["access_token"])


def _survey(service: Service, token: str) -> tuple[int, list[int]]:
    """Create an open survey of two questions; its id and its questions' ids."""
    headers = {
        "Authorization": f"Bearer {token}",
        "name": "Lunch",
        "duedate": "2099-12-31 10:11:12",
        "isactive": "True",
    }
    status, body = service.call("POST", "/addsurvey", headers, {"questions": QUESTIONS})
    assert (status, body) == (200, {"message": "Survey Lunch was created"})
    status, body = service.call("GET", "/getsurveys", {"Authorization": f"Bearer {token}"})
    assert status == 200, body
    survey_id = int(body["surveys"][0]["id"])
    status, body = service.call("GET", "/getsurveyquestions", {"idSurvey": str(survey_id)})
    assert status == 200, body
    return survey_id, [int(q["id"]) for q in body["questions"]]


def _reply(service: Service, question_id: int, value: Any) -> str:
    status, body = service.call(
        "POST", "/addreply", {"idQuestion": str(question_id)}, {"reply": value}
    )
    assert status == 200 and isinstance(body, dict), (status, body)
    return str(body["message"])


def _stored(service: Service, survey_id: int) -> int:
    with service.app.app_context():
        query = (
            sa.select(sa.func.count())
            .select_from(Submission)
            .where(Submission.survey_id == survey_id)
        )
        return int(session().scalar(query) or 0)


def _sub_count(service: Service, token: str) -> int:
    status, body = service.call("GET", "/getsurveys", {"Authorization": f"Bearer {token}"})
    assert status == 200, body
    return int(body["surveys"][0]["subCount"])


def _stats(service: Service, token: str, survey_id: int) -> list[dict[str, Any]]:
    status, body = service.call(
        "GET", "/getsurveystats", {"Authorization": f"Bearer {token}", "id": str(survey_id)}
    )
    assert status == 200 and isinstance(body, list), body
    return body


def test_every_reply_from_many_clients_is_stored_once(service: Service) -> None:
    token = _token(service)
    survey_id, (choice, text) = _survey(service, token)
    n = 200
    sent = [
        (choice, ["Noodles", "Tacos"][i % 2]) if i % 2 else (text, f"because {i}") for i in range(n)
    ]

    with ThreadPoolExecutor(CLIENTS) as pool:
        answers = list(pool.map(lambda item: _reply(service, *item), sent))

    assert answers == [ADDED] * n
    assert _stored(service, survey_id) == n
    assert _sub_count(service, token) == n
    stats = {question["id"]: question for question in _stats(service, token, survey_id)}
    assert stats[choice]["votes"] == stats[text]["votes"] == n // 2
    assert sorted(stats[text]["answers"]) == sorted(v for q, v in sent if q == text)
    assert sorted(stats[choice]["answers"]) == sorted(v for q, v in sent if q == choice)
    assert service.problems() == []


def test_a_survey_closed_while_replies_race_keeps_every_accepted_one_and_no_later_one(
    service: Service,
) -> None:
    token = _token(service)
    survey_id, (choice, _) = _survey(service, token)
    n, close_after = 300, 60
    accepted = threading.Semaphore(0)
    closed_at: list[float] = []

    def close() -> None:
        # After `close_after` replies were accepted, while the others are on their way.
        for _ in range(close_after):
            if not accepted.acquire(timeout=60):
                return
        with service.app.app_context():
            survey = session().get(Survey, survey_id)
            assert survey is not None
            set_active(survey, False)
        closed_at.append(time.monotonic())

    def reply(i: int) -> tuple[float, str]:
        started = time.monotonic()
        answer = _reply(service, choice, "Tacos")
        if answer == ADDED:
            accepted.release()
        return started, answer

    closer = threading.Thread(target=close)
    closer.start()
    try:
        with ThreadPoolExecutor(CLIENTS) as pool:
            outcomes = list(pool.map(reply, range(n)))
    finally:
        closer.join(timeout=60)
    assert closed_at, "the survey was not closed"
    later = [_reply(service, choice, "Noodles") for _ in range(10)]

    answers = [answer for _, answer in outcomes]
    assert set(answers) <= {ADDED, CLOSED}
    taken = answers.count(ADDED)
    assert taken >= close_after
    late = [answer for started, answer in outcomes if started > closed_at[0]]
    assert late == [CLOSED] * len(late)
    assert later == [CLOSED] * 10
    assert _stored(service, survey_id) == taken
    assert _sub_count(service, token) == taken
    (question,) = [q for q in _stats(service, token, survey_id) if q["id"] == choice]
    assert question["votes"] == taken
    assert question["answers"] == ["Tacos"] * taken
    assert service.problems() == []


_BARE_CONFIG = {"TESTING": True, "SECRET_KEY": secrets.token_hex(32)}


def test_sqlite_writes_wait_longer_for_other_workers_than_pythons_default(
    tmp_path: Path,
) -> None:
    # Python's sqlite3 gives up after 5 s: with a few dozen gunicorn threads replying at
    # once, a reply waiting its turn got "database is locked" (a 500) and was lost.
    app = create_app(
        {**_BARE_CONFIG, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'a.sqlite'}"},
        instance_path=str(tmp_path),
    )
    assert app.config["SQLALCHEMY_ENGINE_OPTIONS"]["connect_args"]["timeout"] == 15
    own = create_app(
        {
            **_BARE_CONFIG,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'b.sqlite'}",
            "SQLALCHEMY_ENGINE_OPTIONS": {"connect_args": {"timeout": 60}, "echo": False},
        },
        instance_path=str(tmp_path),
    )
    assert own.config["SQLALCHEMY_ENGINE_OPTIONS"] == {
        "connect_args": {"timeout": 60},
        "echo": False,
        "pool_pre_ping": True,  # the host's default, beside the app's own options
    }


def test_other_databases_get_no_sqlite_option(tmp_path: Path) -> None:
    app = create_app(
        {**_BARE_CONFIG, "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://nobody@127.0.0.1/x"},
        instance_path=str(tmp_path),
    )
    assert "timeout" not in app.config.get("SQLALCHEMY_ENGINE_OPTIONS", {}).get("connect_args", {})
