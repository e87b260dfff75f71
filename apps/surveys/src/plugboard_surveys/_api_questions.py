"""The Surveys API v1, continued: a survey's questions, its submissions and its results.

Under ``SURVEYS_API_PREFIX/surveys/{id}`` (see :mod:`._api` for the rest):

- ``POST /questions`` (its owner, administrators): add a question, last or at
  ``position``; 201 with the question.
- ``PATCH /questions/{qid}``, ``DELETE /questions/{qid}``: change or delete one; its kind,
  options and settings cannot change once it has answers (409).
- ``PUT /questions/order`` ``{"question_ids": [...]}``: reorder them all.
- ``POST /submissions`` (anyone, while the survey takes answers): one respondent's
  answers, stored together; 409 when closed or past due, or for a second submission to
  a one-per-respondent survey (401 for an anonymous one there).
- ``GET /results`` and ``GET /results.csv`` (its owner, administrators): the aggregates
  of each question, and every submission as CSV.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import Response, stream_with_context

from flask_plugboard.plugins.apidocs import ApiError, api
from flask_plugboard.plugins.auth import current_user, login_required

from . import _service as service
from ._api_support import (
    Reply,
    error_response,
    invalid_response,
    login_user,
    refusals,
    session_csrf,
    surveys_settings,
)
from ._errors import FieldError, InvalidInput, NotAllowed, SurveyClosed
from ._resources import QuestionDetail, SubmissionCreated, SurveyDetail, SurveyResults
from ._results import csv_rows, survey_results
from ._schemas import NewQuestion, NewQuestionAt, NewSubmission, QuestionChanges, QuestionOrder

F = TypeVar("F", bound=Callable[..., Any])

#: Set on views that answer CSV (see :func:`csv_body`).
CSV_ATTR = "_plugboard_surveys_csv"

__all__ = [
    "add_question",
    "delete_question",
    "draft",
    "reorder",
    "results",
    "results_csv",
    "submit_view",
    "update_question",
]

_OWNER_ONLY = {403: ApiError, 404: ApiError}
_NO_STORE = {"Cache-Control": "private, no-store"}


def draft(question: NewQuestion) -> service.QuestionDraft:
    """A question of a request, for the service to check."""
    return service.QuestionDraft(
        kind=question.kind,
        content=question.content,
        required=question.required,
        options=question.options,
        settings=question.settings,
    )


@login_required
@session_csrf
@api(
    body=NewQuestionAt,
    response={201: QuestionDetail, **_OWNER_ONLY},
    tags=["questions"],
    examples={
        "multiple choice": {
            "kind": "multiple_choice",
            "content": "Which days suit you?",
            "options": ["Monday", "Wednesday", "Friday"],
            "settings": {"max_choices": 2},
        },
        "first, a number": {
            "kind": "number",
            "content": "How many people come with you?",
            "required": True,
            "settings": {"min": 0, "max": 10, "integer": True},
            "position": 0,
        },
    },
)
@refusals
def add_question(survey_id: int, body: NewQuestionAt) -> Reply:
    """Add a question to a survey, last or at `position` (0 is first).

    Choice questions need their `options`; each kind takes its own `settings`.
    """
    survey = service.owned_survey(survey_id, login_user())
    try:
        question = service.add_question(survey, draft(body), body.position)
    except InvalidInput as exc:
        # The service names the fields of "question"; here they are the body's.
        return invalid_response(
            (field.removeprefix("question.") if field != "questions" else "", message)
            for field, message in exc.errors
        )
    return QuestionDetail.of(question), 201


@login_required
@session_csrf
@api(
    body=QuestionChanges,
    response={200: QuestionDetail, 409: ApiError, **_OWNER_ONLY},
    tags=["questions"],
    examples={"reword": {"content": "Which place suits you?", "required": False}},
)
@refusals
def update_question(survey_id: int, question_id: int, body: QuestionChanges) -> QuestionDetail:
    """Change a question: its text, whether it is required, its place, its kind, options
    and settings.

    Only the fields given change. A question with answers keeps its kind, options and
    settings (409): add a new question instead.
    """
    survey = service.owned_survey(survey_id, login_user())
    question = service.get_question(survey, question_id)
    changes = {name: getattr(body, name) for name in body.model_fields_set}
    return QuestionDetail.of(service.update_question(question, **changes))


@login_required
@session_csrf
@api(response={204: None, 400: ApiError, **_OWNER_ONLY}, tags=["questions"])
@refusals
def delete_question(survey_id: int, question_id: int) -> None:
    """Delete a question with its answers (the submissions keep their other answers)."""
    survey = service.owned_survey(survey_id, login_user())
    service.delete_question(service.get_question(survey, question_id))


@login_required
@session_csrf
@api(
    body=QuestionOrder,
    response={200: SurveyDetail, **_OWNER_ONLY},
    tags=["questions"],
    examples={"reversed": {"question_ids": [3, 2, 1]}},
)
@refusals
def reorder(survey_id: int, body: QuestionOrder) -> SurveyDetail:
    """Put a survey's questions in a new order: list each of their ids once."""
    survey = service.owned_survey(survey_id, login_user())
    return SurveyDetail.of(service.reorder_questions(survey, body.question_ids))


