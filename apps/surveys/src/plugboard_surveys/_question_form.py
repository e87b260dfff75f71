"""The owners' question form, read: text becomes the kind, options and settings the
service takes ("3" becomes 3, one option per line becomes a list; only the chosen kind's
settings count), and the service's errors (``question.content``, ``options.2``,
``settings.max``...) become messages beside the form's fields, in its words.

Pure: no app, no request. The rules (which settings a kind takes, their bounds...) stay
:mod:`._kinds`'; only a value that is not even a number is refused here.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from typing import Any, Final

from ._errors import FieldError
from ._kinds import CHOICE_KINDS
from ._models import Question
from ._owner_forms import KIND_LABELS, Form, checked, sentence

__all__ = ["QUESTION_LABELS", "question_errors", "question_form", "question_typed"]

QUESTION_LABELS: Final[Mapping[str, str]] = {
    "content": "Question",
    "kind": "Kind",
    "options": "Options",
    "min_choices": "Fewest choices",
    "max_choices": "Most choices",
    "max_length": "Longest answer (characters)",
    "number_min": "Smallest",
    "number_max": "Largest",
    "integer": "Whole numbers only",
    "rating_min": "Scale from",
    "rating_max": "Scale to",
}

#: Per kind: its settings' form fields, as (field, setting, whole numbers only).
SETTING_FIELDS: Final[Mapping[str, Sequence[tuple[str, str, bool]]]] = {
    "single_choice": (),
    "multiple_choice": (("min_choices", "min_choices", True), ("max_choices", "max_choices", True)),
    "text": (("max_length", "max_length", True),),
    "number": (("number_min", "min", False), ("number_max", "max", False)),
    "rating": (("rating_min", "min", True), ("rating_max", "max", True)),
}


def _number(text: str, whole: bool) -> int | float:
    try:
        return int(text)
    except ValueError:
        if whole:
            raise ValueError("Enter a whole number, like 3.") from None
    try:
        value = float(text)
    except ValueError:
        raise ValueError("Enter a number, like 2.5.") from None
    if not math.isfinite(value):
        raise ValueError("Enter a number, like 2.5.")
    return value


def question_form(form: Mapping[str, str]) -> Form:
    """Read a question's form: only the chosen kind's options and settings count."""
    typed = {name: form.get(name, "") for name in QUESTION_LABELS}
    typed["required"] = "1" if checked(form, "required") else ""
    typed["integer"] = "1" if checked(form, "integer") else ""
    errors: dict[str, str] = {}
    kind = typed["kind"].strip()
    if kind not in KIND_LABELS:
        errors["kind"] = f"Choose a kind: {', '.join(KIND_LABELS.values())}."
    options = None
    if kind in CHOICE_KINDS:
        # One per line; blank lines (a trailing newline...) are no options.
        options = [line.strip() for line in typed["options"].splitlines() if line.strip()]
    settings: dict[str, Any] = {}
    for field, setting, whole in SETTING_FIELDS.get(kind, ()):
        text = typed[field].strip()
        if not text:
            continue
        try:
            whole = whole or (kind == "number" and bool(typed["integer"]))
            settings[setting] = _number(text, whole)
        except ValueError as exc:
            errors[field] = str(exc)
    if kind == "number":
        settings["integer"] = bool(typed["integer"])
    values = {
        "content": typed["content"],
        "required": bool(typed["required"]),
        "kind": kind,
        "options": options,
        "settings": settings,
    }
    return Form(values, typed, errors)


def _plain(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return "" if value is None else str(value)


def question_typed(question: Question | None) -> dict[str, str]:
    """A question's fields as its edit form shows them; a new question's defaults."""
    if question is None:
        return {"kind": "single_choice", "required": "1", "rating_min": "1", "rating_max": "5"}
    settings = question.settings or {}
    typed = {
        "content": question.content,
        "kind": question.kind,
        "required": "1" if question.required else "",
        "rating_min": "1",
        "rating_max": "5",
    }
    if question.kind in CHOICE_KINDS and isinstance(question.options, list):
        typed["options"] = "\n".join(str(option) for option in question.options)
    for field, setting, _ in SETTING_FIELDS.get(question.kind, ()):
        if setting in settings:
            typed[field] = _plain(settings[setting])
    if question.kind == "number":
        typed["integer"] = "1" if settings.get("integer") else ""
    return typed


#: Settings named in the service's messages: dotted, or snake_case (bare "min" may be a word).
_SETTING_NAME = re.compile(r"settings\.(\w+)|\b(min_choices|max_choices|max_length)\b")


def question_errors(errors: Sequence[FieldError], kind: str) -> dict[str, str]:
    """The service's errors about a question (``question.content``, ``options.2``,
    ``settings.max``...), by form field, in the page's words (unknown ones: ``form``)."""
    fields = {setting: field for field, setting, _ in SETTING_FIELDS.get(kind, ())}
    if kind == "number":
        fields["integer"] = "integer"

    def label(match: re.Match[str]) -> str:
        field = fields.get(match.group(1) or match.group(2))
        return match.group(0) if field is None else QUESTION_LABELS[field]

    out: dict[str, str] = {}
    for field, message in errors:
        parts = field.removeprefix("question.").split(".")
        text = message
        for key, kind_label in KIND_LABELS.items():
            text = text.replace(f"{key} question", f"{kind_label.lower()} question")
        if parts[0] == "options" and len(parts) > 1 and parts[1].isdigit():
            text = f"option {int(parts[1]) + 1}: {text}"
        if parts[0] == "settings" and len(parts) > 1:
            name = fields.get(parts[1], "form")
        elif parts[0] in ("content", "kind", "options"):
            name = parts[0]
        else:
            name = "form"
        out.setdefault(name, sentence(_SETTING_NAME.sub(label, text)))
    return out
