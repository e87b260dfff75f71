"""What auth adds to the OpenAPI document of the apidocs plugin (its two hooks).

The security schemes auth really accepts (a Bearer JWT, the browser's session cookie),
and on each view guarded by :func:`login_required`, :func:`roles_required` or the token
endpoints, the security requirement and the refusals that view can really answer: 401
(nobody, or a bad token), 422 (a malformed token), 403 (a missing role). Views that
need nothing get nothing. Nothing here runs on the request path.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask

from ._identity import REQUIREMENT_ATTR, AuthRequirement

__all__ = ["components", "describe_operation"]

BEARER = "bearerAuth"
SESSION = "sessionCookie"

_ERROR = {
    "type": "object",
    "properties": {"error": {"type": "string"}},
    "required": ["error"],
}
_TOKEN_ERROR = {
    "type": "object",
    "description": "flask-jwt-extended's answer about the token",
    "properties": {"msg": {"type": "string"}},
    "required": ["msg"],
}
_FORBIDDEN = {
    "type": "object",
    "properties": {
        "error": {"type": "string"},
        "roles": {"type": "array", "items": {"type": "string"}},
    },
    "required": ["error", "roles"],
}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def components(app: Flask) -> dict[str, dict[str, Any]]:
    """The security schemes and error bodies of auth."""
    return {
        "securitySchemes": {
            BEARER: {
                "type": "http",
                "scheme": "bearer",
                "bearerFormat": "JWT",
                "description": "An access token from POST /auth/api/login (a refresh "
                "token on the refresh and refresh-logout endpoints).",
            },
            SESSION: {
                "type": "apiKey",
                "in": "cookie",
                "name": str(app.config.get("SESSION_COOKIE_NAME") or "session"),
                "description": "The browser's session, after logging in on /auth/login.",
            },
        },
        "schemas": {
            "AuthRequired": _ERROR,
            "TokenError": _TOKEN_ERROR,
            "Forbidden": _FORBIDDEN,
        },
    }


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def describe_operation(view: Callable[..., Any], operation: dict[str, Any]) -> None:
    """Add the security and refusals of a guarded ``view`` to its ``operation``."""
    requirement: AuthRequirement | None = getattr(view, REQUIREMENT_ATTR, None)
    if requirement is None:
        return
    token_only = requirement.accepts != "any"
    operation["security"] = [{BEARER: []}] if token_only else [{BEARER: []}, {SESSION: []}]
    responses: dict[str, Any] = operation.setdefault("responses", {})
    unauthorized = _ref("TokenError") if token_only else {
        "oneOf": [_ref("AuthRequired"), _ref("TokenError")]
    }
    what = f"a {requirement.accepts} token" if token_only else "a login (token or session)"
    responses.setdefault(
        "401",
        {
            **_json(unauthorized, f"Needs {what}: missing, expired or revoked."),
            "headers": {"WWW-Authenticate": {"schema": {"type": "string"}}}
            if not token_only
            else {},
        },
    )
    # A malformed token, a bad signature or the wrong kind of token: 422, which the
    # view's own validation may answer too.
    mine = _json(_ref("TokenError"), "The token is malformed, badly signed or of the wrong kind.")
    theirs = responses.get("422")
    if theirs is None:
        responses["422"] = mine
    else:
        schema = theirs.get("content", {}).get("application/json", {}).get("schema")
        if schema is not None:
            theirs["content"]["application/json"]["schema"] = {
                "oneOf": [schema, _ref("TokenError")]
            }
            theirs["description"] = f"{theirs.get('description', '')} Or: {mine['description']}"
    if requirement.roles:
        responses.setdefault(
            "403", _json(_ref("Forbidden"), f"Needs the role(s) {', '.join(requirement.roles)}.")
        )
