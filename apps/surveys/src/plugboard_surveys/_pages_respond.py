"""The respondents' pages: a survey's public link, its questions as a form, and the thanks
after sending it. Anyone may answer; nobody needs JavaScript (respond.js only checks the
answers before they are sent, with the same rules).

``GET /s/<id>`` (``surveys.respond``) shows the form, or why there is none: the survey
is closed, has no questions, takes one answer per respondent and the visitor must log
in, or the user answered it already. Sending the form posts to the same address; a
refused answer gets the page again (400) with what was typed and the error beside each
question; a stored one, a 303 to ``/s/<id>/thanks`` (``surveys.thanks``).

The POST is its own endpoint (``surveys.send_answers``) because the ratelimit plugin
limits endpoints, not methods: sending answers draws on the budget the API's submissions
and the legacy replies share (SURVEYS_SUBMIT_LIMIT), reading the questions does not.
"""

from __future__ import annotations

from typing import Any, NoReturn

from flask import Blueprint, abort, current_app, redirect, request, url_for
from werkzeug.wrappers import Response as BaseResponse

from flask_plugboard.db import session
from flask_plugboard.plugins.auth import User, csrf_protect, current_user
from flask_plugboard.plugins.ratelimit import limit

from ._api_support import MAX_ID
from ._errors import AlreadySubmitted, InvalidInput, NotAllowed, NotFound, SurveyClosed
from ._models import Survey
from ._page_support import page_error, render_page
from ._respond_form import FORM, field_errors, form_fields, read_answers
from ._service import check_answers, get_survey, has_answered, may_change, submit
from ._settings import SurveysSettings

__all__ = ["add_respond_pages"]

RULE = "/s/<int:survey_id>"
#: The endpoints whose rate-limit refusals are shown as a page, not as JSON.
ENDPOINTS = frozenset({"surveys.respond", "surveys.send_answers", "surveys.thanks"})


def add_respond_pages(bp: Blueprint, settings: SurveysSettings) -> None:
    """Add the respondents' pages to the surveys blueprint (``surveys.respond``,
    ``surveys.send_answers``, ``surveys.thanks``)."""
    # csrf_protect makes a new function for this app: the limit marks the function it
    # is given, and one shared by every app of the process would count in all of them.
    send = csrf_protect(send_answers)
    if settings.submit_limit.strip():
        send = limit(settings.submit_limit, shared="surveys_submit")(send)
    bp.add_url_rule(RULE, "respond", respond, methods=["GET"])
    bp.add_url_rule(RULE, "send_answers", send, methods=["POST"])
    bp.add_url_rule(f"{RULE}/thanks", "thanks", thanks, methods=["GET"])
    bp.after_request(readable_refusal)


def _survey(survey_id: int, user: User | None, closed_status: int = 200) -> Survey:
    """The survey, when the user may see it (anyone, while it is open). Else the page
    saying it is closed, for a survey its owner closed (to strangers its name is not
    shown: a closed survey, a draft say, is its owner's business), or the 404 page."""
    try:
        if survey_id > MAX_ID:  # no survey, and more than the database's integers hold
            raise NotFound(f"survey {survey_id} does not exist")
        return get_survey(survey_id, user)
    except NotFound:
        if survey_id <= MAX_ID and session().get(Survey, survey_id) is not None:
            abort(render_page("surveys/closed.html", closed_status, survey=None))
        _not_found()


def _not_found() -> NoReturn:
    abort(
        page_error(
            404,
            "No such survey",
            "There is no survey at this address. Check the link you were given.",
        )
    )


def _state(survey: Survey, user: User | None) -> str:
    """What the page shows instead of the form, or ``form``."""
    if not survey.accepts_answers():
        return "closed"
    if survey.one_per_respondent and user is None:
        return "login"
    if has_answered(survey, user):
        return "answered"
    if not survey.questions:
        return "empty"
    return "form"


