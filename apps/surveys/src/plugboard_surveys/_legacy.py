"""The endpoints of the old flaskForms backend, in its wire format, for its clients.

Parameters are strings in request headers, except those the old API read from the body
(``questions``, ``replyContent``, ``reply``: a JSON body, a form or the query string).
A missing one gets 400 ``{"message": {"<field>": "This field cannot be blank"}}``, the
first missing in the order the old API checked. Business errors keep the old answer:
status 200 and ``{"message": ...}``. Token errors are ``{"msg": ...}`` with the texts of
flask-jwt-extended 3, which the old backend ran (see :func:`_token_error`).

Deliberate fixes (the README's "Changed on purpose" lists them all): ``/getsurveystats``
needs its owner's or an administrator's token unless ``SURVEYS_LEGACY_PUBLIC_STATS``;
``/users`` needs an administrator's token and shows no password hashes; a bad
``duedate`` or id, JSON nested too deeply, a literal that is no JSON are 400s naming
the field, not 500s; ``/addsurvey`` with questions is all or nothing; replies and
``replyContent`` keep their JSON values; ``subCount`` counts submissions (each
``/addreply`` is one); a closed survey takes no replies; a token whose user was deleted
gets 401; logging out revokes as the auth plugin does (the refresh token's whole login).
Passwords follow auth's policy (400 naming ``password`` when one is too weak).
"""

from __future__ import annotations

import ast
import datetime as dt
import functools
import json
from collections.abc import Callable, Mapping
from typing import Any, TypeVar, cast

import sqlalchemy as sa
from flask import Blueprint, Request, Response, current_app, jsonify, request
from flask_jwt_extended import get_current_user, jwt_required
from flask_jwt_extended.exceptions import (
    InvalidHeaderError,
    NoAuthorizationError,
    WrongTokenError,
)

from flask_plugboard.db import session
from flask_plugboard.plugins.auth import (
    AuthError,
    AuthSettings,
    DuplicateUserError,
    PasswordPolicyError,
    User,
    check_credentials,
    check_email,
    check_username,
    current_user,
    delete_user,
    find_user,
    is_admin,
    issue_tokens,
    login_limits,
    new_access_token,
    normalise_name,
    register_limits,
    register_user,
    revoke_token,
)
from flask_plugboard.plugins.ratelimit import limit

from . import _legacy_ids as legacy_ids
from . import _reads as reads
from . import _service as service
from ._errors import InvalidInput, NotAllowed, NotFound, SurveyClosed
from ._json import TooDeep, json_problem, loads
from ._models import Survey
from ._results import legacy_stats
from ._settings import SurveysSettings

__all__ = ["LEGACY_BLUEPRINT", "PATHS", "add_legacy", "legacy_body", "legacy_datetime"]

F = TypeVar("F", bound=Callable[..., Any])

#: The old backend's paths. A request to one with a method it does not take is answered
#: 405 ``{"message": ...}``, as the old API did (see :func:`legacy_body`).
PATHS = frozenset(
    {
        "/register", "/login", "/logout/access", "/logout/refresh", "/token/refresh",
        "/users", "/addsurvey", "/getsurveys", "/activesurveys", "/getsurveyquestions",
        "/addquestion", "/addreply", "/getsurveystats",
    }
)
#: The blueprint's name in the app, once the surveys plugin added it.
LEGACY_BLUEPRINT = "surveys.legacy"

BLANK = "This field cannot be blank"
_MAX_HEADER = 1000
_DATE_FORMAT = "%Y-%m-%d %H:%M:%S"


