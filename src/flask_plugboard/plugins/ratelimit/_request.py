"""The request path: count, refuse with 429 or 503, add the rate-limit headers."""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable, Iterable

from flask import Request, Response, current_app, request

from ._compile import AppState, Rule
from ._rules import ratelimit_header

__all__ = ["add_headers", "check"]

#: WSGI environ key of the limits a request passed, for the headers after the view.
PASSED = "plugboard.ratelimit.passed"


def check(state: AppState) -> Callable[[], Response | None]:
    cache = state.cache
    errors = state.errors
    always = state.settings.headers == "always"
    reject = _rejecter(state)

    def plugboard_ratelimit() -> Response | None:
        req: Request = request._get_current_object()  # type: ignore[attr-defined]
        endpoint = req.endpoint
        try:
            rules = cache[endpoint]
        except KeyError:
            rules = state.rules(current_app._get_current_object(), endpoint)  # type: ignore[attr-defined]
        if not rules:
            return None
        environ = req.environ
        if req.method == "OPTIONS" and "HTTP_ACCESS_CONTROL_REQUEST_METHOD" in environ:
            return None  # a CORS preflight: the browser's, not the client's, request
        passed: list[tuple[Rule, str]] | None = [] if always else None
        for rule in rules:
            key = rule.key(req)
            if key is None:
                continue
            try:
                ok = rule.hit(key)
            except errors as exc:
                rule.outage.failed(exc, rule.closed)
                if rule.closed:
                    return _unavailable(rule)
                continue
            if rule.outage.down:
                rule.outage.recovered()
            if not ok:
                return reject(rule, key)
            if passed is not None:
                passed.append((rule, key))
        if passed:
            environ[PASSED] = passed
        return None

    return plugboard_ratelimit


def _stats(rule: Rule, key: str, errors: tuple[type[BaseException], ...]) -> tuple[int, float]:
    """(remaining, seconds to reset) of one limit; a full window when the storage fails."""
    try:
        reset_time, remaining = rule.stats(key)
    except errors:
        return 0, float(rule.item.get_expiry())
    return remaining, max(0.0, reset_time - time.time())


def _rejecter(state: AppState) -> Callable[[Rule, str], Response]:
    errors = state.errors
    x_headers = state.settings.x_headers

    def reject(rule: Rule, key: str) -> Response:
        remaining, reset = _stats(rule, key, errors)
        retry = max(1, math.ceil(reset))
        body = {
            "error": "rate limit exceeded",
            "limit": rule.info.limit,
            "scope": rule.scope,
            "retry_after": retry,
        }
        headers = {
            "Retry-After": str(retry),
            "RateLimit-Policy": rule.policies,
            "RateLimit": ratelimit_header(rule.info.policy, 0, retry),
        }
        if x_headers:
            headers.update(_x_headers(rule, 0, retry))
        return Response(json.dumps(body), 429, headers, mimetype="application/json")

    return reject


def _x_headers(rule: Rule, remaining: int, reset: float) -> dict[str, str]:
    return {
        "X-RateLimit-Limit": str(rule.item.amount),
        "X-RateLimit-Remaining": str(max(0, remaining)),
        "X-RateLimit-Reset": str(math.ceil(time.time() + reset)),
    }


def _unavailable(rule: Rule) -> Response:
    body = {
        "error": "rate limit storage unavailable",
        "limit": rule.info.limit,
        "scope": rule.scope,
    }
    return Response(json.dumps(body), 503, {"Retry-After": "1"}, mimetype="application/json")


def add_headers(state: AppState) -> Callable[[Response], Response]:
    errors = state.errors
    ietf = state.settings.headers == "always"
    x_headers = state.settings.x_headers

    def plugboard_ratelimit_headers(response: Response) -> Response:
        passed: Iterable[tuple[Rule, str]] | None = request.environ.get(PASSED)
        if not passed:  # not limited, or refused (a 429 has its headers already)
            return response
        values = []
        tightest: tuple[int, float, Rule] | None = None
        for rule, key in passed:
            remaining, reset = _stats(rule, key, errors)
            values.append(ratelimit_header(rule.info.policy, remaining, reset))
            if tightest is None or remaining < tightest[0]:
                tightest = (remaining, reset, rule)
        headers = response.headers
        if ietf:
            headers["RateLimit-Policy"] = next(iter(passed))[0].policies
            headers["RateLimit"] = ", ".join(values)
        if x_headers and tightest is not None:
            headers.update(_x_headers(tightest[2], tightest[0], tightest[1]))
        return response

    return plugboard_ratelimit_headers
