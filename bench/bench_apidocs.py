"""Per-request cost of a route validated by apidocs' ``@api`` against the same route with
hand-written validation, and bare Flask, in one run.

    python bench/bench_apidocs.py [--quick] [--rounds N] [--batch N]

The route is ``POST /items`` with a JSON body (a name of 1 to 100 characters, a price
above 0, up to 10 tags of 1 to 30 characters); it answers 201 with the item and an id.
The variants, each timed by ``bench/_harness.py``:

- bare Flask: ``request.get_json()`` and the answer, no validation at all;
- hand-written: the usual checks written out (types, lengths, bounds, a 422 naming each
  bad field), answering a dict;
- apidocs: ``@api(body=ItemIn, response={201: Item})`` returning a pydantic model;
- apidocs, dict: the same, the view answering a dict (read into ``Item`` and written by
  pydantic, as every answer of a declared type is);
- apidocs, row: the same, the view answering an object read by attribute, as an ORM row
  is (``from_attributes``), with a ``password_hash`` the answer leaves out;
- host + apidocs: the plugin loaded by the host (it adds nothing per request).

Two requests: a valid body (201) and an invalid one (422, three bad fields). Every
variant gets a fresh copy of the body per request (the same WSGI wrapper for all, so its
cost cancels out). Target: apidocs within 10% of hand-written validation on the valid
request. Writes ``bench/results/apidocs.json``.
"""

from __future__ import annotations

import io
import json
import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from _harness import BARE, Reply, Variant, arguments, print_table, run, sizes, write_report
from flask import Flask, Response, jsonify, request
from pydantic import BaseModel, Field
from werkzeug.test import EnvironBuilder

from flask_plugboard import Plugboard
from flask_plugboard.plugins.apidocs import api

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

VALID = {"name": "desk lamp", "price": 24.5, "tags": ["light", "desk"]}
INVALID = {"name": "", "price": -1, "tags": ["ok", 3]}
HAND = "hand-written validation"
OURS = "apidocs"


class ItemIn(BaseModel):
    name: str = Field(min_length=1, max_length=100)
    price: float = Field(gt=0)
    tags: list[str] = Field(default=[], max_length=10)


class Item(ItemIn):
    id: int


def _bare(app: Flask) -> None:
    @app.post("/items")
    def create() -> tuple[dict[str, Any], int]:
        data = request.get_json()
        return {**data, "id": 1}, 201


def _problem(field: str, message: str) -> dict[str, str]:
    return {"in": "body", "field": field, "message": message}


def _check_item(data: Any) -> list[dict[str, str]]:
    """The checks of ItemIn, written out as one would without a schema library."""
    if not isinstance(data, dict):
        return [_problem("", "expected an object")]
    errors = []
    name = data.get("name")
    if not isinstance(name, str):
        errors.append(_problem("name", "required, a string"))
    elif not 1 <= len(name) <= 100:
        errors.append(_problem("name", "1 to 100 characters"))
    price = data.get("price")
    if isinstance(price, bool) or not isinstance(price, int | float):
        errors.append(_problem("price", "required, a number"))
    elif price <= 0:
        errors.append(_problem("price", "above 0"))
    tags = data.get("tags", [])
    if not isinstance(tags, list) or len(tags) > 10:
        errors.append(_problem("tags", "a list of at most 10 tags"))
    else:
        for i, tag in enumerate(tags):
            if not isinstance(tag, str) or not 1 <= len(tag) <= 30:
                errors.append(_problem(f"tags.{i}", "a string of 1 to 30 characters"))
    return errors


def _hand_written(app: Flask) -> None:
    @app.post("/items")
    def create() -> Response | tuple[dict[str, Any], int]:
        if not request.is_json:
            return jsonify(error="send JSON"), 400  # type: ignore[return-value]
        data = request.get_json(silent=True)
        if data is None:
            return jsonify(error="the body is not valid JSON"), 400  # type: ignore[return-value]
        errors = _check_item(data)
        if errors:
            return jsonify(error="invalid request", errors=errors), 422  # type: ignore[return-value]
        item = {"name": data["name"], "price": float(data["price"]), "tags": data.get("tags", [])}
        return {**item, "id": 1}, 201


def _ours(app: Flask) -> None:
    @app.post("/items")
    @api(body=ItemIn, response={201: Item})
    def create(body: ItemIn) -> Item:
        return Item(id=1, **body.model_dump())


def _ours_dict(app: Flask) -> None:
    @app.post("/items")
    @api(body=ItemIn, response={201: Item})
    def create(body: ItemIn) -> dict[str, Any]:
        return {**body.model_dump(), "id": 1}


