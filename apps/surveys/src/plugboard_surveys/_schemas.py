"""The request bodies and query of the Surveys API v1, as pydantic models: apidocs'
``@api`` checks requests against them before a view runs, and documents them (what the
API answers is in :mod:`._resources`).

Request bodies are strict (``"yes"`` is no boolean, ``"3"`` no number) and refuse fields
they do not name, so a typo is an error, not a silent no-op. Texts may not hold NUL
characters (PostgreSQL cannot store them). The rules that need the database or another
field (a question's options and settings, an answer that fits its question) are the
service's (:mod:`._service`, :mod:`._kinds`), so they are the same for every client.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Annotated, Any, ClassVar, Literal

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
)

from . import _kinds as kinds
from ._service import MAX_CONTENT, MAX_DESCRIPTION, MAX_NAME, MAX_QUESTIONS

__all__ = [
    "AnswerIn",
    "ListQuery",
    "NewQuestion",
    "NewQuestionAt",
    "NewSubmission",
    "NewSurvey",
    "QuestionChanges",
    "QuestionOrder",
    "SurveyChanges",
]

#: Largest page of a listing, and page number (past it the offset means nothing).
MAX_PER_PAGE = 100
MAX_PAGE = 1_000_000

#: The question kinds (:data:`._kinds.KINDS`; a test keeps the two in step).
Kind = Literal["single_choice", "multiple_choice", "text", "number", "rating"]


def _has_nul(value: Any) -> bool:
    """Whether a JSON value holds a NUL character in any string or key."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, list):
        return any(_has_nul(item) for item in value)
    if isinstance(value, Mapping):
        return any(_has_nul(key) or _has_nul(item) for key, item in value.items())
    return False


def _no_nul(value: Any) -> Any:
    if _has_nul(value):
        raise ValueError("may not contain NUL characters (\\u0000)")
    return value


def _iso(value: Any) -> Any:
    if not isinstance(value, str | dt.datetime):
        raise ValueError("must be a date and time as a string, such as 2099-12-31T23:59:00Z")
    return value


def _utc(value: dt.datetime) -> dt.datetime:
    try:
        return value.astimezone(dt.UTC)
    except OverflowError:
        raise ValueError("is out of range: give a date from year 1 to 9999 in UTC") from None


def _drop_default(schema: dict[str, Any]) -> None:
    # A field left out is left alone: no default to show.
    schema.pop("default", None)


def _not_null(schema: dict[str, Any]) -> None:
    # Validated as "X or null" (so that an error names the field itself, not a member of
    # a union), but documented as X: the null is refused (see _Changes._not_null).
    _drop_default(schema)
    kept = [member for member in schema.pop("anyOf", []) if member != {"type": "null"}]
    if len(kept) == 1:
        schema.update({**kept[0], **schema})


def _unset() -> Any:
    """A field of a change that may be left out, but not null."""
    return Field(None, json_schema_extra=_not_null)


Text = Annotated[str, AfterValidator(_no_nul)]
JSONValue = Annotated[Any, AfterValidator(_no_nul)]
When = Annotated[
    AwareDatetime,
    # Lax, so that a string is parsed even where the body is checked as Python (the
    # examples); _iso refuses what lax mode would also take (a Unix timestamp).
    Field(strict=False),
    BeforeValidator(_iso),
    AfterValidator(_utc),
    Field(
        description="ISO 8601 with its offset: 2099-12-31T23:59:00Z (UTC) or "
        "2099-12-31T23:59:00+02:00. Answers are taken until then.",
        examples=["2099-12-31T23:59:00Z"],
    ),
]
Settings = Annotated[
    dict[str, Any],
    AfterValidator(_no_nul),
    Field(
        description="Per kind: multiple_choice `min_choices`, `max_choices`; text "
        "`max_length` (1 to 10000, default 2000); number `min`, `max`, `integer` "
        "(true: whole numbers only); rating `min` (default 1) and `max` (default 5), 2 to "
        "11 steps. single_choice takes none. A setting the kind does not know is refused.",
        examples=[{"min": 1, "max": 5}],
    ),
]
Options = Annotated[
    list[Text],
    Field(
        max_length=kinds.MAX_OPTIONS,
        description="The options of a choice question: 1 to 50 distinct, non-blank labels "
        "of at most 200 characters. Other kinds take none.",
        examples=[["Red", "Green", "Blue"]],
    ),
]
Name = Annotated[
    Text, Field(min_length=1, max_length=MAX_NAME, description="Shown to respondents.")
]
Description = Annotated[
    Text, Field(max_length=MAX_DESCRIPTION, description="Shown under the name.")
]
Content = Annotated[
    Text, Field(min_length=1, max_length=MAX_CONTENT, description="The question, as asked.")
]
Position = Annotated[
    int, Field(ge=0, description="Where it goes, 0 first; past the end means last.")
]


