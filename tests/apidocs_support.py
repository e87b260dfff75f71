"""What the apidocs tests share: a sample app's routes (every converter, query, header
and body models, a blueprint, a redirect)."""

from __future__ import annotations

import uuid

from flask import Blueprint, Flask
from pydantic import BaseModel, Field
from werkzeug.routing import BaseConverter

from flask_plugboard.plugins.apidocs import ApiError, api
from flask_plugboard.plugins.ratelimit import limit


class ItemIn(BaseModel):
    """What a new item needs."""

    name: str = Field(min_length=1, description="Shown in lists.")
    price: float = Field(gt=0)


class Item(ItemIn):
    id: int


class Search(BaseModel):
    q: str = Field(description="Words to look for.")
    page: int = 1
    tag: list[str] = []


class Auth(BaseModel):
    x_api_key: str = Field(alias="X-Api-Key")
    x_trace: str | None = None


class TwoLetters(BaseConverter):
    regex = "[a-z]{2}"
    openapi_schema = {"type": "string", "pattern": "^[a-z]{2}$", "example": "en"}


def sample_routes(app: Flask) -> None:
    """Add the sample routes to ``app``."""
    app.url_map.converters["lang"] = TwoLetters

    @app.post("/items")
    @limit("10/minute")
    @api(body=ItemIn, response={201: Item, 409: ApiError}, tags=["items"])
    def create_item(body: ItemIn) -> Item:
        """Create an item.

        The name must be new.
        It gets an id.
        """
        return Item(id=1, **body.model_dump())

    @app.get("/items")
    @api(query=Search, headers=Auth, response=list[Item], deprecated=True)
    def search(query: Search, headers: Auth) -> list[Item]:
        """Search items, a summary written
        over two lines."""
        return []

    @app.get("/items/<int:item_id>")
    def get_item(item_id: int) -> dict[str, int]:
        """One item."""
        return {"id": item_id}

    @app.route("/any/<int(signed=True, max=5):n>/<float:x>/<uuid:u>/<path:rest>")
    def every_converter(n: int, x: float, u: uuid.UUID, rest: str) -> str:
        return "ok"

    @app.get("/pick/<any(red, blue):colour>/<lang:code>/<string(length=3):iso>/<name>")
    def pick(colour: str, code: str, iso: str, name: str) -> str:
        return "ok"

    @app.route("/both", methods=["GET", "POST"])
    def both() -> str:
        return "ok"

    app.add_url_rule("/old", "old", redirect_to="/items")

    shop = Blueprint("shop", __name__)

    @shop.get("/basket")
    def basket() -> str:
        return "basket"

    app.register_blueprint(shop, url_prefix="/shop")
