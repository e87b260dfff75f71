"""Question kinds: what a question of each kind may be set up with, and which answers it
takes. Pure logic, no app or database: the API, the pages and the legacy endpoints all
check with these functions, so the rules are the same everywhere.

Kinds and their answers:

- ``single_choice``: one of the question's ``options`` (its label);
- ``multiple_choice``: a list of distinct labels, between the settings ``min_choices``
  and ``max_choices``;
- ``text``: a string of at most ``max_length`` characters;
- ``number``: a number between ``min`` and ``max`` (either may be unset), a whole one
  when ``integer`` is true;
- ``rating``: a whole number from ``min`` (default 1) to ``max`` (default 5).

A required question needs an answer; an optional one may be left out (or answered with
null, "" or []).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from typing import Any, Final

__all__ = [
    "KINDS",
    "LEGACY_KINDS",
    "Checked",
    "InvalidAnswer",
    "InvalidQuestion",
    "check_answer",
    "check_question",
    "interpret",
    "legacy_kind",
]

KINDS: Final = ("single_choice", "multiple_choice", "text", "number", "rating")
CHOICE_KINDS: Final = frozenset({"single_choice", "multiple_choice"})

MAX_OPTIONS: Final = 50
MAX_OPTION_CHARS: Final = 200
MAX_TEXT_CHARS: Final = 10_000
DEFAULT_TEXT_CHARS: Final = 2_000
MAX_RATING_STEPS: Final = 10

#: Type names legacy clients used, and the kind each one is (compared ignoring case).
LEGACY_KINDS: Final[Mapping[str, str]] = {
    "single": "single_choice",
    "single_choice": "single_choice",
    "singlechoice": "single_choice",
    "radio": "single_choice",
    "choice": "single_choice",
    "select": "single_choice",
    "multiple": "multiple_choice",
    "multiple_choice": "multiple_choice",
    "multiplechoice": "multiple_choice",
    "multi": "multiple_choice",
    "checkbox": "multiple_choice",
    "checkboxes": "multiple_choice",
    "number": "number",
    "numeric": "number",
    "integer": "number",
    "int": "number",
    "rating": "rating",
    "scale": "rating",
    "rating_scale": "rating",
    "stars": "rating",
    "text": "text",
    "open": "text",
    "textarea": "text",
    "string": "text",
}


class InvalidQuestion(ValueError):
    """A question's set-up is not usable; ``field`` names the part (kind, options...)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


class InvalidAnswer(ValueError):
    """An answer the question does not take."""


@dataclasses.dataclass(frozen=True)
class Checked:
    """An answer as stored: its JSON value, and what it counts as in the results."""

    value: Any
    number: float | None = None
    choices: tuple[int, ...] = ()


def legacy_kind(type_name: str | None) -> str:
    """The kind of a question a legacy client created with ``type``: text when unknown."""
    key = (type_name or "").strip().lower().replace("-", "_").replace(" ", "_")
    return LEGACY_KINDS.get(key, "text")


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _finite(value: int | float) -> bool:
    """A number a float holds: JSON's whole numbers may be too large for one."""
    try:
        return math.isfinite(value)
    except OverflowError:
        return False


def _setting_number(settings: Mapping[str, Any], name: str, whole: bool) -> float | None:
    value = settings.get(name)
    if value is None:
        return None
    if not _is_number(value) or not _finite(value):
        raise InvalidQuestion(f"settings.{name}", f"settings.{name} must be a number")
    if whole and value != int(value):
        raise InvalidQuestion(f"settings.{name}", f"settings.{name} must be a whole number")
    return float(value)


