"""What the Surveys API v1 answers, as pydantic models: a survey, its questions, a page
of surveys, a stored submission, the results. Views return them (pydantic serialises
them) and the OpenAPI document shows them; every field is always written, null or not.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema

from ._kinds import CHOICE_KINDS
from ._models import Question, Survey

__all__ = [
    "QuestionDetail",
    "SubmissionCreated",
    "SurveyDetail",
    "SurveyPage",
    "SurveyResults",
    "SurveySummary",
]


class _Output(BaseModel):
    # Every field is always written, null or not: the document says so.
    model_config = ConfigDict(json_schema_serialization_defaults_required=True)


class QuestionDetail(_Output):
    """A question as the API shows it."""

    id: int
    position: int = Field(description="Its place in the survey, 0 first.")
    kind: str = Field(description="single_choice, multiple_choice, text, number or rating.")
    content: str
    required: bool
    options: list[str] | None = Field(description="The labels of a choice question, else null.")
    settings: dict[str, Any] = Field(description="Its settings, with the kind's defaults.")

    @classmethod
    def of(cls, question: Question) -> QuestionDetail:
        options = None
        if question.kind in CHOICE_KINDS and isinstance(question.options, list):
            options = [str(option) for option in question.options]
        return cls(
            id=question.id,
            position=question.position,
            kind=question.kind,
            content=question.content,
            required=question.required,
            options=options,
            settings=dict(question.settings or {}),
        )


class SurveySummary(_Output):
    """A survey, without its questions."""

    id: int
    owner_id: int = Field(description="The id of the user who owns it.")
    name: str
    description: str
    is_active: bool = Field(description="Whether it is open.")
    accepting_answers: bool = Field(description="Open, and not past its due date.")
    one_per_respondent: bool
    due_at: dt.datetime | None = Field(description="Answers are taken until then (UTC).")
    submission_count: int = Field(description="Submissions so far.")
    created_at: dt.datetime
    updated_at: dt.datetime

    @classmethod
    def fields_of(cls, survey: Survey) -> dict[str, Any]:
        return {
            "id": survey.id,
            "owner_id": survey.owner_id,
            "name": survey.name,
            "description": survey.description,
            "is_active": survey.is_active,
            "accepting_answers": survey.accepts_answers(),
            "one_per_respondent": survey.one_per_respondent,
            "due_at": survey.due_at,
            "submission_count": survey.submission_count,
            "created_at": survey.created_at,
            "updated_at": survey.updated_at,
        }

    @classmethod
    def of(cls, survey: Survey) -> SurveySummary:
        return cls(**cls.fields_of(survey))


class SurveyDetail(SurveySummary):
    """A survey with its questions, in order."""

    questions: list[QuestionDetail]

    @classmethod
    def of(cls, survey: Survey) -> SurveyDetail:
        return cls(
            **cls.fields_of(survey), questions=[QuestionDetail.of(q) for q in survey.questions]
        )


class SurveyPage(_Output):
    """A page of surveys, newest first."""

    items: list[SurveySummary]
    page: int
    per_page: int
    total: int = Field(description="Surveys in all pages.")
    pages: int = Field(description="How many pages there are (0 when there are no surveys).")


class SubmissionCreated(_Output):
    """A stored submission."""

    id: int
    survey_id: int
    created_at: dt.datetime


#: A number as the results give it: a whole value as an integer (3, not 3.0), else a
#: float; one JSON number for the document.
Number = Annotated[int | float, WithJsonSchema({"type": "number"})]


class OptionCount(BaseModel):
    label: str
    count: int = Field(description="Submissions that chose it.")
    percent: float = Field(description="Of the submissions that answered the question.")


class NumberSummary(BaseModel):
    count: int
    mean: float | None
    min: Number | None
    max: Number | None


class ValueCount(BaseModel):
    value: Number = Field(description="A value given (each step of a rating).")
    count: int
    percent: float


class RangeCount(BaseModel):
    from_: Number = Field(alias="from", description="From this value...")
    to: Number = Field(description="...to this one (the last bin includes it).")
    count: int
    percent: float


class QuestionResults(BaseModel):
    """One question's results: `options` for choice questions, `summary` and
    `histogram` for numbers and ratings, the newest `answers` for text."""

    id: int
    kind: str
    content: str
    answered: int = Field(description="Submissions that answered it.")
    answered_percent: float = Field(description="Of all the submissions.")
    options: list[OptionCount] | None = None
    summary: NumberSummary | None = None
    histogram: list[ValueCount | RangeCount] | None = None
    answers: list[Any] | None = Field(None, description="The newest answers, newest first.")


class SurveyResults(BaseModel):
    """A survey's results, per question."""

    survey_id: int
    submissions: int
    questions: list[QuestionResults]
