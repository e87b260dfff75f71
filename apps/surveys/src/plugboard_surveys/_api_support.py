"""What every view of the Surveys API v1 shares: the service's errors as JSON answers,
the user of a guarded view, the CSRF check of browser sessions, the settings.

Errors answer with the bodies apidocs documents: ``{"error": ...}`` (its ``ApiError``)
for 403, 404 and 409, and for 422 the ``InvalidRequest`` body of apidocs' own
validation, so that clients parse one shape whichever part refused the input.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from typing import Any, TypeVar, cast

from flask import Response, current_app, jsonify, request
from pydantic import BaseModel

from flask_plugboard.plugins.auth import (
    CSRFError,
    User,
    authenticated_by_bearer_token,
    check_csrf,
    current_user,
    has_browser_session,
)

from ._errors import (
    AlreadySubmitted,
    FieldError,
    HasAnswers,
    InvalidInput,
    NotAllowed,
    NotFound,
    SurveyClosed,
    SurveysError,
)
from ._models import MAX_ID
from ._settings import SurveysSettings

__all__ = [
    "MAX_ID",
    "Reply",
    "error_response",
    "invalid_response",
    "login_user",
    "refusals",
    "session_csrf",
    "surveys_settings",
]

F = TypeVar("F", bound=Callable[..., Any])

#: What a view returns for ``@api`` to finish: a model (serialised by pydantic), maybe
#: with a status and headers, or a response made already (an error).
Reply = (
    Response
    | BaseModel
    | tuple[BaseModel | dict[str, Any], int]
    | tuple[BaseModel | dict[str, Any], int, dict[str, str]]
)


_STATUSES: tuple[tuple[type[SurveysError], int], ...] = (
    (NotFound, 404),
    (NotAllowed, 403),
    (SurveyClosed, 409),
    (AlreadySubmitted, 409),
    (HasAnswers, 409),
)
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def error_response(status: int, message: str) -> Response:
    """``status`` with ``{"error": message}``."""
    response = jsonify(error=message)
    response.status_code = status
    return response


def invalid_response(errors: Iterable[FieldError]) -> Response:
    """422 naming each bad field of the body, as apidocs' validation does."""
    response = jsonify(
        error="invalid request",
        errors=[
            {"in": "body", "field": field, "message": message, "type": "value_error"}
            for field, message in errors
        ],
    )
    response.status_code = 422
    return response


def refusals(view: F) -> F:
    """Answer the service's errors with their status and a JSON body (see the module)."""

    @functools.wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        # Ids are 32-bit in the database: a larger one is no survey (404), never sent to
        # the database. Checked here, not with the URL converter's ``max``: werkzeug would
        # then answer 405 for the URL's other methods.
        survey_id = kwargs.get("survey_id")
        if isinstance(survey_id, int) and survey_id > MAX_ID:
            return error_response(404, f"survey {survey_id} does not exist")
        try:
            return view(*args, **kwargs)
        except InvalidInput as exc:
            return invalid_response(exc.errors)
        except SurveysError as exc:
            for kind, status in _STATUSES:
                if isinstance(exc, kind):
                    return error_response(status, str(exc))
            raise

    return cast(F, wrapped)


def session_csrf(view: F) -> F:
    """Refuse a change made with a browser's session cookie alone unless it carries the
    session's CSRF token (``X-CSRF-Token``): another page of the site could otherwise
    make the browser send it. A request a valid bearer token authenticated needs none;
    any other ``Authorization`` header (``Basic ...``, a bad token) changes nothing."""

    @functools.wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if (
            request.method not in _SAFE_METHODS
            and has_browser_session()
            and not authenticated_by_bearer_token()
        ):
            try:
                check_csrf()
            except CSRFError as exc:
                return error_response(400, exc.description or "the CSRF token is missing")
        return view(*args, **kwargs)

    return cast(F, wrapped)


def login_user() -> User:
    """The user of a view behind ``login_required``."""
    return cast(User, current_user())


def surveys_settings() -> SurveysSettings:
    """The surveys plugin's settings on the current app."""
    settings: SurveysSettings = current_app.extensions["surveys"].get_settings(current_app)
    return settings