def check_question(
    kind: str, options: Sequence[Any] | None, settings: Mapping[str, Any] | None
) -> tuple[list[str] | None, dict[str, Any]]:
    """Check a question's kind, options and settings; return them as stored.

    Choice questions need 1 to 50 distinct, non-blank options; other kinds take none.
    Settings a kind does not know are refused, so a typo is noticed.
    """
    if kind not in KINDS:
        raise InvalidQuestion("kind", f"kind {kind!r} is not one of {', '.join(KINDS)}")
    if settings is not None and not isinstance(settings, Mapping):
        raise InvalidQuestion("settings", "settings must be an object of names and values")
    given = dict(settings or {})
    if kind in CHOICE_KINDS:
        if not options:
            raise InvalidQuestion("options", f"a {kind} question needs its options")
        # A string or an object is a Sequence or iterable too, and must not be read as
        # options one character or key each.
        if not isinstance(options, list | tuple):
            raise InvalidQuestion("options", "the options must be a list of strings")
        if len(options) > MAX_OPTIONS:
            raise InvalidQuestion("options", f"at most {MAX_OPTIONS} options")
        labels: list[str] = []
        for index, option in enumerate(options):
            if not isinstance(option, str) or not option.strip():
                raise InvalidQuestion(f"options.{index}", "an option must be a non-blank string")
            if "\x00" in option:  # PostgreSQL's JSONB cannot hold it
                raise InvalidQuestion(f"options.{index}", "an option may not hold NUL characters")
            if len(option) > MAX_OPTION_CHARS:
                raise InvalidQuestion(
                    f"options.{index}", f"an option has at most {MAX_OPTION_CHARS} characters"
                )
            label = option.strip()
            if label in labels:
                raise InvalidQuestion(f"options.{index}", f"the option {label!r} is listed twice")
            labels.append(label)
        stored = labels
    else:
        if options:
            raise InvalidQuestion("options", f"a {kind} question takes no options")
        stored = None
    allowed = {
        "single_choice": set(),
        "multiple_choice": {"min_choices", "max_choices"},
        "text": {"max_length"},
        "number": {"min", "max", "integer"},
        "rating": {"min", "max"},
    }[kind]
    unknown = sorted(set(given) - allowed)
    if unknown:
        known = ", ".join(sorted(allowed)) or "none"
        raise InvalidQuestion(
            f"settings.{unknown[0]}",
            f"a {kind} question has no setting {unknown[0]!r} (its settings: {known})",
        )
    out: dict[str, Any] = {}
    if kind == "multiple_choice":
        count = len(stored or ())
        low = _setting_number(given, "min_choices", True)
        high = _setting_number(given, "max_choices", True)
        if low is not None and not 0 <= low <= count:
            raise InvalidQuestion("settings.min_choices", "min_choices is 0 to the options' number")
        if high is not None and not 1 <= high <= count:
            raise InvalidQuestion("settings.max_choices", "max_choices is 1 to the options' number")
        if low is not None and high is not None and low > high:
            raise InvalidQuestion("settings.min_choices", "min_choices is above max_choices")
        out.update({k: int(v) for k, v in (("min_choices", low), ("max_choices", high)) if v})
    elif kind == "text":
        length = _setting_number(given, "max_length", True)
        if length is not None and not 1 <= length <= MAX_TEXT_CHARS:
            raise InvalidQuestion("settings.max_length", f"max_length is 1 to {MAX_TEXT_CHARS}")
        out["max_length"] = int(length) if length is not None else DEFAULT_TEXT_CHARS
    elif kind == "number":
        integer = given.get("integer", False)
        if not isinstance(integer, bool):
            raise InvalidQuestion("settings.integer", "settings.integer must be true or false")
        low = _setting_number(given, "min", integer)
        high = _setting_number(given, "max", integer)
        if low is not None and high is not None and low > high:
            raise InvalidQuestion("settings.min", "settings.min is above settings.max")
        out["integer"] = integer
        for name, value in (("min", low), ("max", high)):
            if value is not None:
                out[name] = int(value) if integer else value
    elif kind == "rating":
        low = _setting_number(given, "min", True)
        high = _setting_number(given, "max", True)
        first = 1 if low is None else int(low)
        last = 5 if high is None else int(high)
        if not 0 < last - first <= MAX_RATING_STEPS:
            raise InvalidQuestion(
                "settings.max",
                f"a rating runs from min to max, 2 to {MAX_RATING_STEPS + 1} steps "
                f"(not {first} to {last})",
            )
        out.update(min=first, max=last)
    return stored, out


