"""What the apidocs tests share: a sample app's routes (every converter, query, header
and body models, a blueprint, a redirect) and a bounded schemathesis run."""

from __future__ import annotations

import uuid
from typing import Any

from flask import Blueprint, Flask
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
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


def fuzz(app: Flask, examples: int = 25, path: str = "/openapi.json") -> list[str]:
    """Run schemathesis on every operation of ``app``'s document, in process; return the
    failures (empty when none).

    Bounded and deterministic: ``examples`` cases per operation and mode, a fixed seed
    (``derandomize``), no example database. Every operation must answer without a server
    error, and with the content type, headers and body its document gives for the status
    it answered. Operations that validate their input (``@api``) are held to more: only
    documented statuses, and invalid input ("negative" cases) refused with a 4xx.
    Undecorated routes document only a generic 200 (the rest of what they answer is
    unknown to the document), so their other statuses are not failures.
    """
    import schemathesis
    from schemathesis.checks import not_a_server_error
    from schemathesis.specs.openapi.checks import (
        content_type_conformance,
        negative_data_rejection,
        response_headers_conformance,
        response_schema_conformance,
        status_code_conformance,
    )

    schema = schemathesis.openapi.from_wsgi(path, app)
    always = [
        not_a_server_error,
        content_type_conformance,
        response_headers_conformance,
        response_schema_conformance,
    ]
    failures: list[str] = []
    for result in schema.get_all_operations():
        operation = result.ok()
        raw: dict[str, Any] = operation.definition.raw
        takes_input = "requestBody" in raw or any(
            p.get("in") in ("query", "header") for p in raw.get("parameters", [])
        )
        has_parameters = takes_input or bool(raw.get("parameters"))
        checks = always + [status_code_conformance, negative_data_rejection] * takes_input
        modes = [schemathesis.GenerationMode.POSITIVE]
        if has_parameters:  # without any, no case can be invalid
            modes.append(schemathesis.GenerationMode.NEGATIVE)
        for mode in modes:
            try:
                _runner(operation, mode, checks, examples)()
            except Unsatisfiable as exc:
                # No invalid value can be sent there (a path segment "without '/'"
                # negated needs a '/'): nothing to check.
                if mode is not schemathesis.GenerationMode.NEGATIVE:
                    failures.append(f"{operation.label} ({mode}): {exc}")
            except (Exception, BaseExceptionGroup) as exc:  # every failure is collected
                failures.append(f"{operation.label} ({mode}): {exc}")
    return failures


def _runner(operation: Any, mode: Any, checks: list[Any], examples: int) -> Any:
    """A Hypothesis test of ``operation``: ``examples`` cases, each sent and checked."""

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=examples,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=[
            HealthCheck.too_slow,
            HealthCheck.filter_too_much,
            HealthCheck.data_too_large,
            HealthCheck.large_base_example,
        ],
    )
    def run(case: Any) -> None:
        case.call_and_validate(checks=checks)

    return run