def _answers(body: NewSubmission) -> dict[int, Any]:
    """The answers by question, refusing a question answered twice."""
    given: dict[int, Any] = {}
    first: dict[int, int] = {}
    errors: list[FieldError] = []
    for index, answer in enumerate(body.answers):
        if answer.question_id in first:
            errors.append(
                (
                    f"answers.{index}.question_id",
                    f"question {answer.question_id} is answered twice (also in "
                    f"answers.{first[answer.question_id]}): answer each question once",
                )
            )
            continue
        first[answer.question_id] = index
        given[answer.question_id] = answer.value
    if errors:
        raise InvalidInput(errors)
    return given


def _answer_errors(
    errors: list[FieldError], body: NewSubmission, question_ids: set[int]
) -> list[FieldError]:
    """The service's errors (``answers.<question id>``) as fields of the body
    (``answers.<index>.value``), or of ``answers`` for a question left out."""
    index = {answer.question_id: i for i, answer in enumerate(body.answers)}
    out: list[FieldError] = []
    for field, message in errors:
        _, _, key = field.partition(".")
        question_id = int(key) if key.lstrip("-").isdigit() else None
        if question_id is None:
            out.append((field, message))
        elif question_id not in question_ids:
            out.append((f"answers.{index[question_id]}.question_id", message))
        elif question_id in index:
            out.append((f"answers.{index[question_id]}.value", message))
        else:
            out.append(("answers", f"question {question_id}: {message}"))
    return out


def _submit(survey_id: int, body: NewSubmission) -> Reply:
    user = current_user()
    survey = service.get_survey(survey_id, user)
    if not survey.accepts_answers():
        raise SurveyClosed(f"survey {survey_id} is closed: it takes no more answers")
    answers = _answers(body)
    try:
        submission = service.submit(survey, answers, user)
    except InvalidInput as exc:
        question_ids = {q.id for q in survey.questions}
        return invalid_response(_answer_errors(exc.errors, body, question_ids))
    except NotAllowed as exc:
        response = error_response(401, str(exc))
        response.headers["WWW-Authenticate"] = "Bearer"
        return response
    created = SubmissionCreated(
        id=submission.id, survey_id=survey_id, created_at=submission.created_at
    )
    return created, 201


def submit_view() -> Any:
    """A new view function for submissions, for one app: the rate limit of each app goes
    on its own function, never on one shared by every app of the process."""

    @session_csrf
    @api(
        body=NewSubmission,
        response={201: SubmissionCreated, 401: ApiError, 404: ApiError, 409: ApiError},
        tags=["submissions"],
        examples={
            "answers": {
                "answers": [
                    {"question_id": 1, "value": "Tacos"},
                    {"question_id": 2, "value": 8},
                    {"question_id": 3, "value": "No onions, please."},
                ]
            }
        },
    )
    @refusals
    def submit_answers(survey_id: int, body: NewSubmission) -> Reply:
        """Answer a survey: one respondent's answers, stored together or not at all.

        Anyone may answer while the survey takes answers (409 once it is closed or past its
        due date); a logged-in respondent is recorded. A one-per-respondent survey takes one
        submission per logged-in user (409 for a second) and none from anonymous ones (401).
        Each answer must fit its question, and every required question needs one (422 naming
        each bad answer).
        """
        return _submit(survey_id, body)

    return submit_answers


@login_required
@api(response={200: SurveyResults, **_OWNER_ONLY}, tags=["results"])
@refusals
def results(survey_id: int) -> Reply:
    """A survey's results: per question how many answered, and per option, value or bin
    how many chose it, with percentages.

    Choice questions count each option (`percent` of those who answered the question);
    numbers and ratings give a summary and a histogram; text questions their newest
    answers (SURVEYS_TEXT_RESULTS of them). Its owner and administrators only.
    """
    survey = service.owned_survey(survey_id, login_user())
    return survey_results(survey, surveys_settings().text_results), 200, _NO_STORE


def csv_body(view: F) -> F:
    """Mark a view whose 200 answer is CSV, for the OpenAPI document (``@api`` describes
    JSON bodies only; the plugin's ``apidocs_operation`` hook reads the mark)."""
    setattr(view, CSV_ATTR, True)
    return view


@login_required
@api(response={200: None, **_OWNER_ONLY}, tags=["results"])
@refusals
@csv_body
def results_csv(survey_id: int) -> Response:
    """Every submission of a survey as CSV (text/csv): its id, when, and one column per
    question.

    Text that a spreadsheet would run as a formula is quoted with a leading apostrophe.
    Its owner and administrators only.
    """
    survey = service.owned_survey(survey_id, login_user())
    return Response(
        stream_with_context(csv_rows(survey)),
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="survey-{survey.id}.csv"',
            **_NO_STORE,
        },
    )
