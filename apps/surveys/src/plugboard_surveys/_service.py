"""Surveys, questions and submissions: every change the API, the pages and the legacy
endpoints make goes through these functions.

They work on the current app (an app context) through its Flask-SQLAlchemy session.
Each change is one transaction, committed whole or rolled back: a survey created with
its questions, a submission with all its answers. Input is checked first, every field
at once (:class:`InvalidInput` lists them), so nothing is written when anything is wrong.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload, make_transient_to_detached, selectinload

from flask_plugboard.db import session, utcnow
from flask_plugboard.plugins.auth import User, is_admin

from . import _kinds as kinds
from ._errors import (
    AlreadySubmitted,
    FieldError,
    HasAnswers,
    InvalidInput,
    NotAllowed,
    NotFound,
    SurveyClosed,
)
from ._json import json_problem
from ._models import (
    Answer,
    Choice,
    Question,
    Submission,
    Survey,
    storable_id,
    taking_answers,
)

__all__ = [
    "MAX_QUESTIONS",
    "QuestionDraft",
    "active_surveys",
    "add_question",
    "check_answers",
    "check_question_input",
    "check_survey_input",
    "create_survey",
    "delete_question",
    "delete_survey",
    "get_question",
    "get_survey",
    "has_answered",
    "legacy_question",
    "legacy_reply",
    "may_change",
    "owned_survey",
    "owner_surveys",
    "reorder_questions",
    "set_active",
    "submit",
    "update_question",
    "update_survey",
]

MAX_NAME = 200
MAX_DESCRIPTION = 10_000
MAX_CONTENT = 2_000
MAX_QUESTIONS = 200
#: Largest JSON value (as text) a legacy reply or replyContent may be.
MAX_LEGACY_JSON = 10_000

_UNSET: Any = object()


@dataclasses.dataclass(frozen=True)
class QuestionDraft:
    """A question to create, before it is checked."""

    kind: str
    content: str
    required: bool = False
    options: Sequence[Any] | None = None
    settings: Mapping[str, Any] | None = None


@contextmanager
def _transaction() -> Iterator[Session]:
    db = session()
    try:
        yield db
        db.commit()
    except BaseException:
        db.rollback()
        raise


def _text(errors: list[FieldError], field: str, value: Any, limit: int, blank: bool) -> str:
    if not isinstance(value, str):
        errors.append((field, "must be a string"))
        return ""
    text = value.strip()
    if "\x00" in text:  # PostgreSQL's text columns cannot hold NUL
        errors.append((field, "may not contain NUL characters"))
    elif not text and not blank:
        errors.append((field, "may not be blank"))
    elif len(text) > limit:
        errors.append((field, f"at most {limit} characters"))
    return text


def _aware(value: dt.datetime | None) -> dt.datetime | None:
    if value is None or value.tzinfo is not None:
        return value.astimezone(dt.UTC) if value is not None else None
    return value.replace(tzinfo=dt.UTC)


def _question(draft: QuestionDraft, field: str, errors: list[FieldError]) -> Question:
    content = _text(errors, f"{field}.content", draft.content, MAX_CONTENT, blank=False)
    try:
        options, settings = kinds.check_question(draft.kind, draft.options, draft.settings)
    except kinds.InvalidQuestion as exc:
        errors.append((f"{field}.{exc.field}", exc.message))
        options, settings = None, {}
    return Question(
        kind=draft.kind,
        content=content,
        required=bool(draft.required),
        options=options,
        settings=settings,
    )


def legacy_question(type_name: str, content: str | None, reply_content: Any) -> Question:
    """A question as a legacy client creates it: any ``type`` string, and any JSON as
    ``replyContent``, both kept to be shown back. Its kind is what the type names; a
    choice question whose replyContent is not a list of options is a text question."""
    errors: list[FieldError] = []
    _check_json_size(errors, "replyContent", reply_content)
    _check_json_size(errors, "content", content)
    label = _text(errors, "type", type_name, 50, blank=False)
    if errors:
        raise InvalidInput(errors)
    kind = kinds.legacy_kind(label)
    settings: dict[str, Any] = {}
    if kind in kinds.CHOICE_KINDS:
        try:
            kinds.check_question(kind, reply_content, {})
        except kinds.InvalidQuestion:
            kind = "text"
    elif kind != "text":
        _, settings = kinds.check_question(kind, None, {})
    if kind == "text":
        settings = {"max_length": kinds.DEFAULT_TEXT_CHARS}
    return Question(
        kind=kind,
        legacy_type=label,
        content=(content or "")[:MAX_CONTENT],
        required=False,
        options=reply_content,
        settings=settings,
    )


def _check_json_size(errors: list[FieldError], field: str, value: Any) -> None:
    problem = json_problem(value)  # a set or bytes from a Python literal, say
    if problem is not None:
        errors.append((field, problem))
        return
    try:
        text = json.dumps(value, allow_nan=False)
    except ValueError:  # NaN or Infinity: Python reads them, PostgreSQL's JSON refuses them
        errors.append((field, "NaN and Infinity are not JSON numbers"))
        return
    if len(text) > MAX_LEGACY_JSON:
        errors.append((field, f"at most {MAX_LEGACY_JSON} characters of JSON"))
    elif "\\u0000" in text:  # PostgreSQL's JSONB and text columns cannot hold NUL
        errors.append((field, "text may not contain NUL characters (\\u0000)"))


# -- reading -----------------------------------------------------------------------------


def get_survey(survey_id: int, user: User | None = None, *, load_questions: bool = True) -> Survey:
    """The survey, when ``user`` may see it: its owner and administrators always; anyone
    while it is active. Else :class:`NotFound` (an inactive survey is nobody's business)."""
    if not storable_id(survey_id):  # never sent: PostgreSQL refuses to compare it
        raise NotFound(f"survey {survey_id} does not exist")
    query = sa.select(Survey).where(Survey.id == survey_id)
    if load_questions:
        query = query.options(selectinload(Survey.questions))
    survey = session().scalars(query).one_or_none()
    if survey is None or not (survey.is_active or may_change(survey.owner_id, user)):
        raise NotFound(f"survey {survey_id} does not exist")
    return survey


def owned_survey(survey_id: int, user: User | None, *, load_questions: bool = True) -> Survey:
    """The survey, when ``user`` may change it (its owner, an administrator).

    :class:`NotFound` when the user may not even see it, :class:`NotAllowed` when they
    may see it but not change it.
    """
    survey = get_survey(survey_id, user, load_questions=load_questions)
    if not may_change(survey.owner_id, user):
        raise NotAllowed(f"survey {survey_id} is not yours: only its owner may change it")
    return survey


def may_change(owner_id: int, user: User | None) -> bool:
    """Whether ``user`` may change (and so always see) a survey ``owner_id`` owns."""
    return user is not None and (owner_id == user.id or is_admin(user))


def get_question(survey: Survey, question_id: int) -> Question:
    for question in survey.questions:
        if question.id == question_id:
            return question
    raise NotFound(f"survey {survey.id} has no question {question_id}")


def owner_surveys(
    owner: User | None, *, offset: int = 0, limit: int = 20
) -> tuple[list[Survey], int]:
    """A page of the surveys of ``owner`` (None: everyone's), newest first, and how many
    there are in all."""
    query = sa.select(Survey)
    count = sa.select(sa.func.count()).select_from(Survey)
    if owner is not None:
        query = query.where(Survey.owner_id == owner.id)
        count = count.where(Survey.owner_id == owner.id)
    db = session()
    total = db.scalar(count) or 0
    page = db.scalars(query.order_by(Survey.id.desc()).offset(offset).limit(limit)).all()
    return list(page), total


def active_surveys(now: dt.datetime | None = None) -> list[Survey]:
    """The surveys taking answers now, oldest first."""
    when = utcnow() if now is None else now
    query = (
        sa.select(Survey)
        .where(taking_answers(when))
        .order_by(Survey.id)
    )
    return list(session().scalars(query))


# -- surveys -------------------------------------------------------------------------------


def create_survey(
    owner: User,
    *,
    name: str,
    description: str = "",
    due_at: dt.datetime | None = None,
    is_active: bool = False,
    one_per_respondent: bool = False,
    questions: Sequence[QuestionDraft | Question] = (),
) -> Survey:
    """Create a survey with its questions, all or nothing."""
    errors: list[FieldError] = []
    name = _text(errors, "name", name, MAX_NAME, blank=False)
    description = _text(errors, "description", description, MAX_DESCRIPTION, blank=True)
    if len(questions) > MAX_QUESTIONS:
        errors.append(("questions", f"at most {MAX_QUESTIONS} questions"))
    rows = [
        q if isinstance(q, Question) else _question(q, f"questions.{i}", errors)
        for i, q in enumerate(questions)
    ]
    if errors:
        raise InvalidInput(errors)
    for position, row in enumerate(rows):
        row.position = position
    survey = Survey(
        owner_id=owner.id,
        name=name,
        description=description,
        due_at=_aware(due_at),
        is_active=is_active,
        one_per_respondent=one_per_respondent,
        questions=rows,
    )
    with _transaction() as db:
        db.add(survey)
    return survey


def update_survey(
    survey: Survey,
    *,
    name: str = _UNSET,
    description: str = _UNSET,
    due_at: dt.datetime | None = _UNSET,
    is_active: bool = _UNSET,
    one_per_respondent: bool = _UNSET,
) -> Survey:
    """Change what is given of a survey's fields (the others stay)."""
    errors: list[FieldError] = []
    changes: dict[str, Any] = {}
    if name is not _UNSET:
        changes["name"] = _text(errors, "name", name, MAX_NAME, blank=False)
    if description is not _UNSET:
        changes["description"] = _text(
            errors, "description", description, MAX_DESCRIPTION, blank=True
        )
    if due_at is not _UNSET:
        changes["due_at"] = _aware(due_at)
    if is_active is not _UNSET:
        changes["is_active"] = bool(is_active)
    if one_per_respondent is not _UNSET:
        changes["one_per_respondent"] = bool(one_per_respondent)
    if errors:
        raise InvalidInput(errors)
    with _transaction():
        for key, value in changes.items():
            setattr(survey, key, value)
    return survey


def set_active(survey: Survey, active: bool) -> Survey:
    """Open (``True``) or close a survey."""
    return update_survey(survey, is_active=active)


def delete_survey(survey: Survey) -> None:
    """Delete a survey with its questions, submissions and answers."""
    with _transaction() as db:
        # Explicit, not left to ON DELETE CASCADE: SQLite enforces foreign keys only
        # when each connection turns them on.
        question_ids = sa.select(Question.id).where(Question.survey_id == survey.id)
        db.execute(sa.delete(Choice).where(Choice.question_id.in_(question_ids)))
        db.execute(sa.delete(Answer).where(Answer.question_id.in_(question_ids)))
        db.execute(sa.delete(Submission).where(Submission.survey_id == survey.id))
        db.execute(sa.delete(Question).where(Question.survey_id == survey.id))
        db.execute(sa.delete(Survey).where(Survey.id == survey.id))


def check_survey_input(*, name: Any, description: Any = "") -> list[FieldError]:
    """What :func:`create_survey` would refuse in a name and description, writing
    nothing: a form with errors of its own shows these beside them, all at once."""
    errors: list[FieldError] = []
    _text(errors, "name", name, MAX_NAME, blank=False)
    _text(errors, "description", description, MAX_DESCRIPTION, blank=True)
    return errors


def check_question_input(draft: QuestionDraft) -> list[FieldError]:
    """What :func:`add_question` would refuse in ``draft`` (fields ``question.*``),
    writing nothing."""
    errors: list[FieldError] = []
    _question(draft, "question", errors)
    return errors


# -- questions -----------------------------------------------------------------------------


def _answer_count(db: Session, question_id: int) -> int:
    query = sa.select(sa.func.count()).select_from(Answer).where(Answer.question_id == question_id)
    return db.scalar(query) or 0


def add_question(
    survey: Survey, draft: QuestionDraft | Question, position: int | None = None
) -> Question:
    """Add a question, last or at ``position`` (0 is first)."""
    errors: list[FieldError] = []
    if len(survey.questions) >= MAX_QUESTIONS:
        errors.append(("questions", f"a survey has at most {MAX_QUESTIONS} questions"))
    row = draft if isinstance(draft, Question) else _question(draft, "question", errors)
    if errors:
        raise InvalidInput(errors)
    with _transaction():
        order = list(survey.questions)
        at = len(order) if position is None else max(0, min(position, len(order)))
        order.insert(at, row)
        survey.questions = order
        _renumber(order)
    return row


def update_question(
    question: Question,
    *,
    content: str = _UNSET,
    required: bool = _UNSET,
    kind: str = _UNSET,
    options: Sequence[Any] | None = _UNSET,
    settings: Mapping[str, Any] | None = _UNSET,
    position: int = _UNSET,
) -> Question:
    """Change what is given of a question. Its kind, options and settings cannot change
    once it has answers (:class:`HasAnswers`): the answers would be misread."""
    errors: list[FieldError] = []
    db = session()
    changes: dict[str, Any] = {}
    if content is not _UNSET:
        changes["content"] = _text(errors, "content", content, MAX_CONTENT, blank=False)
    if required is not _UNSET:
        changes["required"] = bool(required)
    shape = {"kind": kind, "options": options, "settings": settings}
    if any(value is not _UNSET for value in shape.values()):
        new_kind = question.kind if kind is _UNSET else kind
        new_options = question.options if options is _UNSET else options
        if options is _UNSET and new_kind not in kinds.CHOICE_KINDS:
            new_options = None
        new_settings = question.settings if settings is _UNSET else settings
        if settings is _UNSET and kind is not _UNSET and kind != question.kind:
            new_settings = {}
        try:
            checked_options, checked_settings = kinds.check_question(
                new_kind, new_options, new_settings
            )
        except kinds.InvalidQuestion as exc:
            errors.append((exc.field, exc.message))
        else:
            changed = (new_kind, checked_options, checked_settings) != (
                question.kind,
                question.options,
                question.settings,
            )
            if changed and _answer_count(db, question.id):
                raise HasAnswers(
                    f"question {question.id} has answers: its kind, options and settings "
                    "can no longer change (add a new question instead)"
                )
            changes.update(kind=new_kind, options=checked_options, settings=checked_settings)
            changes["legacy_type"] = question.legacy_type if new_kind == question.kind else None
    if errors:
        raise InvalidInput(errors)
    with _transaction():
        for key, value in changes.items():
            setattr(question, key, value)
        if position is not _UNSET:
            order = [q for q in question.survey.questions if q is not question]
            order.insert(max(0, min(position, len(order))), question)
            question.survey.questions = order
            _renumber(order)
    return question


def delete_question(question: Question) -> None:
    """Delete a question with its answers (the submissions stay, with their other answers)."""
    survey = question.survey
    with _transaction() as db:
        db.execute(sa.delete(Choice).where(Choice.question_id == question.id))
        db.execute(sa.delete(Answer).where(Answer.question_id == question.id))
        order = [q for q in survey.questions if q is not question]
        survey.questions = order
        _renumber(order)


def reorder_questions(survey: Survey, question_ids: Sequence[int]) -> Survey:
    """Put the survey's questions in the order of ``question_ids`` (each one, once)."""
    by_id = {q.id: q for q in survey.questions}
    if sorted(question_ids) != sorted(by_id):
        raise InvalidInput(
            [("question_ids", f"list each question of survey {survey.id} once: {sorted(by_id)}")]
        )
    with _transaction():
        order = [by_id[i] for i in question_ids]
        survey.questions = order
        _renumber(order)
    return survey


def _renumber(order: Sequence[Question]) -> None:
    for position, question in enumerate(order):
        question.position = position


# -- answers -------------------------------------------------------------------------------


def check_answers(
    survey: Survey, answers: Mapping[int, Any]
) -> tuple[list[tuple[Question, kinds.Checked]], list[FieldError]]:
    """``answers`` checked against ``survey``'s questions, writing nothing: each given
    answer with its question, and the errors (``answers.<question id>``) of every bad
    one. What :func:`submit` stores, or refuses; a form shows these errors at once."""
    errors: list[FieldError] = []
    by_id = {q.id: q for q in survey.questions}
    for question_id in answers:
        if question_id not in by_id:
            errors.append((f"answers.{question_id}", f"survey {survey.id} has no such question"))
    checked: list[tuple[Question, kinds.Checked]] = []
    for question in survey.questions:
        try:
            answer = kinds.check_answer(
                question.kind,
                question.options if question.kind in kinds.CHOICE_KINDS else None,
                question.settings or {},
                question.required,
                answers.get(question.id),
            )
        except kinds.InvalidAnswer as exc:
            errors.append((f"answers.{question.id}", str(exc)))
            continue
        if answer is not None:
            checked.append((question, answer))
    return checked, errors


def submit(
    survey: Survey, answers: Mapping[int, Any], user: User | None = None
) -> Submission:
    """Store one respondent's answers to ``survey``, checked against each question.

    ``answers`` maps question ids to values. Raises :class:`InvalidInput` naming every
    bad answer (``answers.<question id>``), :class:`SurveyClosed`, and, for a
    one-per-respondent survey, :class:`NotAllowed` for an anonymous respondent and
    :class:`AlreadySubmitted` for a second submission. Race-safe across workers: the
    survey is checked open in the same statement that counts the submission, and the
    one-per-respondent rule is a unique constraint.
    """
    checked, errors = check_answers(survey, answers)
    rows = [_answer(question, answer) for question, answer in checked]
    if errors:
        raise InvalidInput(errors)
    key = None
    if survey.one_per_respondent:
        if user is None:
            raise NotAllowed(f"survey {survey.id} takes one answer per respondent: log in first")
        key = f"user:{user.id}"
    return _store(survey.id, rows, user, key)


def legacy_reply(question_id: int, value: Any) -> Submission | None:
    """A legacy ``/addreply``: one answer to one question, its JSON value kept as sent.

    None when the question does not exist. Raises :class:`SurveyClosed` when its survey
    takes no answers, and :class:`NotAllowed` when it takes one answer per respondent
    (legacy replies are anonymous, so they cannot be counted per respondent).
    """
    errors: list[FieldError] = []
    _check_json_size(errors, "reply", value)
    if errors:
        raise InvalidInput(errors)
    if not storable_id(question_id):
        return None
    db = session()
    # With its survey, in the same query: one round trip to the database, not two.
    question = db.get(Question, question_id, options=[joinedload(Question.survey)])
    if question is None:
        return None
    if question.survey.one_per_respondent:
        raise NotAllowed(
            f"survey {question.survey_id} takes one answer per respondent: answer it "
            "logged in, through the API or its page"
        )
    checked = kinds.interpret(question.kind, question.options, value)
    return _store(question.survey_id, [_answer(question, checked)], None, None)


@dataclasses.dataclass(frozen=True)
class _NewAnswer:
    """An answer to insert: :class:`Answer`'s columns, and its chosen options."""

    question_id: int
    value: Any
    number: float | None
    choices: tuple[int, ...]


def _answer(question: Question, checked: kinds.Checked) -> _NewAnswer:
    return _NewAnswer(question.id, checked.value, checked.number, tuple(checked.choices))


# A submission is written with Core statements, built once: the ORM's unit of work (an
# instance per answer and per choice, then a flush sorting them out) took about 40% of a
# submission's time (bench/bench_surveys_load.py), for rows nothing reads back.
_survey_table = cast(sa.Table, Survey.__table__)
_submission_table = cast(sa.Table, Submission.__table__)
_answer_table = cast(sa.Table, Answer.__table__)
_COUNT = (
    sa.update(_survey_table)
    .where(
        _survey_table.c.id == sa.bindparam("survey_id"), taking_answers(sa.bindparam("now"))
    )
    .values(submission_count=_survey_table.c.submission_count + 1)
)
_NEW_SUBMISSION = sa.insert(_submission_table).returning(_submission_table.c.id)
_NEW_ANSWERS = sa.insert(_answer_table).returning(
    _answer_table.c.id, sort_by_parameter_order=True
)
_NEW_CHOICES = sa.insert(cast(sa.Table, Choice.__table__))


def _insert_answers(db: Session, submission_id: int, rows: Sequence[_NewAnswer]) -> list[int]:
    """Insert the answers; their ids, in the order of ``rows``."""
    params = [
        {"submission_id": submission_id, "question_id": r.question_id, "value": r.value,
         "number": r.number}
        for r in rows
    ]
    if len(params) > 1 and not (
        db.connection().dialect.insert_executemany_returning_sort_by_parameter_order
    ):
        # SQLite before 3.35 returns no ids from a batch: one statement per answer.
        return [db.execute(_NEW_ANSWERS, p).scalar_one() for p in params]
    return list(db.execute(_NEW_ANSWERS, params).scalars())


def _store(
    survey_id: int, rows: list[_NewAnswer], user: User | None, key: str | None
) -> Submission:
    db = session()
    now = utcnow()
    user_id = None if user is None else user.id
    try:
        counted = db.execute(_COUNT, {"survey_id": survey_id, "now": now})
        if cast("sa.CursorResult[Any]", counted).rowcount != 1:
            db.rollback()
            raise SurveyClosed(f"survey {survey_id} is closed: it takes no more answers")
        submission_id = db.execute(
            _NEW_SUBMISSION,
            {"survey_id": survey_id, "user_id": user_id, "respondent_key": key,
             "created_at": now},
        ).scalar_one()
        if rows:
            answer_ids = _insert_answers(db, submission_id, rows)
            choices = [
                {"answer_id": answer_id, "option": option, "question_id": row.question_id}
                for answer_id, row in zip(answer_ids, rows, strict=True)
                for option in row.choices
            ]
            if choices:
                db.execute(_NEW_CHOICES, choices)
        db.commit()
    except IntegrityError:
        db.rollback()
        if key is None:  # a question deleted meanwhile: not the respondent's doing
            raise
        raise AlreadySubmitted(
            f"you answered survey {survey_id} already: it takes one answer per respondent"
        ) from None
    except BaseException:
        db.rollback()
        raise
    # The row just written, as an instance of the session without reading it back: its
    # answers load when asked for.
    submission = Submission(
        id=submission_id, survey_id=survey_id, user_id=user_id, respondent_key=key,
        created_at=now,
    )
    make_transient_to_detached(submission)
    db.add(submission)
    return submission


def has_answered(survey: Survey, user: User | None) -> bool:
    """Whether ``user`` has answered the one-per-respondent ``survey`` already (False for
    anyone else): a page then says so before the respondent fills the form in for nothing.
    :func:`submit` stays the judge (the unique constraint), this is only a courtesy."""
    if user is None or not survey.one_per_respondent:
        return False
    query = sa.select(Submission.id).where(
        Submission.survey_id == survey.id, Submission.respondent_key == f"user:{user.id}"
    )
    return session().scalars(query.limit(1)).first() is not None
