"""The reads the busiest public endpoints make, in Core SQL on a connection of their own.

``/activesurveys`` and ``/getsurveyquestions`` are the calls every client makes, many
times for each submission. Through the ORM session each cost three round trips to the
database (BEGIN, the query, ROLLBACK at teardown) and the loading of every column into
instances, most of it Python time (bench/bench_surveys_load.py --profile). Here each is
one statement, selecting only the columns the answer shows, on a connection in
autocommit mode (one statement needs no transaction around it to read one snapshot),
and comes back as plain rows. The statements are built once, at import: SQLAlchemy then
finds them in its compiled cache without building a cache key from a new tree each time.

Writes and the reads that go with them stay in :mod:`._service`, in the session.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from typing import Any, cast

import sqlalchemy as sa

from flask_plugboard.db import get_db, utcnow

from ._models import Question, Survey, storable_id, taking_answers

__all__ = ["ActiveSurvey", "SurveyQuestions", "active_survey_rows", "survey_question_rows"]

#: A row of :func:`active_survey_rows`: id, name, is_active, due_at, submission_count,
#: description.
ActiveSurvey = tuple[int, str, bool, dt.datetime | None, int, str]

_survey = Survey.__table__.c
_question = Question.__table__.c

_ACTIVE = (
    sa.select(
        _survey.id,
        _survey.name,
        _survey.is_active,
        _survey.due_at,
        _survey.submission_count,
        _survey.description,
    )
    .where(taking_answers(sa.bindparam("now")))
    .order_by(_survey.id)
)

# One statement, so the survey and its questions come from the same snapshot; a survey
# without questions comes back as one row of NULL question columns.
_QUESTIONS = (
    sa.select(
        _survey.is_active,
        _survey.owner_id,
        _question.id,
        _question.content,
        _question.legacy_type,
        _question.kind,
        _question.options,
    )
    .select_from(
        sa.outerjoin(Survey.__table__, Question.__table__, _question.survey_id == _survey.id)
    )
    .where(_survey.id == sa.bindparam("survey_id"))
    # The relationship's order (Survey.questions), then the id: ties never happen once
    # questions are renumbered, but the order stays the same from one call to the next.
    .order_by(_question.position, _question.id)
)


@dataclasses.dataclass(frozen=True, slots=True)
class SurveyQuestions:
    """A survey's visibility and its questions, as :func:`survey_question_rows` read them."""

    is_active: bool
    owner_id: int
    #: Rows of (id, content, legacy_type, kind, options), in the survey's order.
    questions: list[tuple[Any, ...]]


def _read(statement: sa.Select[Any], parameters: dict[str, Any]) -> Sequence[sa.Row[Any]]:
    """The rows of one read-only statement, on a pooled connection in autocommit mode:
    no BEGIN before it, no ROLLBACK after it, and no ORM session opened for it."""
    with get_db().engine.connect() as connection:
        connection = connection.execution_options(isolation_level="AUTOCOMMIT")
        return connection.execute(statement, parameters).all()


def active_survey_rows(now: dt.datetime | None = None) -> Sequence[ActiveSurvey]:
    """The surveys taking answers now, oldest first (:data:`ActiveSurvey` rows), as
    :func:`._service.active_surveys` finds them."""
    rows = _read(_ACTIVE, {"now": utcnow() if now is None else now})
    return cast("Sequence[ActiveSurvey]", rows)


def survey_question_rows(survey_id: int) -> SurveyQuestions | None:
    """Survey ``survey_id``'s questions, with what decides who may see them; None when
    there is no such survey. The caller checks visibility (:func:`._service.may_change`)."""
    if not storable_id(survey_id):
        return None
    rows = _read(_QUESTIONS, {"survey_id": survey_id})
    if not rows:
        return None
    first = rows[0]
    questions = [tuple(row)[2:] for row in rows if row.id is not None]
    return SurveyQuestions(first.is_active, first.owner_id, questions)