def _page(
    survey: Survey,
    user: User | None,
    state: str,
    status: int = 200,
    typed: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
) -> BaseResponse:
    if state == "closed":
        return render_page(
            "surveys/closed.html",
            status,
            survey=survey,
            may_manage=may_change(survey.owner_id, user),
        )
    fields = form_fields(survey.questions)
    shown = errors or {}
    # In the questions' order, the page's own last; the summary links to each.
    ordered = {f.name: shown[f.name] for f in fields if f.name in shown}
    if FORM in shown:
        ordered[FORM] = shown[FORM]
    here = url_for("surveys.respond", survey_id=survey.id)
    return render_page(
        "surveys/respond.html",
        status,
        survey=survey,
        state=state,
        fields=fields,
        typed=typed or {},
        errors=ordered,
        labels={f.name: f.label for f in fields},
        first_error=next(iter(ordered), None),
        login_url=url_for("auth.login", next=here),
        # A new respondent comes back here after registering, as after logging in.
        register_url=(
            url_for("auth.register", next=here)
            if "auth.register" in current_app.view_functions
            else None
        ),
    )


def respond(survey_id: int) -> BaseResponse:
    """A survey's public page: its questions, as a form."""
    user = current_user()
    survey = _survey(survey_id, user)
    return _page(survey, user, _state(survey, user))


def send_answers(survey_id: int) -> BaseResponse:
    """Store the answers sent with the form (all or none), then thank the respondent."""
    user = current_user()
    survey = _survey(survey_id, user, closed_status=409)
    # Closed first: errors in the answers to a survey that takes none would be a riddle.
    if not survey.accepts_answers():
        return _page(survey, user, "closed", 409)
    if not survey.questions:  # there was no form to send: nothing to store
        return _page(survey, user, "empty", 409)
    reading = read_answers(survey.questions, request.form)
    errors = reading.errors
    if errors:
        # Not sent to the service: an answer it cannot even read. The others' errors
        # are shown with it, all at once, as the service would list them.
        errors = {**field_errors(check_answers(survey, reading.answers)[1]), **errors}
    else:
        try:
            submit(survey, reading.answers, user)
        except InvalidInput as exc:
            errors = field_errors(exc.errors)
        except NotAllowed:
            return _page(survey, user, "login", 403)
        except AlreadySubmitted:
            return _page(survey, user, "answered", 409)
        except SurveyClosed:  # closed, or past due, since it was read
            return _page(survey, user, "closed", 409)
    if errors:
        return _page(survey, user, "form", 400, reading.typed, errors)
    return redirect(url_for("surveys.thanks", survey_id=survey.id), code=303)


def thanks(survey_id: int) -> BaseResponse:
    """After a submission: the answers were sent."""
    survey = _survey(survey_id, current_user())
    return render_page("surveys/thanks.html", survey=survey)


def readable_refusal(response: BaseResponse) -> BaseResponse:
    """The ratelimit plugin's refusal (JSON, made before the view runs) as a page a
    respondent can read, with its status and headers (Retry-After...)."""
    if (
        response.status_code not in (429, 503)
        or request.endpoint not in ENDPOINTS
        or response.mimetype != "application/json"
    ):
        return response
    body = response.get_json(silent=True)
    if not isinstance(body, dict) or not str(body.get("error", "")).startswith("rate limit"):
        return response
    if response.status_code == 429:
        wait = body.get("retry_after")
        when = f"in {wait} seconds" if isinstance(wait, int) else "in a while"
        page = page_error(
            429,
            "Too many answers at once",
            "This survey takes only so many answers from one address at a time. Wait, "
            f"then go back and send your answers again {when}: your browser may keep "
            "what you typed.",
        )
    else:
        page = page_error(
            503,
            "Answers cannot be taken right now",
            "The service cannot count answers at the moment. Go back and send yours again "
            "in a minute.",
        )
    for name, value in response.headers.items():
        if name not in page.headers:
            page.headers[name] = value
    return page
