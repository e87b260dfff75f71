"""The survey service's tables: surveys, their questions, submissions and answers.

A submission is one respondent's answers to one survey, stored together in one
transaction. Each answer keeps the JSON value the respondent sent (``value``) and, to
aggregate in SQL without reading the values back, what it counts as: the chosen
options as rows of :class:`Choice`, a number in ``number``. A legacy ``/addreply`` is a
submission of one answer.

Owners are auth's users (``auth_user``): deleting a user deletes their surveys.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from flask_plugboard.db import UTCDateTime, plugin_metadata, utcnow
from flask_plugboard.plugins.auth import User

#: Ids are 32-bit integers in the database: a larger one names no row, and is never sent
#: to the database (PostgreSQL refuses to compare it with an integer column).
MAX_ID = 2**31 - 1


def storable_id(value: int) -> bool:
    """Whether ``value`` can be the id of a row (1 to :data:`MAX_ID`)."""
    return 0 < value <= MAX_ID

__all__ = [
    "Answer",
    "Base",
    "Choice",
    "ImportedRow",
    "LegacyId",
    "Question",
    "Submission",
    "Survey",
    "taking_answers",
]

#: JSON on every database; JSONB on PostgreSQL (compact, and comparable).
JSONValue = sa.JSON().with_variant(JSONB(), "postgresql")


class Base(DeclarativeBase):
    metadata = plugin_metadata()


def _user_fk() -> sa.ForeignKey:
    return sa.ForeignKey(User.__table__.c.id, ondelete="CASCADE")


class Survey(Base):
    """A survey: its questions, whether it takes answers, and until when."""

    __tablename__ = "surveys_survey"
    # SQLite would otherwise give a deleted survey's id to the next one, and clients
    # that kept the id would find another survey there.
    __table_args__ = (
        sa.Index("ix_surveys_survey_active_due", "is_active", "due_at"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(_user_fk(), index=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    is_active: Mapped[bool] = mapped_column(default=False)
    #: Answers are taken until then (UTC); None: no end.
    due_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    #: Each logged-in respondent may submit once (anonymous ones are refused).
    one_per_respondent: Mapped[bool] = mapped_column(default=False)
    #: Kept in step with the submissions, in their transactions (listings read it).
    submission_count: Mapped[int] = mapped_column(default=0, server_default="0")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    questions: Mapped[list[Question]] = relationship(
        back_populates="survey",
        order_by="Question.position",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )

    def accepts_answers(self, now: dt.datetime | None = None) -> bool:
        """Active and not past its due date (in SQL: :func:`taking_answers`)."""
        when = utcnow() if now is None else now
        return self.is_active and (self.due_at is None or self.due_at > when)

    def __repr__(self) -> str:
        return f"<Survey {self.id} {self.name!r}>"


class Question(Base):
    """One question of a survey: its kind, text, options and per-kind settings."""

    __tablename__ = "surveys_question"
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(
        sa.ForeignKey("surveys_survey.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(default=0)
    #: One of :data:`plugboard_surveys._kinds.KINDS`.
    kind: Mapped[str] = mapped_column(sa.String(32))
    #: The type string a legacy client gave (``/addquestion``); shown back to it as is.
    legacy_type: Mapped[str | None] = mapped_column(sa.String(50))
    content: Mapped[str] = mapped_column(sa.Text, default="")
    required: Mapped[bool] = mapped_column(default=False)
    #: The options of a choice question (labels); for other kinds what a legacy client
    #: sent as replyContent, kept as it was.
    options: Mapped[Any] = mapped_column(JSONValue, nullable=True)
    #: Per-kind settings: min/max for numbers and ratings, max_length for text...
    settings: Mapped[dict[str, Any]] = mapped_column(JSONValue, default=dict)

    survey: Mapped[Survey] = relationship(back_populates="questions")

    def __repr__(self) -> str:
        return f"<Question {self.id} {self.kind}>"


class Submission(Base):
    """One respondent's answers to one survey, stored at once."""

    __tablename__ = "surveys_submission"
    __table_args__ = (
        # One per respondent, where the survey asks for it: respondent_key is set only then.
        sa.UniqueConstraint("survey_id", "respondent_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(
        sa.ForeignKey("surveys_survey.id", ondelete="CASCADE"), index=True
    )
    #: The respondent, when logged in.
    user_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey(User.__table__.c.id, ondelete="SET NULL")
    )
    respondent_key: Mapped[str | None] = mapped_column(sa.String(64))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)

    answers: Mapped[list[Answer]] = relationship(
        back_populates="submission", cascade="all, delete-orphan", passive_deletes=True
    )


class Answer(Base):
    """The answer to one question, within a submission."""

    __tablename__ = "surveys_answer"

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(
        sa.ForeignKey("surveys_submission.id", ondelete="CASCADE"), index=True
    )
    question_id: Mapped[int] = mapped_column(
        sa.ForeignKey("surveys_question.id", ondelete="CASCADE"), index=True
    )
    value: Mapped[Any] = mapped_column(JSONValue, nullable=True)
    #: For number and rating questions: the value, to aggregate in SQL.
    number: Mapped[float | None] = mapped_column(sa.Float)

    submission: Mapped[Submission] = relationship(back_populates="answers")
    choices: Mapped[list[Choice]] = relationship(cascade="all, delete-orphan", passive_deletes=True)


class Choice(Base):
    """An option chosen in an answer to a choice question (its index in the options)."""

    __tablename__ = "surveys_choice"
    __table_args__ = (sa.Index("ix_surveys_choice_question_option", "question_id", "option"),)

    answer_id: Mapped[int] = mapped_column(
        sa.ForeignKey("surveys_answer.id", ondelete="CASCADE"), primary_key=True
    )
    option: Mapped[int] = mapped_column(primary_key=True)
    #: Copied from the answer, so that counting per question needs no join.
    question_id: Mapped[int] = mapped_column(
        sa.ForeignKey("surveys_question.id", ondelete="CASCADE")
    )


class ImportedRow(Base):
    """What ``flask surveys import-flaskforms`` brought in: one row per source row, so a
    second run imports nothing twice."""

    __tablename__ = "surveys_imported_row"
    __table_args__ = (
        sa.UniqueConstraint("source", "kind", "old_id"),
        # An old token names its user by login, from no known source (_legacy_tokens).
        sa.Index("ix_surveys_imported_row_kind_old_id", "kind", "old_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The old database (its URL without the password).
    source: Mapped[str] = mapped_column(sa.String(500))
    #: users, surveys, questions, replies, revoked_tokens, or logins (old_id: a login).
    kind: Mapped[str] = mapped_column(sa.String(32))
    old_id: Mapped[str] = mapped_column(sa.String(200))
    new_id: Mapped[int | None] = mapped_column()
    imported_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class LegacyId(Base):
    """A survey or question the import renumbered (its old id was taken here): legacy
    requests naming ``old_id`` mean ``new_id`` (see ``_legacy_ids``)."""

    __tablename__ = "surveys_legacy_id"

    #: surveys or questions.
    kind: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    old_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    new_id: Mapped[int] = mapped_column()


def taking_answers(now: Any) -> sa.ColumnElement[bool]:
    """The rule of :meth:`Survey.accepts_answers` in SQL, for the queries and the counter
    update that check it in the database: active, and not past due at ``now`` (a time,
    or a bind parameter of a statement built once)."""
    columns = Survey.__table__.c
    return sa.and_(
        columns.is_active.is_(True), sa.or_(columns.due_at.is_(None), columns.due_at > now)
    )
