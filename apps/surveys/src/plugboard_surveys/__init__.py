"""Surveys: a survey service built only from Plugboard plugins.

``create_app()`` builds the service from the environment (see :mod:`._app`); the
``Surveys`` plugin holds the surveys themselves (models, migrations, the old backend's
endpoints, the API v1, the pages).
"""

from __future__ import annotations

from ._app import PLUGINS, config_from_env, create_app
from ._errors import (
    AlreadySubmitted,
    HasAnswers,
    InvalidInput,
    NotAllowed,
    NotFound,
    SurveyClosed,
    SurveysError,
)
from ._kinds import KINDS
from ._models import Answer, Choice, Question, Submission, Survey
from ._plugin import Surveys
from ._service import QuestionDraft, create_survey, submit
from ._settings import SurveysSettings
from ._version import __version__

__all__ = [
    "KINDS",
    "PLUGINS",
    "AlreadySubmitted",
    "Answer",
    "Choice",
    "HasAnswers",
    "InvalidInput",
    "NotAllowed",
    "NotFound",
    "Question",
    "QuestionDraft",
    "Submission",
    "Survey",
    "SurveyClosed",
    "Surveys",
    "SurveysError",
    "SurveysSettings",
    "__version__",
    "config_from_env",
    "create_app",
    "create_survey",
    "submit",
]
