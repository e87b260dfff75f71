"""Property-based fuzzing driven by the document (schemathesis): no server errors, and no
response that breaks the document, on the demo app and on a sample app."""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import pytest
import schemathesis
from flask import Flask

from apidocs_support import Item, sample_routes
from auth_support import FAST_ARGON2
from flask_plugboard.plugins.apidocs import api
from flask_plugboard.testing.fuzz import fuzz

DEMO = Path(__file__).resolve().parents[1] / "examples" / "demo.py"


@pytest.fixture
def demo(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    spec = importlib.util.spec_from_file_location("plugboard_demo_fuzzed", DEMO)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    monkeypatch.setattr(module, "SLOW_SECONDS", 0.001)  # /slow is called dozens of times
    return module


@pytest.fixture
def demo_app(demo: ModuleType, tmp_path: Path) -> Flask:
    app: Flask = demo.create_app(
        {"TESTING": True, **FAST_ARGON2}, instance_path=str(tmp_path / "instance")
    )
    return app


def test_the_demo_survives_fuzzing_and_keeps_to_its_document(demo_app: Flask) -> None:
    assert fuzz(demo_app) == []


def test_a_sample_app_with_every_kind_of_parameter_survives_fuzzing(
    make_plugboard_app: Callable[..., Flask],
) -> None:
    app = make_plugboard_app(
        [],
        {"PLUGBOARD_PLUGINS": ["apidocs", "ratelimit", "stats"], "RATELIMIT_DEFAULT": "999/minute"},
        setup=sample_routes,
    )
    assert fuzz(app) == []


def test_the_demo_s_429_is_the_one_its_document_describes(demo_app: Flask) -> None:
    schema = schemathesis.openapi.from_wsgi("/openapi.json", demo_app)
    operation = schema["/api/status"]["GET"]
    responses = [operation.Case().call() for _ in range(61)]
    assert [r.status_code for r in responses].count(429) == 1
    refused = responses[-1]
    assert refused.status_code == 429
    operation.Case().validate_response(refused)  # body schema and the required headers


def test_the_fuzzer_catches_a_server_error_and_a_body_the_document_does_not_allow(
    make_plugboard_app: Callable[..., Flask],
) -> None:
    def routes(app: Flask) -> None:
        @app.get("/wrong")
        @api(response=Item)
        def wrong() -> dict[str, str]:
            return {"name": "a dict that is no Item"}

        @app.get("/boom/<int:n>")
        def boom(n: int) -> str:
            return str(1 // (n % 3))  # a server error for some values

    app = make_plugboard_app([], {"PLUGBOARD_PLUGINS": ["apidocs"]}, setup=routes)
    app.testing = False  # answered with a 500, as in production
    failures = fuzz(app, examples=10)
    assert any(f.startswith("GET /wrong (positive)") for f in failures), failures
    assert any(f.startswith("GET /boom/{n} (positive)") for f in failures), failures


def test_the_demo_documents_and_validates_its_json_routes(demo_app: Flask) -> None:
    client = demo_app.test_client()
    page = client.get("/").get_data(as_text=True)
    assert 'href="/docs"' in page and 'href="/openapi.json"' in page
    created = client.post("/api/greetings", json={"name": "Ada", "times": 2})
    assert created.status_code == 201
    assert created.get_json() == {"message": "Hello, Ada! Hello, Ada!"}
    refused = client.post("/api/greetings", json={"name": "", "times": 9})
    assert refused.status_code == 422
    assert [e["field"] for e in refused.get_json()["errors"]] == ["name", "times"]
    doc = client.get("/openapi.json").get_json()
    greet = doc["paths"]["/api/greetings"]["post"]
    assert set(greet["requestBody"]["content"]["application/json"]["examples"]) == {
        "once",
        "three times",
    }
    assert doc["paths"]["/api/status"]["get"]["responses"]["429"]
    assert {t["name"] for t in doc["tags"]} >= {"auth", "stats", "plugboard"}
    with client.get("/docs") as ui:
        assert ui.status_code == 200