class _Input(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")


class NewQuestion(_Input):
    """A question to add to a survey."""

    kind: Kind = Field(description="What the question takes as an answer.")
    content: Content
    required: bool = Field(False, description="Whether every submission must answer it.")
    options: Options | None = None
    settings: Settings | None = None


class NewQuestionAt(NewQuestion):
    """A question to add to a survey, last (`position` left out or null) or at `position`."""

    position: Position | None = None


class NewSurvey(_Input):
    """A survey to create, with its questions (all of them, or nothing when one is wrong)."""

    name: Name
    description: Description = ""
    due_at: When | None = None
    is_active: bool = Field(False, description="Whether it takes answers now (it is open).")
    one_per_respondent: bool = Field(
        False,
        description="Each logged-in respondent may answer once; anonymous respondents are refused.",
    )
    questions: list[NewQuestion] = Field(
        [], max_length=MAX_QUESTIONS, description="Its questions, in order."
    )


class _Changes(_Input):
    """Only the fields given change. ``null`` is refused where a field has no "none"."""

    #: The fields that take null (it means "none").
    nullable: ClassVar[frozenset[str]] = frozenset()

    @field_validator("*", mode="after")
    @classmethod
    def _not_null(cls, value: Any, info: ValidationInfo) -> Any:
        if value is None and info.field_name not in cls.nullable:
            raise ValueError("may not be null: leave the field out to keep it as it is")
        return value


class SurveyChanges(_Changes):
    """What to change of a survey; the fields left out stay as they are."""

    nullable = frozenset({"due_at"})

    name: Name | None = _unset()
    description: Description | None = _unset()
    due_at: When | None = Field(None, json_schema_extra=_drop_default)
    is_active: bool | None = Field(
        None, description="Open (true) or close it.", json_schema_extra=_not_null
    )
    one_per_respondent: bool | None = _unset()


class QuestionChanges(_Changes):
    """What to change of a question; the fields left out stay as they are. Its kind,
    options and settings cannot change once it has answers."""

    nullable = frozenset({"options", "settings"})

    content: Content | None = _unset()
    required: bool | None = _unset()
    kind: Kind | None = Field(
        None,
        description="A new kind: its options and settings start afresh unless given.",
        json_schema_extra=_not_null,
    )
    options: Options | None = Field(None, json_schema_extra=_drop_default)
    settings: Settings | None = Field(None, json_schema_extra=_drop_default)
    position: Position | None = _unset()


class QuestionOrder(_Input):
    """The survey's questions in their new order."""

    question_ids: list[int] = Field(
        max_length=MAX_QUESTIONS,
        description="The id of every question of the survey, each once, first to last.",
        examples=[[3, 1, 2]],
    )


class AnswerIn(_Input):
    """The answer to one question."""

    question_id: int = Field(description="The question's id.")
    value: JSONValue = Field(
        description="single_choice: an option's label; multiple_choice: a list of labels; "
        'text: a string; number and rating: a number. null, "" or [] leave an optional '
        "question unanswered.",
        examples=["Green"],
    )


class NewSubmission(_Input):
    """One respondent's answers, stored together or not at all."""

    answers: list[AnswerIn] = Field(
        max_length=MAX_QUESTIONS,
        description="At most one answer per question; every required question needs one.",
    )


class ListQuery(BaseModel):
    """Which page of the listing."""

    page: int = Field(1, ge=1, le=MAX_PAGE, description="The page, 1 first.")
    per_page: Annotated[int, Field(ge=1, le=MAX_PER_PAGE)] | None = Field(
        None,
        description="Surveys per page (default: SURVEYS_PAGE_SIZE, 20).",
        json_schema_extra=_not_null,
    )
    all: bool = Field(False, description="Everyone's surveys, not only yours (administrators).")
