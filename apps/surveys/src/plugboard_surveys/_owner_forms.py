"""The owners' survey form, read: what was typed becomes the arguments of the service's
functions, and the service's errors (``name``, ``due_at``...) become messages beside the
page's fields. The question form is read by :mod:`._question_form`.

Pure: no app, no request. The rules themselves (which settings a kind takes, their
bounds...) are the service's and :mod:`._kinds`'; here only text becomes values ("3"
becomes 3, one option per line becomes a list), and a value that is not even of the
right type ("three" for a number) is refused before the service is asked.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Mapping, Sequence
from typing import Any, Final

from ._errors import FieldError
from ._models import Survey

__all__ = [
    "KIND_LABELS",
    "SURVEY_LABELS",
    "Form",
    "checked",
    "parse_due",
    "sentence",
    "survey_errors",
    "survey_form",
    "survey_typed",
]

#: The kinds as the pages name them, in the order of the select.
KIND_LABELS: Final[Mapping[str, str]] = {
    "single_choice": "Single choice",
    "multiple_choice": "Multiple choice",
    "text": "Text",
    "number": "Number",
    "rating": "Rating",
}

SURVEY_LABELS: Final[Mapping[str, str]] = {
    "name": "Name",
    "description": "Description",
    "due_at": "Due date",
    "one_per_respondent": "One answer per respondent",
}

#: The datetime-local input's value: minutes, or seconds, no zone.
_LOCAL_TIME = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?")
_TRUE = frozenset({"1", "on", "true", "yes"})


@dataclasses.dataclass
class Form:
    """A form read: the service's keyword arguments, what was typed (to show it back)
    and the errors found before the service was asked, by field."""

    values: dict[str, Any]
    typed: dict[str, str]
    errors: dict[str, str]


def sentence(message: str) -> str:
    """A service message as a sentence on a page: a capital first, a full stop last."""
    text = message.strip()
    if not text:
        return text
    text = text[0].upper() + text[1:]
    return text if text.endswith((".", "?", "!", ")")) else text + "."


def checked(form: Mapping[str, str], name: str) -> bool:
    return form.get(name, "").strip().lower() in _TRUE


def parse_due(text: str) -> dt.datetime | None:
    """A datetime-local value (``2099-12-31T10:11``), read as UTC; None when blank.

    Raises ValueError with a message for the page.
    """
    text = text.strip()
    if not text:
        return None
    if not _LOCAL_TIME.fullmatch(text):
        raise ValueError("Enter a date and time like 2099-12-31 10:00, or leave it blank.")
    try:
        return dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC)
    except ValueError:
        raise ValueError(f"{text} is not a date: check the day and the month.") from None


def survey_form(form: Mapping[str, str]) -> Form:
    """Read a survey's form (new or edited)."""
    typed = {name: form.get(name, "") for name in ("name", "description", "due_at")}
    typed["one_per_respondent"] = "1" if checked(form, "one_per_respondent") else ""
    errors: dict[str, str] = {}
    values: dict[str, Any] = {
        "name": typed["name"],
        "description": typed["description"],
        "one_per_respondent": bool(typed["one_per_respondent"]),
    }
    try:
        values["due_at"] = parse_due(typed["due_at"])
    except ValueError as exc:
        errors["due_at"] = str(exc)
    return Form(values, typed, errors)


def survey_typed(survey: Survey) -> dict[str, str]:
    """A survey's fields as its edit form shows them."""
    return {
        "name": survey.name,
        "description": survey.description,
        "due_at": "" if survey.due_at is None else survey.due_at.strftime("%Y-%m-%dT%H:%M"),
        "one_per_respondent": "1" if survey.one_per_respondent else "",
    }


def survey_errors(errors: Sequence[FieldError]) -> dict[str, str]:
    """The service's errors about a survey, by form field (unknown ones: ``form``)."""
    out: dict[str, str] = {}
    for field, message in errors:
        name = field if field in SURVEY_LABELS else "form"
        out.setdefault(name, sentence(message))
    return out