def _blank(value: object) -> bool:
    return value is None or value == "" or value == [] or (
        isinstance(value, str) and not value.strip()
    )


def check_answer(
    kind: str,
    options: Sequence[str] | None,
    settings: Mapping[str, Any],
    required: bool,
    value: Any,
) -> Checked | None:
    """Check ``value`` as an answer to a question; None when it is left blank.

    Raises :class:`InvalidAnswer` saying what the question takes.
    """
    if _blank(value):
        if required:
            raise InvalidAnswer("an answer is required")
        return None
    labels = list(options or ())
    if kind == "single_choice":
        if not isinstance(value, str) or value.strip() not in labels:
            raise InvalidAnswer(f"choose one of {_listing(labels)}")
        return Checked(value.strip(), choices=(labels.index(value.strip()),))
    if kind == "multiple_choice":
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise InvalidAnswer(f"give a list of options among {_listing(labels)}")
        chosen = [v.strip() for v in value]
        unknown = [v for v in chosen if v not in labels]
        if unknown:
            raise InvalidAnswer(f"{unknown[0]!r} is not an option: choose among {_listing(labels)}")
        if len(set(chosen)) != len(chosen):
            raise InvalidAnswer("an option is chosen twice")
        low = settings.get("min_choices", 1 if required else 0)
        high = settings.get("max_choices", len(labels))
        if not low <= len(chosen) <= high:
            raise InvalidAnswer(f"choose {low} to {high} options")
        indexes = tuple(sorted(labels.index(v) for v in chosen))
        return Checked([labels[i] for i in indexes], choices=indexes)
    if kind == "text":
        if not isinstance(value, str):
            raise InvalidAnswer("the answer must be text")
        limit = settings.get("max_length", DEFAULT_TEXT_CHARS)
        if len(value) > limit:
            raise InvalidAnswer(f"at most {limit} characters")
        return Checked(value)
    if kind in ("number", "rating"):
        if not _is_number(value) or not _finite(value):
            raise InvalidAnswer("the answer must be a number")
        whole = kind == "rating" or settings.get("integer", False)
        if whole and value != int(value):
            raise InvalidAnswer("the answer must be a whole number")
        low, high = settings.get("min"), settings.get("max")
        if low is not None and value < low:
            raise InvalidAnswer(f"the answer must be at least {low}")
        if high is not None and value > high:
            raise InvalidAnswer(f"the answer must be at most {high}")
        number = int(value) if whole else value
        return Checked(number, number=float(number))
    raise InvalidAnswer(f"questions of kind {kind!r} take no answers")


def interpret(kind: str, options: Any, value: Any) -> Checked:
    """What a legacy reply counts as, without refusing it: the old API took any JSON
    value, and its clients keep sending what they sent. A reply that fits the kind counts
    in the results like a checked answer; one that does not is kept, and only listed."""
    labels = [o for o in options if isinstance(o, str)] if isinstance(options, list) else []
    if kind in CHOICE_KINDS:
        picked = value if isinstance(value, list) else [value]
        indexes = sorted({labels.index(v) for v in picked if isinstance(v, str) and v in labels})
        return Checked(value, choices=tuple(indexes))
    if kind in ("number", "rating"):
        number = value
        if isinstance(value, str):
            try:
                number = float(value)
            except ValueError:
                number = None
        if _is_number(number) and _finite(number):
            return Checked(value, number=float(number))
    return Checked(value)


def _listing(labels: Sequence[str]) -> str:
    shown = ", ".join(repr(label) for label in labels[:10])
    return shown + (", ..." if len(labels) > 10 else "")
