"""What the owners' pages share: the user, their survey (or a 404 page), and the answer
after a change."""

from __future__ import annotations

from typing import Any, NoReturn

from flask import abort, flash, redirect, url_for
from werkzeug.wrappers import Response as BaseResponse

from ._api_support import login_user
from ._errors import NotAllowed, NotFound
from ._models import Question, Survey
from ._page_support import page_error
from ._service import get_question, owned_survey

__all__ = ["changed", "not_found", "owners_question", "owners_survey"]


def not_found(what: str = "survey") -> NoReturn:
    """Stop with the 404 page."""
    abort(
        page_error(
            404,
            f"No such {what}",
            f"This {what} does not exist, or is not one of yours. Your surveys are "
            "listed under My surveys.",
        )
    )


def owners_survey(survey_id: int, *, load_questions: bool = True) -> Survey:
    """The survey, when the user may change it (its owner, an administrator); else the
    404 page: whether someone else's survey exists is not the user's business."""
    try:
        return owned_survey(survey_id, login_user(), load_questions=load_questions)
    except (NotFound, NotAllowed):
        not_found()


def owners_question(survey: Survey, question_id: int) -> Question:
    """One of the survey's questions, else the 404 page."""
    try:
        return get_question(survey, question_id)
    except NotFound:
        not_found("question")


def changed(message: str, endpoint: str, category: str = "ok", **values: Any) -> BaseResponse:
    """After a change: the message for the next page, and a 303 to ``endpoint`` (a
    reload then shows the page, and does not post the form again)."""
    flash(message, category)
    return redirect(url_for(endpoint, **values), code=303)
