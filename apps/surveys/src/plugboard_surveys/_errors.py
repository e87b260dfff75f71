"""The survey service's errors: one base, and one class per answer the API gives."""

from __future__ import annotations

from collections.abc import Sequence

from flask_plugboard.errors import PlugboardError

__all__ = [
    "AlreadySubmitted",
    "FieldError",
    "HasAnswers",
    "InvalidInput",
    "NotAllowed",
    "NotFound",
    "SurveyClosed",
    "SurveysError",
]


class SurveysError(PlugboardError):
    """Base of the survey service's errors."""


class NotFound(SurveysError):
    """No such survey or question, or not one the user may see (404)."""


class NotAllowed(SurveysError):
    """The user may see it but not change it: not its owner, nor an administrator (403)."""


class SurveyClosed(SurveysError):
    """The survey takes no answers: closed, or past its due date (409)."""


class AlreadySubmitted(SurveysError):
    """The respondent answered this one-per-respondent survey already (409)."""


class HasAnswers(SurveysError):
    """A change that would misread stored answers: a question's kind or options (409)."""


FieldError = tuple[str, str]


class InvalidInput(SurveysError):
    """Input that breaks the rules; ``errors`` lists ``(field, message)`` for each (422)."""

    def __init__(self, errors: Sequence[FieldError]) -> None:
        self.errors = list(errors)
        super().__init__("; ".join(f"{field}: {message}" for field, message in self.errors))