class _Row:
    """Stands for an ORM row: attributes, one of them not in ``Item``."""

    __slots__ = ("id", "name", "password_hash", "price", "tags")

    def __init__(self, body: ItemIn) -> None:
        self.id, self.name, self.price, self.tags = 1, body.name, body.price, body.tags
        self.password_hash = body.name * 8  # stands for a hash: never in the answer


def _ours_row(app: Flask) -> None:
    @app.post("/items")
    @api(body=ItemIn, response={201: Item})
    def create(body: ItemIn) -> _Row:
        return _Row(body)


def _with_body(wsgi_app: WSGIApplication, body: bytes) -> WSGIApplication:
    """Give each request its own copy of the body (a read stream is used up)."""

    def fresh_body(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        environ["wsgi.input"] = io.BytesIO(body)
        return wsgi_app(environ, start_response)

    return fresh_body


def _app(setup: Callable[[Flask], object], body: bytes, host: bool = False) -> Flask:
    app = Flask("bench_apidocs")
    setup(app)
    if host:
        app.config["PLUGBOARD_PLUGINS"] = ["apidocs"]
        Plugboard(app)
    app.wsgi_app = _with_body(app.wsgi_app, body)  # type: ignore[method-assign,assignment]
    return app


def variants(body: bytes) -> list[Variant]:
    """The apps to compare, bare Flask first."""
    return [
        Variant(BARE, _app(_bare, body)),
        Variant(HAND, _app(_hand_written, body)),
        Variant(OURS, _app(_ours, body)),
        Variant("apidocs, dict", _app(_ours_dict, body)),
        Variant("apidocs, row", _app(_ours_row, body)),
        Variant("host + apidocs", _app(_ours, body, host=True)),
    ]


def _environ(body: bytes) -> dict[str, Any]:
    return EnvironBuilder(
        path="/items", method="POST", data=body, content_type="application/json"
    ).get_environ()


def check_valid(variant: Variant, reply: Reply) -> None:
    assert reply.status.startswith("201"), (variant.name, reply.status, reply.body)
    assert json.loads(reply.body) == {**VALID, "id": 1}, (variant.name, reply.body)


def check_invalid(variant: Variant, reply: Reply) -> None:
    if variant.name == BARE:  # no validation: the bad item goes through
        assert reply.status.startswith("201"), reply.status
        return
    assert reply.status.startswith("422"), (variant.name, reply.status, reply.body)
    fields = [e["field"] for e in json.loads(reply.body)["errors"]]
    assert fields == ["name", "price", "tags.1"], (variant.name, fields)


def _vs_hand(results: dict[str, dict[str, float]], name: str) -> dict[str, float]:
    """``name`` against hand-written validation, from both paired ratios to bare Flask."""
    ratio = results[name]["paired_ratio"] / results[HAND]["paired_ratio"]
    added = results[name]["added_us"] - results[HAND]["added_us"]
    return {"ratio": round(ratio, 4), "added_us": round(added, 3)}


def main() -> None:
    args = arguments(__doc__, rounds=41, quick_rounds=9).parse_args()
    rounds, batch = sizes(args)
    valid, invalid = json.dumps(VALID).encode(), json.dumps(INVALID).encode()

    started = time.perf_counter()
    results = run(variants(valid), _environ(valid), rounds, batch, check_valid)
    invalid_results = run(variants(invalid), _environ(invalid), rounds, batch, check_invalid)
    elapsed = time.perf_counter() - started

    size = f"{rounds} rounds x {batch} requests"
    print_table(f"POST /items, a valid body (201), {size}", results)
    print_table(f"POST /items, an invalid body (422), {size} ({elapsed:.0f} s in all)",
                invalid_results)  # fmt: skip
    against = {
        "valid": {n: _vs_hand(results, n) for n in results if n not in (BARE, HAND)},
        "invalid": {n: _vs_hand(invalid_results, n) for n in invalid_results
                    if n not in (BARE, HAND)},
    }  # fmt: skip
    print("against hand-written validation (paired ratios divided, microseconds added):")
    for kind, rows in against.items():
        for name, row in rows.items():
            print(f"  {kind:<8} {name:<16} {row['ratio']:.3f}  {row['added_us']:+.2f} us")
    ratio = against["valid"][OURS]["ratio"]
    met = ratio <= 1.10
    print(
        f"target: apidocs within 10% of hand-written validation (valid body): "
        f"{'met' if met else 'NOT met'} ({ratio - 1:+.1%})"
    )
    write_report(
        "apidocs",
        "POST /items with a JSON body through app.wsgi_app, in-process",
        args,
        elapsed,
        results,
        {"apidocs within 10% of hand-written": {"max_ratio": 1.10, "ratio": ratio, "met": met}},
        packages=("pydantic", "pydantic-core", "apispec"),
        invalid=invalid_results,
        against_hand_written=against,
    )


if __name__ == "__main__":
    main()