class _Refused(Exception):
    """Answer with ``status`` and ``{"message": message}``."""

    def __init__(self, message: Any, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


def _missing(field: str) -> _Refused:
    return _Refused({field: BLANK})


def _bad(field: str, why: str) -> _Refused:
    return _Refused({field: why})


def _message(text: str, status: int = 200) -> Response:
    response = jsonify(message=text)
    response.status_code = status
    return response


def _optional(name: str) -> str | None:
    """A header parameter, stripped; None when absent or blank."""
    value = request.headers.get(name)
    if value is None or not value.strip():
        return None
    if len(value) > _MAX_HEADER:
        raise _bad(name, f"at most {_MAX_HEADER} characters")
    if "\x00" in value:  # PostgreSQL's text cannot hold it, not even to compare
        raise _bad(name, "may not contain NUL characters")
    return value.strip()


def _header(name: str) -> str:
    """A required header parameter (400 "This field cannot be blank" without it)."""
    value = _optional(name)
    if value is None:
        raise _missing(name)
    return value


def _id(name: str) -> int:
    """An id header: ASCII digits (``str.isdigit`` also takes ``²`` and other scripts'
    digits). One past the database's range names nothing, which the service answers."""
    value = _header(name)
    if not (value.isascii() and value.isdigit()) or len(value) > 18:
        raise _bad(name, f"must be a whole number in the digits 0-9, not {value!r}")
    return int(value)


def _body() -> Mapping[str, Any]:
    """The body's fields (a JSON object), else the form and query string's."""
    if request.is_json:
        raw = request.get_data(cache=True)
        if not raw:
            return {}
        try:
            data = current_app.json.loads(raw)
        except ValueError as exc:  # the app's provider: TooDeep is one
            why = str(exc) if isinstance(exc, TooDeep) else "it is not valid JSON"
            raise _Refused("The browser (or proxy) sent a request that this server could "
                           f"not understand: the body is not valid JSON ({why})") from None
        return data if isinstance(data, dict) else {}
    return request.values


def _body_list(name: str) -> list[Any] | None:
    """A list parameter: a JSON array, or the parameter repeated in a form or query."""
    if request.is_json:
        value = _body().get(name)
        if value is None or value == []:  # reqparse's append gave None for no items
            return None
        return value if isinstance(value, list) else [value]
    values = request.values.getlist(name)
    return values or None


def _literal(field: str, value: Any) -> Any:
    """A value the old clients sent as text: JSON, or a Python literal (the old API ran
    ``ast.literal_eval`` on what reqparse had turned into a string)."""
    if not isinstance(value, str):
        return value
    if len(value) > service.MAX_LEGACY_JSON:
        raise _bad(field, f"at most {service.MAX_LEGACY_JSON} characters")
    try:
        return loads(value)
    except TooDeep as exc:
        raise _bad(field, str(exc)) from None
    except ValueError:
        pass
    try:
        literal = ast.literal_eval(value)
    except (ValueError, SyntaxError, MemoryError, RecursionError, TypeError):
        raise _bad(field, f"is not JSON: {value[:80]!r}") from None
    # A literal may be a set, bytes, a complex number...: none is a JSON value.
    problem = json_problem(literal)
    if problem is not None:
        raise _bad(field, problem)
    # As stored: tuples become arrays, numbers as keys become text.
    return json.loads(json.dumps(literal))


def legacy_datetime(value: dt.datetime | None) -> str | None:
    """A date as the old API wrote it: ``2099-12-31 10:11:12`` (UTC)."""
    if value is None:
        return None
    return value.astimezone(dt.UTC).strftime(_DATE_FORMAT)


def _parse_due(value: str) -> dt.datetime:
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        raise _bad(
            "duedate", f"is not a date: write it like 2099-12-31 10:11:12, not {value[:40]!r}"
        ) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def _survey_json(survey: Survey) -> dict[str, Any]:
    return _listed_survey(
        survey.id,
        survey.name,
        survey.is_active,
        survey.due_at,
        survey.submission_count,
        survey.description,
    )


def _listed_survey(
    survey_id: int,
    name: str,
    is_active: bool,
    due_at: dt.datetime | None,
    count: int,
    description: str,
) -> dict[str, Any]:
    """A survey as the old listings show it; the fields of a :data:`_reads.ActiveSurvey`."""
    return {
        "id": survey_id,
        "name": name,
        "isActive": is_active,
        "dueDate": legacy_datetime(due_at),
        "subCount": count,
        "desc": description,
    }


def _refusals(view: F) -> F:
    """Turn :class:`_Refused` and bad input into the old API's answers."""

    @functools.wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        try:
            return view(*args, **kwargs)
        except _Refused as refused:
            response = jsonify(message=refused.message)
            response.status_code = refused.status
            return response
        except InvalidInput as exc:
            response = jsonify(message=dict(exc.errors))
            response.status_code = 400
            return response

    return cast(F, wrapped)


def _access(view: F) -> F:
    return cast(F, jwt_required()(view))


def _refresh(view: F) -> F:
    return cast(F, jwt_required(refresh=True)(view))


def _with_tokens(message: str, tokens: Mapping[str, Any]) -> Response:
    response = jsonify(
        message=message,
        access_token=tokens["access_token"],
        refresh_token=tokens["refresh_token"],
    )
    response.headers["Cache-Control"] = "no-store"
    return response


# -- users and tokens ------------------------------------------------------------------


@_refusals
def register() -> Response:
    username = _header("username")
    email = _header("email")
    password = request.headers.get("password") or ""
    if not password:
        raise _missing("password")
    for field, check, value in (
        ("username", check_username, username),
        ("email", check_email, email),
    ):
        try:
            check(value)
        except AuthError as exc:
            raise _bad(field, str(exc)) from None
    if not current_app.config.get("AUTH_REGISTRATION", True):
        return _message("Registration is closed: ask an administrator for an account", 403)
    try:
        # register_user does the same work for a taken name as for a free one (it hashes
        # first); which name is taken is asked only afterwards, as the answer needs it.
        user = register_user(username, password, email=email)
    except PasswordPolicyError as exc:
        raise _bad("password", str(exc)) from None
    except DuplicateUserError:
        if find_user(username) is None and find_user(email) is not None:
            return _message(f"User with email {email} already exists")
        return _message(f"User {username} already exists")
    return _with_tokens(f"User {user.username} was created", issue_tokens(user))


@_refusals
def login() -> Response:
    username = _header("username")
    password = request.headers.get("password") or ""
    if not password:
        raise _missing("password")
    # The credentials first, whoever is named: an unknown name costs the same as a wrong
    # password (check_credentials); the old answers tell them apart only afterwards.
    user = check_credentials(username, password)
    if user is None:
        if find_user(username) is None:
            return _message(f"User {username} doesn't exist")
        return _message("Wrong credentials")
    return _with_tokens(f"Logged in as {user.username}", issue_tokens(user))


@_access
def logout_access() -> Response:
    revoke_token()
    return _message("Access token has been revoked")


@_refresh
def logout_refresh() -> Response:
    revoke_token(family=True)
    return _message("Refresh token has been revoked")


@_refresh
def token_refresh() -> Response:
    # Not rotated: the old clients keep one refresh token for its 30 days.
    response = jsonify(access_token=new_access_token())
    response.headers["Cache-Control"] = "no-store"
    return response


@_access
def users() -> Response:
    me = cast(User, get_current_user())
    if not is_admin(me):
        return _message("Administrators only: log in as an administrator", 403)
    db = session()
    if request.method == "GET":
        names = db.scalars(sa.select(User.username).order_by(User.id))
        return jsonify(users=[{"username": name} for name in names])
    # Every user but the administrator asking, who would lock themselves out.
    others = list(db.scalars(sa.select(User).where(User.id != me.id).order_by(User.id)))
    for user in others:
        for survey in db.scalars(sa.select(Survey).where(Survey.owner_id == user.id)):
            service.delete_survey(survey)
        delete_user(user)
    return _message(f"{len(others)} row(s) deleted")


# -- surveys ---------------------------------------------------------------------------


def _user() -> User:
    return cast(User, get_current_user())


def _question_items(raw: list[Any] | None) -> list[Any]:
    items = []
    for index, item in enumerate(raw or []):
        value = _literal("questions", item)
        if not isinstance(value, dict):
            raise _bad("questions", f"item {index} is not an object with content and type")
        if not isinstance(value.get("type"), str) or not value["type"].strip():
            raise _bad("questions", f"item {index} has no type")
        content = value.get("content")
        if content is not None and not isinstance(content, str):
            raise _bad("questions", f"item {index}: content must be a string")
        items.append(
            service.legacy_question(value["type"], content, value.get("replyContent"))
        )
    return items


@_access
@_refusals
def add_survey() -> Response:
    name = _header("name")
    due = _parse_due(_header("duedate"))
    description = _optional("desc") or "Add description!"
    active = request.headers.get("isactive") == "True"
    questions = _question_items(_body_list("questions"))
    service.create_survey(
        _user(), name=name, description=description, due_at=due, is_active=active,
        questions=questions,
    )
    return _message(f"Survey {name} was created")


@_access
def get_surveys() -> Response:
    user = _user()
    surveys = session().scalars(
        sa.select(Survey).where(Survey.owner_id == user.id).order_by(Survey.id)
    ).all()
    if not surveys:
        return _message(f"User {user.username} has no surveys")
    return jsonify(surveys=[_survey_json(s) for s in surveys])


def active_surveys() -> Response:
    # Rows, not Survey instances (see _reads): the busiest endpoint of all.
    rows = reads.active_survey_rows()
    if not rows:
        return _message("There are no active surveys")
    return jsonify(surveys=[_listed_survey(*row) for row in rows])


@_refusals
def survey_questions() -> Response:
    survey_id = legacy_ids.current_id("surveys", _id("idSurvey"))
    found = reads.survey_question_rows(survey_id)
    # Who asks matters only for a survey that is not active (its owner still sees it).
    if found is None or not (
        found.is_active or service.may_change(found.owner_id, current_user())
    ):
        return _message("Survey doesn't exist")
    return jsonify(
        questions=[
            {"id": question_id, "content": content, "type": legacy_type or kind,
             "replyContent": options}
            for question_id, content, legacy_type, kind, options in found.questions
        ]
    )


@_access
@_refusals
def add_question() -> Response:
    survey_id = legacy_ids.current_id("surveys", _id("idSurvey"))
    content = _header("content")
    type_name = _header("type")
    reply_content = _literal("replyContent", _body_list("replyContent"))
    user = _user()
    try:
        survey = service.owned_survey(survey_id, user)
    except NotFound:
        return _message("Survey doesn't exist")
    except NotAllowed:
        return _message(f"User {user.username} not permited")
    service.add_question(survey, service.legacy_question(type_name, content, reply_content))
    return _message("Question was added")


@_refusals
def add_reply() -> Response:
    question_id = legacy_ids.current_id("questions", _id("idQuestion"))
    body = _body()
    if "reply" not in body or body.get("reply") in (None, ""):
        raise _missing("reply")
    value = body["reply"]
    if not request.is_json:  # a form or query: repeated values are a list
        values = request.values.getlist("reply")
        value = values if len(values) > 1 else values[0]
    try:
        stored = service.legacy_reply(question_id, value)
    except SurveyClosed:
        return _message("Survey is closed")
    except NotAllowed:
        return _message("Survey takes one answer per respondent: answer it logged in")
    if stored is None:
        return _message("Question doesn't exist")
    return _message("Reply was added")


def _stats(owner_only: bool) -> Response:
    asked = _id("id")
    survey_id = legacy_ids.current_id("surveys", asked)
    user = current_user()
    try:
        survey = service.get_survey(survey_id, user)
    except NotFound:
        return _message(f"Survey {asked} doesn't exist")
    if owner_only and not service.may_change(survey.owner_id, user):
        return _message(f"User {_user().username} not permited")
    return jsonify(legacy_stats(survey))


@_refusals
def survey_stats() -> Response:
    """Anyone's (SURVEYS_LEGACY_PUBLIC_STATS): the old backend's behaviour."""
    return _stats(owner_only=False)


@_access
@_refusals
def owner_survey_stats() -> Response:
    """Its owner's and administrators' only, as the API v1's results (the default)."""
    return _stats(owner_only=True)


# -- token errors in flask-jwt-extended 3's words ------------------------------------------

_V3_BAD_HEADER = "Bad Authorization header. Expected value 'Bearer <JWT>'"


def _token_error(error: Exception) -> Response:
    """flask-jwt-extended 4 answers some token errors in other words (and one with
    another status) than version 3 did, which the old clients were written against."""
    key = current_app.config.get("JWT_ERROR_MESSAGE_KEY", "msg")
    if isinstance(error, WrongTokenError):
        text = str(error).replace("non-refresh", "access")
        status = 422
    elif isinstance(error, InvalidHeaderError) or (
        isinstance(error, NoAuthorizationError) and "Authorization" in request.headers
    ):
        text, status = _V3_BAD_HEADER, 422
    else:
        text, status = str(error), 401
    response = jsonify({key: text})
    response.status_code = status
    return response


def legacy_body(error: str) -> dict[str, Any]:
    """An error's body as the old API (flask-restful) wrote every one: ``{"message": ...}``."""
    return {"message": error}


def _legacy_errors(response: Response) -> Response:
    """The host's and plugins' JSON errors (``{"error": ...}``: 413, 429, 503...) in the
    old API's shape. Token errors (``msg``) and the views' own answers are left alone."""
    if response.status_code < 400 or not response.is_json:
        return response
    body = response.get_json(silent=True)
    if not isinstance(body, dict) or not isinstance(body.get("error"), str):
        return response
    if "message" in body or "msg" in body:
        return response
    text = body["error"]
    if isinstance(body.get("retry_after"), int):  # the ratelimit plugin's 429
        text = f"{text} ({body.get('limit')}): try again in {body['retry_after']} seconds"
    response.set_data(json.dumps(legacy_body(text)))
    return response


def _header_account(req: Request) -> str | None:
    """The account a legacy login tries (its ``username`` header), as auth counts it."""
    name = req.headers.get("username", "").strip()
    return "account:" + normalise_name(name)[:254] if req.method == "POST" and name else None


def _login_limits(auth: AuthSettings) -> Callable[[F], F]:
    """auth's login limits, drawing on the same budgets as its own login pages: per
    address, and per account (named here in a header, not in the body)."""
    decorators = [login_limits(auth.login_limit_address, "")]
    if auth.login_limit_account.strip():
        decorators.append(
            limit(
                auth.login_limit_account,
                key=_header_account,
                shared="auth_login_account",
                login=True,
            )
        )

    def decorate(view: F) -> F:
        for decorator in decorators:
            view = decorator(view)
        return view

    return decorate


def _own(view: F) -> F:
    """A new function calling ``view``, for one app: ``limit()`` marks the function it is
    given, and a module's function is shared by every app of the process (one app's
    limits would count in all of them)."""

    @functools.wraps(view, updated=())
    def own(*args: Any, **kwargs: Any) -> Any:
        return view(*args, **kwargs)

    return cast(F, own)


def add_legacy(bp: Blueprint, settings: SurveysSettings, auth: AuthSettings) -> None:
    """Add the old backend's endpoints, at the root, as the blueprint ``legacy`` of ``bp``."""
    legacy = Blueprint("legacy", __name__)
    for error in (NoAuthorizationError, InvalidHeaderError, WrongTokenError):
        legacy.register_error_handler(error, _token_error)
    submit_limit = settings.submit_limit.strip()
    reply_view: Callable[[], Response] = add_reply
    if submit_limit:
        reply_view = limit(submit_limit, shared="surveys_submit")(_own(add_reply))
    # Draws on auth's registration budget: its pages and JSON register count with it.
    register_view = register_limits(auth.register_limit)(_own(register))
    stats_view = survey_stats if settings.legacy_public_stats else owner_survey_stats
    rules: list[tuple[str, str, Callable[..., Response], list[str]]] = [
        ("/register", "register", register_view, ["POST"]),
        ("/login", "login", _login_limits(auth)(_own(login)), ["POST"]),
        ("/logout/access", "logout_access", logout_access, ["POST"]),
        ("/logout/refresh", "logout_refresh", logout_refresh, ["POST"]),
        ("/token/refresh", "token_refresh", token_refresh, ["POST"]),
        ("/users", "users", users, ["GET", "DELETE"]),
        ("/addsurvey", "add_survey", add_survey, ["POST"]),
        ("/getsurveys", "get_surveys", get_surveys, ["GET"]),
        ("/activesurveys", "active_surveys", active_surveys, ["GET"]),
        ("/getsurveyquestions", "survey_questions", survey_questions, ["GET"]),
        ("/addquestion", "add_question", add_question, ["POST"]),
        ("/addreply", "add_reply", reply_view, ["POST"]),
        ("/getsurveystats", "survey_stats", stats_view, ["GET"]),
    ]
    for rule, endpoint, view, methods in rules:
        legacy.add_url_rule(rule, endpoint, view, methods=methods)
    legacy.after_request(_legacy_errors)
    bp.register_blueprint(legacy)
