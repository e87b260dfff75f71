"""A bounded schemathesis run over an app's OpenAPI document, in process.

    from flask_plugboard.testing.fuzz import fuzz

    def test_no_server_errors(app):
        assert fuzz(app, path_regex="^/api/", headers={"Authorization": "Bearer ..."}) == []

Needs schemathesis (not a dependency of flask-plugboard: install it for these tests).
``headers`` go with every case (a bearer token), so that the operations behind a login
are exercised past their 401.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable


def fuzz(
    app: Flask,
    *,
    path_regex: str | None = None,
    headers: Mapping[str, str] | None = None,
    examples: int = 25,
    path: str = "/openapi.json",
) -> list[str]:
    """Run schemathesis on the operations of ``app``'s document (those whose path matches
    ``path_regex``, when given), in process, sending ``headers`` with each case; return the failures
    (empty when none).

    Bounded and deterministic: ``examples`` cases per operation and mode, a fixed seed,
    no example database. Every operation must answer without a server error, and with
    the content type, headers and body its document gives for the status it answered;
    operations that take input, only with documented statuses, and invalid input
    ("negative" cases) must be refused with a 4xx.
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

    # schemathesis's result types are not precise enough for mypy here.
    schema: Any = schemathesis.openapi.from_wsgi(path, app)
    if path_regex is not None:
        schema = schema.include(path_regex=path_regex)
    always = [
        not_a_server_error,
        content_type_conformance,
        response_headers_conformance,
        response_schema_conformance,
    ]
    failures: list[str] = []
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1
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
                _runner(operation, mode, checks, examples, dict(headers or {}))()
            except Unsatisfiable as exc:
                # No invalid value can be sent there: nothing to check.
                if mode is not schemathesis.GenerationMode.NEGATIVE:
                    failures.append(f"{operation.label} ({mode}): {exc}")
            except (Exception, BaseExceptionGroup) as exc:  # every failure is collected
                failures.append(f"{operation.label} ({mode}): {exc}")
    if not operations:
        failures.append(f"no operation of the document matches {path_regex or '.*'!r}")
    return failures


def _runner(
    operation: Any, mode: Any, checks: list[Any], examples: int, headers: dict[str, str]
) -> Any:
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
        case.call_and_validate(headers=headers, checks=checks)

    return run
