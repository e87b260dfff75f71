"""``@api(response=...)`` on real routes: what a view returns goes out as the declared type
says (undeclared fields dropped, ORM rows read by attribute, lists of them), tuples and
response objects keep their meaning, and a body that does not fit is a 500 whose log
names the view and the field."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask, Response, jsonify
from pydantic import BaseModel
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from flask_plugboard.plugins.apidocs import ApiDocs, ResponseValidationError, api


class Item(BaseModel):
    id: int
    name: str
    note: str | None = None


class Created(BaseModel):
    id: int


class Base(DeclarativeBase):
    pass


class UserRow(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str]
    password_hash: Mapped[str]


class ItemWithSecret(Item):
    password_hash: str


SECRET = "$argon2id$v=19$m=65536,t=3,p=4$c2VjcmV0"
ROW = {"id": 1, "name": "alice", "password_hash": SECRET}


@pytest.fixture
def session() -> Iterator[Session]:
    engine = sa.create_engine("sqlite://")
    Base.metadata.create_all(engine)
    with Session(engine, expire_on_commit=False) as db:
        db.add_all([UserRow(**ROW), UserRow(id=2, name="bob", password_hash=SECRET)])
        db.commit()
        yield db
    engine.dispose()


def make_app(db: Session | None = None, testing: bool = True) -> Flask:
    app = Flask(__name__)
    app.testing = testing

    @app.get("/dict")
    @api(response=Item)
    def a_dict() -> dict[str, Any]:
        return dict(ROW)

    @app.get("/row/<int:user_id>")
    @api(response=Item)
    def a_row(user_id: int) -> Any:
        assert db is not None
        return db.get(UserRow, user_id)

    @app.get("/rows")
    @api(response=list[Item])
    def rows() -> Any:
        assert db is not None
        return [*db.scalars(sa.select(UserRow).order_by(UserRow.id)), dict(ROW, id=3)]

    @app.get("/subclass")
    @api(response=Item)
    def subclass() -> Item:
        return ItemWithSecret(**ROW)

    @app.get("/model-default")
    @api(response=Item)
    def model_default() -> Item:
        return Item(id=1, name="alice")

    @app.post("/tuple")
    @api(response={201: Created, 200: Item, 409: None})
    def a_tuple() -> Any:
        return dict(ROW), 201, {"Location": "/users/1"}

    @app.post("/tuple-headers")
    @api(response={201: Created})
    def tuple_headers() -> Any:
        return dict(ROW), {"Location": "/users/1"}

    @app.post("/undeclared")
    @api(response={201: Created})
    def undeclared() -> Any:
        return {"error": "taken", "detail": 1}, 409

    @app.post("/made")
    @api(response={201: Created})
    def made() -> Response:
        response = jsonify(error="no", extra=True)
        response.status_code = 403
        return response

    @app.get("/text")
    @api(response=Item)
    def text() -> str:
        return "<p>plain</p>"

    @app.get("/misfit")
    @api(response=Item)
    def misfit() -> dict[str, Any]:
        return {"id": "seven", "password_hash": SECRET}

    @app.get("/misfit-list")
    @api(response=list[Item])
    def misfit_list() -> list[dict[str, Any]]:
        return [dict(ROW), {"id": 2}]

    ApiDocs(app)
    return app


def test_a_dict_answer_loses_the_fields_its_type_does_not_declare() -> None:
    response = make_app().test_client().get("/dict")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.get_json() == {"id": 1, "name": "alice"}
    assert b"password_hash" not in response.data and SECRET.encode() not in response.data


def test_an_orm_object_is_read_by_attribute(session: Session) -> None:
    response = make_app(session).test_client().get("/row/1")
    assert response.status_code == 200
    assert response.get_json() == {"id": 1, "name": "alice"}
    assert b"password_hash" not in response.data


def test_a_list_of_rows_and_dicts_is_written_item_by_item(session: Session) -> None:
    response = make_app(session).test_client().get("/rows")
    assert response.status_code == 200
    assert response.get_json() == [
        {"id": 1, "name": "alice"},
        {"id": 2, "name": "bob"},
        {"id": 3, "name": "alice"},
    ]


def test_a_model_with_more_fields_is_written_as_the_declared_one() -> None:
    response = make_app().test_client().get("/subclass")
    assert response.get_json() == {"id": 1, "name": "alice", "note": None}


def test_a_model_writes_its_defaults_and_a_dict_only_what_it_has() -> None:
    client = make_app().test_client()
    assert client.get("/model-default").get_json() == {"id": 1, "name": "alice", "note": None}
    assert "note" not in client.get("/dict").get_json()


def test_a_tuple_keeps_its_status_and_headers_and_its_status_picks_the_type() -> None:
    client = make_app().test_client()
    response = client.post("/tuple")
    assert (response.status_code, response.headers["Location"]) == (201, "/users/1")
    assert response.get_json() == {"id": 1}
    response = client.post("/tuple-headers")
    assert (response.status_code, response.headers["Location"]) == (201, "/users/1")
    assert response.get_json() == {"id": 1}


def test_a_status_without_a_declared_type_goes_as_the_view_wrote_it() -> None:
    response = make_app().test_client().post("/undeclared")
    assert response.status_code == 409
    assert response.get_json() == {"error": "taken", "detail": 1}


def test_a_response_object_and_text_pass_through_unchanged() -> None:
    client = make_app().test_client()
    response = client.post("/made")
    assert response.status_code == 403
    assert response.get_json() == {"error": "no", "extra": True}
    response = client.get("/text")
    assert (response.mimetype, response.data) == ("text/html", b"<p>plain</p>")


def test_a_body_that_does_not_fit_is_a_500_naming_the_view_and_field(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.ERROR):
        response = make_app(testing=False).test_client().get("/misfit")
    assert response.status_code == 500
    assert b"seven" not in response.data
    logged = "\n".join(
        f"{record.getMessage()}\n{logging.Formatter().formatException(record.exc_info)}"
        for record in caplog.records
        if record.exc_info
    )
    assert "test_apidocs_responses.make_app.<locals>.misfit' answered 200" in logged
    assert "not a valid Item" in logged
    assert "id: Input should be a valid integer" in logged
    assert "name: Field required (missing)" in logged
    assert SECRET not in logged and "seven" not in logged


def test_the_error_is_raised_to_tests_with_its_parts() -> None:
    with pytest.raises(ResponseValidationError) as caught:
        make_app().test_client().get("/misfit")
    assert caught.value.status == 200
    assert caught.value.view.endswith("misfit")
    assert [field for field, _ in caught.value.errors] == ["id", "name"]
    with pytest.raises(ResponseValidationError, match=r"not a valid list\[Item\] \(1\.name: "):
        make_app().test_client().get("/misfit-list")


def test_an_async_view_answers_through_its_type() -> None:
    @api(response=Item)
    async def item_async() -> dict[str, Any]:
        await asyncio.sleep(0)
        return dict(ROW)

    with Flask(__name__).test_request_context():
        response = asyncio.run(item_async())
        assert response.get_json() == {"id": 1, "name": "alice"}
