"""The owners' pages for a survey's questions: add one, edit it, move it up or down,
remove it. The manage page (:mod:`._pages_owner`) lists them and embeds the add form.

A question's kind, options and settings cannot change once it has answers (the
service's :class:`HasAnswers`): the form comes back with 409 and says so.
"""

from __future__ import annotations

from typing import Any

from flask import request
from werkzeug.wrappers import Response as BaseResponse

from . import _kinds as kinds
from . import _service as service
from ._errors import HasAnswers, InvalidInput
from ._models import Question, Survey
from ._owner_forms import KIND_LABELS, Form
from ._owner_support import changed, owners_question, owners_survey
from ._page_support import render_page
from ._question_form import QUESTION_LABELS, question_errors, question_form, question_typed
from ._service import QuestionDraft

__all__ = ["add_question", "delete_question", "edit_question", "move_question"]

HAS_ANSWERS = (
    "This question has answers already, so its kind, options and settings can no longer "
    "change (the answers would be misread). Change only its text and whether it is "
    "required, or add a new question instead."
)


def _form_page(
    survey: Survey,
    question: Question | None,
    typed: dict[str, str],
    errors: dict[str, str],
    status: int = 200,
) -> BaseResponse:
    return render_page(
        "surveys/question_form.html",
        status,
        survey=survey,
        question=question,
        kind_labels=KIND_LABELS,
        values=typed,
        errors=errors,
        labels=QUESTION_LABELS,
        first_error=next(iter(errors), None),
    )


def _draft(form: Form) -> QuestionDraft:
    return QuestionDraft(**form.values)


def _refused(form: Form, exc: InvalidInput) -> dict[str, str]:
    """The page's errors, and the service's beside them (the page's win a field)."""
    return {**question_errors(exc.errors, form.values["kind"]), **form.errors}


def add_question(survey_id: int) -> BaseResponse:
    """Add a question at the end of the survey."""
    survey = owners_survey(survey_id)
    if request.method != "POST":
        return _form_page(survey, None, question_typed(None), {})
    form = question_form(request.form)
    try:
        if form.errors:
            # Not added; the service's errors (a blank question...) shown with the page's.
            raise InvalidInput(service.check_question_input(_draft(form)))
        question = service.add_question(survey, _draft(form))
    except InvalidInput as exc:
        return _form_page(survey, None, form.typed, _refused(form, exc), 400)
    return changed(
        f"Question “{question.content}” added.",
        "surveys.manage",
        survey_id=survey.id,
        _anchor=f"question-{question.id}",
    )


def _shape(question: Question, values: dict[str, Any]) -> dict[str, Any]:
    """The kind, options and settings to give the service: none when they are what the
    question has (a question with answers may still get a new text)."""
    shape = {name: values[name] for name in ("kind", "options", "settings")}
    try:
        options, settings = kinds.check_question(shape["kind"], shape["options"], shape["settings"])
    except kinds.InvalidQuestion:
        return shape  # the service says what is wrong
    same_options = question.kind not in kinds.CHOICE_KINDS or options == question.options
    if shape["kind"] == question.kind and same_options and settings == (question.settings or {}):
        # Unchanged; a legacy question's odd options are kept as they are.
        return {}
    return shape


def edit_question(survey_id: int, question_id: int) -> BaseResponse:
    """Change a question's text, kind, options, settings and whether it is required."""
    survey = owners_survey(survey_id)
    question = owners_question(survey, question_id)
    if request.method != "POST":
        return _form_page(survey, question, question_typed(question), {})
    form = question_form(request.form)
    try:
        if form.errors:
            raise InvalidInput(service.check_question_input(_draft(form)))
        service.update_question(
            question,
            content=form.values["content"],
            required=form.values["required"],
            **_shape(question, form.values),
        )
    except InvalidInput as exc:
        return _form_page(survey, question, form.typed, _refused(form, exc), 400)
    except HasAnswers:
        return _form_page(survey, question, form.typed, {"form": HAS_ANSWERS}, 409)
    return changed(
        f"Question “{question.content}” saved.",
        "surveys.manage",
        survey_id=survey.id,
        _anchor=f"question-{question.id}",
    )


def delete_question(survey_id: int, question_id: int) -> BaseResponse:
    """Remove a question with its answers (the submissions keep their other answers)."""
    survey = owners_survey(survey_id)
    question = owners_question(survey, question_id)
    content = question.content
    service.delete_question(question)
    return changed(f"Question “{content}” removed.", "surveys.manage", survey_id=survey.id)


def move_question(survey_id: int, question_id: int) -> BaseResponse:
    """Move a question one place up (``direction=up``) or down (``down``)."""
    survey = owners_survey(survey_id)
    question = owners_question(survey, question_id)
    direction = request.form.get("direction", "")
    if direction not in ("up", "down"):
        return changed(
            "Move a question with its Move up and Move down buttons.",
            "surveys.manage",
            "error",
            survey_id=survey.id,
        )
    at = survey.questions.index(question)
    to = at - 1 if direction == "up" else at + 1
    anchor = f"question-{question.id}"
    if not 0 <= to < len(survey.questions):
        where = "first" if direction == "up" else "last"
        return changed(
            f"Question “{question.content}” is {where} already.",
            "surveys.manage",
            "info",
            survey_id=survey.id,
            _anchor=anchor,
        )
    service.update_question(question, position=to)
    return changed(
        f"Question “{question.content}” moved {direction}.",
        "surveys.manage",
        survey_id=survey.id,
        _anchor=anchor,
    )
