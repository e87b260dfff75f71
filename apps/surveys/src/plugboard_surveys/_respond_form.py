"""The respond page's form, both ways: each question as the form shows it (its control's
attributes, from the question's settings), and the posted form read back as the answers
:func:`._service.submit` takes, with what was typed kept to show it again.

Pure logic, no app or request. The attributes are the one source of the on-page checks:
the browser applies ``required``, ``min``, ``max``, ``step`` and ``maxlength`` itself,
and ``respond.js`` reads the ``data-`` attributes for what HTML cannot say (how many
boxes of a multiple-choice question to tick). The server checks again with
:func:`._kinds.check_answer`, the rule every way of answering shares.

A form field is named ``q<question id>`` (repeated for a multiple-choice question).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping, Sequence
from typing import Any, Final

from werkzeug.datastructures import MultiDict

from . import _kinds as kinds
from ._errors import FieldError
from ._models import Question

__all__ = [
    "FormField",
    "Reading",
    "field_errors",
    "field_name",
    "form_fields",
    "number_text",
    "read_answers",
]

#: Longest text taken as a number: more digits are no one's answer, and Python refuses
#: to read integers of thousands of digits anyway.
MAX_NUMBER_CHARS: Final = 100
#: What a number input sends: decimal digits only (not Python's "1_000", "nan", "٤٥").
_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_WHOLE = re.compile(r"[+-]?[0-9]+")
#: The field of errors that belong to no question.
FORM: Final = "form"

Attrs = dict[str, str | int | float | bool | None]


@dataclasses.dataclass(frozen=True)
class FormField:
    """One question as the form shows it."""

    name: str
    kind: str
    label: str
    required: bool
    #: The options of a choice question, the scale's values of a rating.
    choices: tuple[str, ...]
    hint: str
    #: Attributes of the control (text, number) or of each radio (single choice, rating).
    attrs: Attrs
    #: ``data-`` attributes of the question's block, for respond.js.
    data: Attrs


@dataclasses.dataclass(frozen=True)
class Reading:
    """A posted form, read."""

    #: By question id, for :func:`._service.submit`.
    answers: dict[int, Any]
    #: By field name, as typed (a list for multiple choice), to show the form again.
    typed: dict[str, str | list[str]]
    #: By field name: answers that are not even of their kind ("abc" for a number).
    errors: dict[str, str]


def field_name(question_id: int) -> str:
    """The form field (and the id of its control) of a question."""
    return f"q{question_id}"


def number_text(value: float | int) -> str:
    """A setting as people write it: ``120``, not ``120.0``."""
    return str(int(value)) if float(value).is_integer() else str(value)


def _choices_hint(low: int, high: int, count: int, required: bool) -> str:
    if low == high:
        hint = f"Choose {low} option{'s' if low != 1 else ''}"
    elif high == count and low <= 1:
        hint = "Choose all that apply"
    else:
        hint = f"Choose {low} to {high} options"
    return hint + (", or none." if not required and low > 0 else ".")


def _number_hint(low: float | None, high: float | None, whole: bool) -> str:
    what = "A whole number" if whole else "A number"
    if low is not None and high is not None:
        return f"{what} from {number_text(low)} to {number_text(high)}."
    if low is not None:
        return f"{what}, at least {number_text(low)}."
    if high is not None:
        return f"{what}, at most {number_text(high)}."
    return f"{what}." if whole else ""


def _field(question: Question) -> FormField:
    settings: Mapping[str, Any] = question.settings or {}
    kind, required = question.kind, question.required
    choices: tuple[str, ...] = ()
    hint = ""
    attrs: Attrs = {"required": required}
    data: Attrs = {"data-rs-kind": kind}
    if kind in kinds.CHOICE_KINDS:
        choices = tuple(o for o in question.options or () if isinstance(o, str))
    if kind == "multiple_choice":
        # The defaults are check_answer's: a required question needs one box at least.
        low = int(settings.get("min_choices", 1 if required else 0))
        high = int(settings.get("max_choices", len(choices)))
        hint = _choices_hint(low, high, len(choices), required)
        # A required box would mean "tick this one": the group's rule is the script's.
        attrs = {}
        data.update(
            {"data-rs-min": low, "data-rs-max": high, "data-rs-required": str(required).lower()}
        )
    elif kind == "text":
        length = int(settings.get("max_length", kinds.DEFAULT_TEXT_CHARS))
        hint = f"At most {length} characters."
        attrs.update(maxlength=length, rows=4 if length <= 500 else 6)
    elif kind == "number":
        whole = bool(settings.get("integer", False))
        smallest, largest = settings.get("min"), settings.get("max")
        hint = _number_hint(smallest, largest, whole)
        attrs.update(
            type="number",
            min=None if smallest is None else number_text(smallest),
            max=None if largest is None else number_text(largest),
            step="1" if whole else "any",
        )
    elif kind == "rating":
        first, last = int(settings.get("min", 1)), int(settings.get("max", 5))
        choices = tuple(str(n) for n in range(first, last + 1))
        hint = f"{first} is the lowest, {last} the highest."
    return FormField(
        name=field_name(question.id),
        kind=kind,
        label=question.content,
        required=required,
        choices=choices,
        hint=hint,
        attrs=attrs,
        data=data,
    )


def form_fields(questions: Sequence[Question]) -> list[FormField]:
    """The survey's questions as the form shows them, in order."""
    return [_field(q) for q in questions]


def _number(text: str) -> int | float | None:
    """A number input's text as a number; None when blank. ValueError when it is none."""
    text = text.strip()
    if not text:
        return None
    if len(text) > MAX_NUMBER_CHARS or not _NUMBER.fullmatch(text):
        raise ValueError(text)
    return int(text) if _WHOLE.fullmatch(text) else float(text)


def read_answers(questions: Sequence[Question], form: MultiDict[str, str]) -> Reading:
    """Read the posted ``form``: each question's answer, typed as its kind takes it (a
    choice's label, a list of them, text, a number), and what was typed.

    Fields of no question are ignored; a question left blank gets no answer.
    """
    answers: dict[int, Any] = {}
    typed: dict[str, str | list[str]] = {}
    errors: dict[str, str] = {}
    for question in questions:
        name = field_name(question.id)
        if question.kind == "multiple_choice":
            picked = form.getlist(name)
            typed[name] = picked
            answers[question.id] = picked
            continue
        text = form.get(name, "")
        if question.kind == "text":
            # Browsers send line breaks as CRLF but count them as one character (maxlength).
            text = text.replace("\r\n", "\n").replace("\r", "\n")
            typed[name] = text.replace("\x00", "")
            if "\x00" in text:  # nor could PostgreSQL store it
                errors[name] = "the answer may not contain NUL characters"
                continue
            answers[question.id] = text
        elif question.kind in ("number", "rating"):
            typed[name] = text
            try:
                answers[question.id] = _number(text)
            except ValueError:
                # Only a forged form sends a rating that is no number: its radios are.
                errors[name] = "enter a number" if question.kind == "number" else "choose a rating"
        else:
            typed[name] = text
            answers[question.id] = text or None
    return Reading(answers, typed, errors)


def field_errors(errors: Sequence[FieldError]) -> dict[str, str]:
    """The service's errors (``answers.<question id>``) by form field; any other goes to
    ``form``, the page's own."""
    out: dict[str, str] = {}
    for field, message in errors:
        head, _, question_id = field.partition(".")
        name = field_name(int(question_id)) if head == "answers" and question_id.isdigit() else FORM
        out.setdefault(name, message)
    return out
