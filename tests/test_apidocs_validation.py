"""``@api`` on real routes: bad input gets 400/422 naming each field, never a 500, and the
validated values reach the view; results are serialised; misuse fails where it is written."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask.views import MethodView
from pydantic import BaseModel, ConfigDict, Field

from flask_plugboard import PlugboardError
from flask_plugboard.plugins.apidocs import ApiDocs, ApiError, api


class Tag(BaseModel):
    name: str = Field(min_length=1)


class ItemIn(BaseModel):
    name: str = Field(min_length=1, max_length=20)
    price: float = Field(gt=0)
    tags: list[Tag] = []


class Item(ItemIn):
    id: int


class Page(BaseModel):
    limit: int = Field(10, ge=1, le=100)
    tag: list[str] = []
    sort: str = "name"


class StrictPage(BaseModel):
    model_config = ConfigDict(extra="forbid")
    limit: int = 10


class Version(BaseModel):
    x_api_version: int = Field(alias="X-Api-Version", ge=1)
    accept_language: str = "en"


def make_app() -> Flask:
    app = Flask(__name__)
    app.config["TESTING"] = True

    @app.post("/items")
    @api(body=ItemIn, response={201: Item, 409: ApiError})
    def create(body: ItemIn) -> Item:
        if body.name == "taken":
            return ApiError(error="that name is taken"), 409  # type: ignore[return-value]
        return Item(id=7, **body.model_dump())

    @app.get("/items")
    @api(query=Page, headers=Version, response=list[Item])
    def list_items(query: Page, headers: Version) -> list[Item]:
        item = Item(id=headers.x_api_version, name=query.sort, price=float(query.limit))
        return [item] * len(query.tag or ["one"])

    @app.get("/strict")
    @api(query=StrictPage)
    def strict(query: StrictPage) -> dict[str, Any]:
        return {"limit": query.limit}

    @app.put("/raw/<int:item_id>")
    @api(body=dict[str, int], status=202)
    def raw(item_id: int, body: dict[str, int]) -> dict[str, Any]:
        return {"id": item_id, "sum": sum(body.values())}

    @app.delete("/items/<int:item_id>")
    @api(status=204)
    def delete(item_id: int) -> None:
        return None

    class Things(MethodView):
        @api(body=Tag, response={201: Tag})
        def post(self, body: Tag) -> Tag:
            return body

    app.add_url_rule("/things", view_func=Things.as_view("things"))
    ApiDocs(app)
    return app


@pytest.fixture
def client() -> FlaskClient:
    return make_app().test_client()


def _errors(response: Any) -> list[tuple[str, str, str]]:
    assert response.status_code == 422, response.get_data(as_text=True)
    body = response.get_json()
    assert body["error"] == "invalid request"
    return [(e["in"], e["field"], e["type"]) for e in body["errors"]]


def test_a_valid_body_reaches_the_view_and_the_model_is_serialised(client: FlaskClient) -> None:
    response = client.post("/items", json={"name": "lamp", "price": 12, "tags": [{"name": "a"}]})
    assert response.status_code == 201
    assert response.mimetype == "application/json"
    assert response.get_json() == {"name": "lamp", "price": 12.0, "tags": [{"name": "a"}], "id": 7}


def test_a_view_may_return_another_documented_status(client: FlaskClient) -> None:
    response = client.post("/items", json={"name": "taken", "price": 1})
    assert response.status_code == 409
    assert response.get_json() == {"error": "that name is taken"}


def test_every_bad_field_is_named_with_why(client: FlaskClient) -> None:
    response = client.post(
        "/items", json={"name": "", "price": "cheap", "tags": [{"name": "ok"}, {"nam": 1}]}
    )
    assert _errors(response) == [
        ("body", "name", "string_too_short"),
        ("body", "price", "float_parsing"),
        ("body", "tags.1.name", "missing"),
    ]
    messages = [e["message"] for e in response.get_json()["errors"]]
    assert "at least 1 character" in messages[0]
    assert "valid number" in messages[1]


def test_missing_fields_and_wrong_types(client: FlaskClient) -> None:
    assert _errors(client.post("/items", json={})) == [
        ("body", "name", "missing"),
        ("body", "price", "missing"),
    ]
    assert _errors(client.post("/items", json={"name": 5, "price": [], "tags": "x"})) == [
        ("body", "name", "string_type"),
        ("body", "price", "float_type"),
        ("body", "tags", "list_type"),
    ]


def test_a_body_of_the_wrong_shape_is_named_as_the_whole_body(client: FlaskClient) -> None:
    for body in (b"[]", b"[1, 2]", b'"text"', b"3", b"null"):
        response = client.post("/items", data=body, content_type="application/json")
        assert _errors(response) == [("body", "", "model_type")], body


@pytest.mark.parametrize(
    "data",
    [b"{", b"{'name': 'x'}", b"\xff\xfe\x00", b"nul", b'{"name": "x",}', b"[" * 5000],
)
def test_garbage_json_gets_400_saying_why(client: FlaskClient, data: bytes) -> None:
    response = client.post("/items", data=data, content_type="application/json")
    assert response.status_code == 400
    assert response.get_json()["error"].startswith("the body is not valid JSON: ")


def test_an_empty_body_gets_400(client: FlaskClient) -> None:
    response = client.post("/items", data=b"", content_type="application/json")
    assert response.status_code == 400
    assert response.get_json() == {"error": "a JSON body is required"}


@pytest.mark.parametrize(
    ("content_type", "named"),
    [(None, "no Content-Type"), ("text/plain", "'text/plain'"),
     ("application/x-www-form-urlencoded", "'application/x-www-form-urlencoded'")],
)  # fmt: skip
def test_a_body_that_is_not_sent_as_json_gets_400(
    client: FlaskClient, content_type: str | None, named: str
) -> None:
    response = client.post("/items", data=b'{"name": "x", "price": 1}', content_type=content_type)
    assert response.status_code == 400
    assert named in response.get_json()["error"]
    assert "Content-Type: application/json" in response.get_json()["error"]


def test_json_content_types_with_parameters_or_suffixes_are_json(client: FlaskClient) -> None:
    body = b'{"name": "x", "price": 1}'
    for content_type in ("application/json; charset=utf-8", "application/merge-patch+json"):
        assert client.post("/items", data=body, content_type=content_type).status_code == 201


def test_query_strings_are_validated_and_lists_repeat(client: FlaskClient) -> None:
    headers = {"X-Api-Version": "2"}
    response = client.get("/items?limit=5&tag=a&tag=b&sort=price", headers=headers)
    assert response.status_code == 200
    assert response.get_json() == [{"name": "price", "price": 5.0, "tags": [], "id": 2}] * 2
    assert _errors(client.get("/items?limit=0", headers=headers)) == [
        ("query", "limit", "greater_than_equal")
    ]
    assert _errors(client.get("/items?limit=ten", headers=headers)) == [
        ("query", "limit", "int_parsing")
    ]


def test_a_query_key_given_twice_for_a_single_value_is_an_error(client: FlaskClient) -> None:
    response = client.get("/items?limit=5&limit=6", headers={"X-Api-Version": "1"})
    assert _errors(response) == [("query", "limit", "repeated")]
    assert response.get_json()["errors"][0]["message"] == "given 2 times: give it once"


def test_extra_query_parameters_follow_the_model(client: FlaskClient) -> None:
    # Ignored by default, as pydantic does; refused when the model forbids extras.
    assert client.get("/items?utm_source=x", headers={"X-Api-Version": "1"}).status_code == 200
    assert client.get("/strict?limit=3").get_json() == {"limit": 3}
    assert _errors(client.get("/strict?limit=3&limt=4")) == [("query", "limt", "extra_forbidden")]


def test_headers_are_validated_and_named_as_sent(client: FlaskClient) -> None:
    assert _errors(client.get("/items")) == [("header", "X-Api-Version", "missing")]
    assert _errors(client.get("/items", headers={"X-Api-Version": "0"})) == [
        ("header", "X-Api-Version", "greater_than_equal")
    ]
    ok = client.get("/items", headers={"x-api-version": "3", "Accept-Language": "fr"})
    assert ok.status_code == 200 and ok.get_json()[0]["id"] == 3


def test_errors_of_every_part_come_in_one_answer(client: FlaskClient) -> None:
    assert _errors(client.get("/items?limit=-1")) == [
        ("header", "X-Api-Version", "missing"),
        ("query", "limit", "greater_than_equal"),
    ]


def test_a_generic_body_type_and_a_default_status(client: FlaskClient) -> None:
    response = client.put("/raw/3", json={"a": 1, "b": "2"})
    assert response.status_code == 202
    assert response.get_json() == {"id": 3, "sum": 3}
    assert _errors(client.put("/raw/3", json={"a": "x"})) == [("body", "a", "int_parsing")]


def test_a_204_route_may_return_none(client: FlaskClient) -> None:
    response = client.delete("/items/4")
    assert response.status_code == 204
    assert response.data == b""


def test_async_views_are_validated_and_awaited() -> None:
    # Flask runs async views only with its 'async' extra; the wrapper itself is async.
    @api(body=Tag, status=201)
    async def tag_async(body: Tag) -> Tag:
        await asyncio.sleep(0)
        return body

    app = Flask(__name__)
    with app.test_request_context(json={"name": "a"}):
        body, status = asyncio.run(tag_async())
        assert (body.get_json(), status) == ({"name": "a"}, 201)
    with app.test_request_context(json={"name": ""}):
        assert _errors(asyncio.run(tag_async())) == [("body", "name", "string_too_short")]


def test_class_based_views_are_validated(client: FlaskClient) -> None:
    response = client.post("/things", json={"name": "b"})
    assert response.status_code == 201 and response.get_json() == {"name": "b"}
    assert _errors(client.post("/things", json={})) == [("body", "name", "missing")]


def test_a_url_variable_named_like_a_part_is_refused_clearly() -> None:
    app = Flask(__name__)
    app.testing = True  # the error propagates to the test

    @app.post("/x/<body>")
    @api(body=Tag)
    def clash(body: Tag) -> Tag:
        return body

    with pytest.raises(PlugboardError, match="has a variable 'body'.*rename the URL variable"):
        app.test_client().post("/x/1", json={"name": "a"})


def test_misuse_fails_where_it_is_written() -> None:
    with pytest.raises(PlugboardError, match="takes no 'body' argument"):

        @api(body=Tag)
        def no_body() -> None: ...

    with pytest.raises(PlugboardError, match="is not a pydantic model"):
        api(query=dict)  # type: ignore[arg-type]
    with pytest.raises(PlugboardError, match="not an HTTP status"):
        api(response={700: Tag})
    with pytest.raises(PlugboardError, match="must be 2xx or 3xx"):
        api(status=404)
    with pytest.raises(PlugboardError, match="is not a valid body"):
        api(body=Tag, examples={"empty": {"name": ""}})
    with pytest.raises(PlugboardError, match="give body= too"):
        api(examples={"x": {}})
    with pytest.raises(PlugboardError, match="give a list of tags"):
        api(tags="items")

    @api(body=Tag)
    def twice(body: Tag) -> Tag:
        return body

    with pytest.raises(PlugboardError, match="has @api twice"):
        api()(twice)
