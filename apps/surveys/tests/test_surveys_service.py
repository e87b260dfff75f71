"""The survey service on SQLite and the real PostgreSQL: surveys created all or nothing,
questions kept in order, answers checked before anything is stored, closed and
one-per-respondent surveys, who may see and change what, deletion, and legacy replies."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from flask_plugboard.db import session
from flask_plugboard.plugins.auth import User, add_role, register_user
from plugboard_surveys import (
    AlreadySubmitted,
    Answer,
    Choice,
    HasAnswers,
    InvalidInput,
    NotAllowed,
    NotFound,
    Question,
    QuestionDraft,
    Submission,
    Survey,
    SurveyClosed,
)
from plugboard_surveys import _service as service
from surveys_support import PASSWORD


@pytest.fixture(autouse=True)
def app_context(app: Flask) -> Iterator[None]:
    with app.app_context():
        yield


def user(name: str) -> User:
    return register_user(name, PASSWORD, email=f"{name}@example.org")


@pytest.fixture
def owner() -> User:
    return user("owner")


@pytest.fixture
def stranger() -> User:
    return user("stranger")


@pytest.fixture
def admin() -> User:
    return add_role(user("boss"), "admin")


def drafts() -> list[QuestionDraft]:
    """One question of each kind."""
    return [
        QuestionDraft("single_choice", "Colour?", options=[" Red ", "Green", "Blue"]),
        QuestionDraft("multiple_choice", "Pets?", options=["cat", "dog", "fish"]),
        QuestionDraft("text", "Why?", settings={"max_length": 20}),
        QuestionDraft("number", "Age?", settings={"integer": True, "min": 0, "max": 150}),
        QuestionDraft("rating", "Stars?", required=True),
    ]


def count(model: type[Any]) -> int:
    return session().scalar(sa.select(sa.func.count()).select_from(model)) or 0


def counts() -> dict[str, int]:
    """How many rows each table of the service holds."""
    return {
        model.__name__: count(model) for model in (Survey, Question, Submission, Answer, Choice)
    }


def reload(survey_id: int) -> Survey:
    """The survey as stored (nothing kept from the session)."""
    session().expire_all()
    survey = session().get(Survey, survey_id)
    assert survey is not None
    return survey


def stored_order(survey_id: int) -> list[tuple[int, str]]:
    """(position, content) of the survey's questions as stored, by position."""
    session().expire_all()
    query = (
        sa.select(Question.position, Question.content)
        .where(Question.survey_id == survey_id)
        .order_by(Question.position)
    )
    return [(position, content) for position, content in session().execute(query)]


def texts(owner: User, *contents: str, **survey: Any) -> Survey:
    return service.create_survey(
        owner,
        name="Texts",
        questions=[QuestionDraft("text", content) for content in contents],
        **survey,
    )


def ids(survey: Survey) -> list[int]:
    return [q.id for q in survey.questions]


# -- creating surveys ----------------------------------------------------------------------


def test_create_survey_stores_its_questions_in_order(owner: User) -> None:
    due = dt.datetime(2099, 12, 31, 10, 11, 12)  # naive: taken as UTC
    survey = service.create_survey(
        owner, name="  Habits ", description=" Of pets ", due_at=due, questions=drafts()
    )

    stored = reload(survey.id)
    assert (stored.name, stored.description, stored.owner_id) == ("Habits", "Of pets", owner.id)
    assert stored.due_at == due.replace(tzinfo=dt.UTC)
    assert (stored.is_active, stored.one_per_respondent, stored.submission_count) == (
        False,
        False,
        0,
    )
    assert [(q.position, q.kind, q.content) for q in stored.questions] == [
        (0, "single_choice", "Colour?"),
        (1, "multiple_choice", "Pets?"),
        (2, "text", "Why?"),
        (3, "number", "Age?"),
        (4, "rating", "Stars?"),
    ]
    assert stored.questions[0].options == ["Red", "Green", "Blue"]
    assert stored.questions[2].options is None
    assert [q.settings for q in stored.questions] == [
        {},
        {},
        {"max_length": 20},
        {"integer": True, "min": 0, "max": 150},
        {"min": 1, "max": 5},
    ]
    assert [q.required for q in stored.questions] == [False, False, False, False, True]


def test_create_survey_lists_every_bad_field_and_writes_nothing(owner: User) -> None:
    before = counts()
    questions = [
        QuestionDraft("text", "Fine"),
        QuestionDraft("essay", "Bad kind"),
        QuestionDraft("single_choice", "No options"),
        QuestionDraft("text", "   "),
        QuestionDraft("text", "Typo", settings={"max_lenght": 5}),
        QuestionDraft("multiple_choice", "Twice", options=["a", "a"]),
        QuestionDraft("rating", "Flat", settings={"min": 3, "max": 3}),
    ]
    with pytest.raises(InvalidInput) as caught:
        service.create_survey(owner, name=" ", description=5, questions=questions)  # type: ignore[arg-type]

    assert [field for field, _ in caught.value.errors] == [
        "name",
        "description",
        "questions.1.kind",
        "questions.2.options",
        "questions.3.content",
        "questions.4.settings.max_lenght",
        "questions.5.options.1",
        "questions.6.settings.max",
    ]
    assert "name: may not be blank" in str(caught.value)
    assert "questions.1.kind: kind 'essay' is not one of" in str(caught.value)
    assert counts() == before


def test_create_survey_refuses_one_bad_question_among_good_ones(owner: User) -> None:
    questions = [*drafts(), QuestionDraft("number", "Bad", settings={"min": 2, "max": 1})]
    with pytest.raises(InvalidInput) as caught:
        service.create_survey(owner, name="Almost", questions=questions)
    assert caught.value.errors == [
        ("questions.5.settings.min", "settings.min is above settings.max")
    ]
    assert counts()["Survey"] == 0
    assert counts()["Question"] == 0


@pytest.mark.parametrize(
    ("fields", "field", "says"),
    [
        ({"name": "x" * 201}, "name", "at most 200 characters"),
        ({"name": None}, "name", "must be a string"),
        ({"name": "ok", "description": "x" * 10_001}, "description", "at most 10000"),
        (
            {"name": "ok", "questions": [QuestionDraft("text", "q")] * 201},
            "questions",
            "at most 200 questions",
        ),
        (
            {"name": "ok", "questions": [QuestionDraft("text", "x" * 2001)]},
            "questions.0.content",
            "at most 2000 characters",
        ),
        (
            {"name": "ok", "questions": [QuestionDraft("text", None)]},  # type: ignore[arg-type]
            "questions.0.content",
            "must be a string",
        ),
    ],
)
def test_create_survey_refuses_oversized_and_mistyped_fields(
    owner: User, fields: dict[str, Any], field: str, says: str
) -> None:
    with pytest.raises(InvalidInput) as caught:
        service.create_survey(owner, **fields)
    assert [(f, says in message) for f, message in caught.value.errors] == [(field, True)]
    assert counts()["Survey"] == 0


def test_update_survey_changes_what_is_given_and_refuses_bad_input(owner: User) -> None:
    survey = texts(owner, "A")
    service.update_survey(survey, description="New", is_active=True)
    stored = reload(survey.id)
    assert (stored.name, stored.description, stored.is_active) == ("Texts", "New", True)

    with pytest.raises(InvalidInput) as caught:
        service.update_survey(stored, name="", description="x" * 10_001, is_active=False)
    assert [field for field, _ in caught.value.errors] == ["name", "description"]
    stored = reload(survey.id)
    assert (stored.name, stored.description, stored.is_active) == ("Texts", "New", True)


# -- questions -----------------------------------------------------------------------------


def test_add_question_puts_it_where_asked_and_renumbers(owner: User) -> None:
    survey = texts(owner, "A", "B", "C")
    service.add_question(survey, QuestionDraft("text", "D"), position=1)
    service.add_question(survey, QuestionDraft("text", "E"))
    service.add_question(survey, QuestionDraft("text", "F"), position=-5)
    service.add_question(survey, QuestionDraft("text", "G"), position=99)
    assert stored_order(survey.id) == list(enumerate(["F", "A", "D", "B", "C", "E", "G"]))


def test_add_question_refuses_a_bad_one_and_keeps_the_order(owner: User) -> None:
    survey = texts(owner, "A", "B")
    with pytest.raises(InvalidInput) as caught:
        service.add_question(survey, QuestionDraft("single_choice", "", options="yes"), 0)
    assert [field for field, _ in caught.value.errors] == ["question.content", "question.options"]
    assert stored_order(survey.id) == [(0, "A"), (1, "B")]


def test_a_survey_takes_at_most_max_questions(owner: User) -> None:
    survey = texts(owner, *(f"q{i}" for i in range(service.MAX_QUESTIONS)))
    with pytest.raises(InvalidInput) as caught:
        service.add_question(survey, QuestionDraft("text", "one too many"))
    assert caught.value.errors[0][0] == "questions"
    assert count(Question) == service.MAX_QUESTIONS


def test_reorder_questions_stores_the_new_order(owner: User) -> None:
    survey = texts(owner, "A", "B", "C", "D")
    a, b, c, d = ids(survey)
    service.reorder_questions(survey, [c, a, d, b])
    assert stored_order(survey.id) == [(0, "C"), (1, "A"), (2, "D"), (3, "B")]


@pytest.mark.parametrize(
    "order",
    [
        lambda a, b, c: [a, b],  # one left out
        lambda a, b, c: [a, b, b],  # one twice
        lambda a, b, c: [a, b, c, c + 1000],  # one of no such question
        lambda a, b, c: [],
    ],
)
def test_reorder_questions_needs_each_question_once(owner: User, order: Any) -> None:
    survey = texts(owner, "A", "B", "C")
    other = texts(owner, "X")
    with pytest.raises(InvalidInput) as caught:
        service.reorder_questions(survey, order(*ids(survey)))
    assert caught.value.errors == [
        ("question_ids", f"list each question of survey {survey.id} once: {ids(survey)}")
    ]
    with pytest.raises(InvalidInput):
        service.reorder_questions(survey, [*ids(survey)[1:], other.questions[0].id])
    assert stored_order(survey.id) == [(0, "A"), (1, "B"), (2, "C")]


def test_update_question_moves_it(owner: User) -> None:
    survey = texts(owner, "A", "B", "C", "D")
    service.update_question(survey.questions[3], position=0)
    assert stored_order(survey.id) == list(enumerate("DABC"))
    service.update_question(reload(survey.id).questions[0], position=2)
    assert stored_order(survey.id) == list(enumerate("ABDC"))
    service.update_question(reload(survey.id).questions[1], position=100)
    assert stored_order(survey.id) == list(enumerate("ADCB"))


def test_delete_question_renumbers_the_others_and_keeps_the_submissions(owner: User) -> None:
    survey = texts(owner, "A", "B", "C", "D", is_active=True)
    a, b, c, d = ids(survey)
    service.submit(survey, {a: "a", b: "b", c: "c", d: "d"})

    service.delete_question(reload(survey.id).questions[1])

    assert stored_order(survey.id) == [(0, "A"), (1, "C"), (2, "D")]
    assert count(Submission) == 1
    stored = session().scalars(sa.select(Answer.value).order_by(Answer.question_id)).all()
    assert stored == ["a", "c", "d"]
    assert reload(survey.id).submission_count == 1


def test_update_question_changes_kind_options_and_settings_before_any_answer(
    owner: User,
) -> None:
    survey = texts(owner, "A")
    question = survey.questions[0]
    service.update_question(question, kind="multiple_choice", options=[" x", "y"])
    stored = reload(survey.id).questions[0]
    assert (stored.kind, stored.options, stored.settings) == ("multiple_choice", ["x", "y"], {})

    service.update_question(stored, settings={"max_choices": 1})
    assert reload(survey.id).questions[0].settings == {"max_choices": 1}

    # Back to a kind without options: the options and the other kind's settings go.
    service.update_question(reload(survey.id).questions[0], kind="rating")
    stored = reload(survey.id).questions[0]
    assert (stored.kind, stored.options, stored.settings) == ("rating", None, {"min": 1, "max": 5})


def test_update_question_lists_every_bad_field_and_changes_nothing(owner: User) -> None:
    survey = texts(owner, "A")
    with pytest.raises(InvalidInput) as caught:
        service.update_question(survey.questions[0], content=" ", kind="essay", required=True)
    assert [field for field, _ in caught.value.errors] == ["content", "kind"]
    with pytest.raises(InvalidInput) as caught:
        service.update_question(reload(survey.id).questions[0], kind="single_choice")
    assert [field for field, _ in caught.value.errors] == ["options"]
    with pytest.raises(InvalidInput) as caught:
        service.update_question(reload(survey.id).questions[0], settings={"max_length": 0})
    assert [field for field, _ in caught.value.errors] == ["settings.max_length"]
    stored = reload(survey.id).questions[0]
    assert (stored.content, stored.kind, stored.required, stored.settings) == (
        "A",
        "text",
        False,
        {"max_length": 2000},
    )


@pytest.mark.parametrize(
    "change",
    [
        {"kind": "single_choice"},
        {"options": ["Red", "Green"]},
        {"options": ["Red", "Green", "Blue", "Black"]},
        {"options": ["Blue", "Green", "Red"]},
        {"settings": {"min_choices": 1}},
    ],
)
def test_update_question_refuses_to_change_the_shape_once_answered(
    owner: User, change: dict[str, Any]
) -> None:
    survey = service.create_survey(
        owner,
        name="Answered",
        is_active=True,
        questions=[QuestionDraft("multiple_choice", "Colours?", options=["Red", "Green", "Blue"])],
    )
    question = survey.questions[0]
    service.submit(survey, {question.id: ["Blue"]})

    with pytest.raises(HasAnswers, match="add a new question instead"):
        service.update_question(reload(survey.id).questions[0], content="Changed", **change)

    stored = reload(survey.id).questions[0]
    assert (stored.content, stored.kind, stored.options, stored.settings) == (
        "Colours?",
        "multiple_choice",
        ["Red", "Green", "Blue"],
        {},
    )


def test_update_question_changes_the_content_of_an_answered_question(owner: User) -> None:
    survey = service.create_survey(owner, name="Answered", is_active=True, questions=drafts())
    first = survey.questions[0]
    service.submit(survey, {first.id: "Green", survey.questions[4].id: 3})

    # The same options, written differently, are no change.
    service.update_question(
        reload(survey.id).questions[0],
        content="Favourite colour?",
        required=True,
        options=["Red", " Green ", "Blue"],
        settings={},
        position=2,
    )
    stored = session().get(Question, first.id)
    assert stored is not None
    assert (stored.content, stored.required, stored.options, stored.position) == (
        "Favourite colour?",
        True,
        ["Red", "Green", "Blue"],
        2,
    )
    assert [position for position, _ in stored_order(survey.id)] == [0, 1, 2, 3, 4]


# -- submissions ---------------------------------------------------------------------------


def test_submit_stores_the_answers_as_checked(owner: User, stranger: User) -> None:
    survey = service.create_survey(owner, name="All kinds", is_active=True, questions=drafts())
    single, multiple, text, number, rating = ids(survey)

    submission = service.submit(
        survey,
        {single: " Blue", multiple: ["fish", "cat"], text: " hi ", number: 42.0, rating: 4},
        stranger,
    )

    stored = (
        session()
        .scalars(
            sa.select(Answer)
            .where(Answer.submission_id == submission.id)
            .order_by(Answer.question_id)
        )
        .all()
    )
    assert [(a.value, a.number) for a in stored] == [
        ("Blue", None),
        (["cat", "fish"], None),
        (" hi ", None),
        (42, 42.0),
        (4, 4.0),
    ]
    assert type(stored[3].value) is int
    chosen = session().execute(sa.select(Choice.question_id, Choice.option).order_by(Choice.option))
    assert sorted(chosen) == [(single, 2), (multiple, 0), (multiple, 2)]
    assert reload(survey.id).submission_count == 1
    assert session().scalars(sa.select(Submission.user_id)).all() == [stranger.id]


def test_submit_leaves_optional_questions_out(owner: User) -> None:
    survey = service.create_survey(owner, name="All kinds", is_active=True, questions=drafts())
    single, multiple, text, _, rating = ids(survey)
    service.submit(survey, {single: None, multiple: [], text: "   ", rating: 1})
    assert session().scalars(sa.select(Answer.question_id)).all() == [rating]
    assert reload(survey.id).submission_count == 1


def test_submit_lists_every_bad_answer_and_stores_nothing(owner: User) -> None:
    survey = service.create_survey(owner, name="All kinds", is_active=True, questions=drafts())
    single, multiple, text, number, rating = ids(survey)
    service.submit(survey, {rating: 5})
    before = counts()

    with pytest.raises(InvalidInput) as caught:
        service.submit(
            survey,
            {
                single: "Purple",
                multiple: ["cat", "cat"],
                text: "x" * 21,
                number: 1.5,
                9999: "no such question",
            },
        )

    assert caught.value.errors == [
        ("answers.9999", f"survey {survey.id} has no such question"),
        (f"answers.{single}", "choose one of 'Red', 'Green', 'Blue'"),
        (f"answers.{multiple}", "an option is chosen twice"),
        (f"answers.{text}", "at most 20 characters"),
        (f"answers.{number}", "the answer must be a whole number"),
        (f"answers.{rating}", "an answer is required"),
    ]
    assert counts() == before
    assert reload(survey.id).submission_count == 1


@pytest.mark.parametrize(
    ("kind_index", "value", "says"),
    [
        (3, True, "the answer must be a number"),
        (3, math.nan, "the answer must be a number"),
        (3, math.inf, "the answer must be a number"),
        (3, -1, "the answer must be at least 0"),
        (3, "42", "the answer must be a number"),
        (4, 6, "the answer must be at most 5"),
        (4, 2.5, "the answer must be a whole number"),
        (2, {"a": 1}, "the answer must be text"),
        (1, "cat", "give a list of options"),
        (0, ["Red"], "choose one of"),
    ],
)
def test_submit_refuses_garbage(owner: User, kind_index: int, value: Any, says: str) -> None:
    survey = service.create_survey(owner, name="All kinds", is_active=True, questions=drafts())
    question = survey.questions[kind_index]
    answers = {survey.questions[4].id: 3, question.id: value}
    with pytest.raises(InvalidInput) as caught:
        service.submit(survey, answers)
    [(field, message)] = caught.value.errors
    assert field == f"answers.{question.id}"
    assert says in message
    assert count(Submission) == 0
    assert reload(survey.id).submission_count == 0


@pytest.mark.parametrize(
    "closed",
    [
        {"is_active": False},
        {"is_active": True, "due_at": dt.datetime.now(dt.UTC) - dt.timedelta(seconds=5)},
        # A naive due date is UTC.
        {"is_active": True, "due_at": dt.datetime.now(dt.UTC).replace(tzinfo=None)},
        {"is_active": False, "due_at": dt.datetime(2099, 1, 1, tzinfo=dt.UTC)},
    ],
)
def test_a_closed_or_past_due_survey_takes_no_answers(owner: User, closed: dict[str, Any]) -> None:
    survey = texts(owner, "A", **closed)
    with pytest.raises(SurveyClosed, match=f"survey {survey.id} is closed"):
        service.submit(survey, {survey.questions[0].id: "late"}, owner)
    assert count(Submission) == 0
    assert count(Answer) == 0
    assert reload(survey.id).submission_count == 0


def test_a_survey_takes_answers_until_its_due_date_and_after_it_opens(owner: User) -> None:
    survey = texts(owner, "A", is_active=True, due_at=dt.datetime(2099, 1, 1, tzinfo=dt.UTC))
    question = survey.questions[0].id
    service.submit(survey, {question: "in time"})
    service.set_active(reload(survey.id), False)
    with pytest.raises(SurveyClosed):
        service.submit(reload(survey.id), {question: "closed"})
    service.set_active(reload(survey.id), True)
    service.submit(reload(survey.id), {question: "open again"})
    past = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)
    service.update_survey(reload(survey.id), due_at=past)
    with pytest.raises(SurveyClosed):
        service.submit(reload(survey.id), {question: "past due"})
    assert session().scalars(sa.select(Answer.value).order_by(Answer.id)).all() == [
        "in time",
        "open again",
    ]
    assert reload(survey.id).submission_count == 2


def test_a_bad_answer_to_a_closed_survey_is_refused_as_bad_input(owner: User) -> None:
    survey = texts(owner, "A")
    with pytest.raises(InvalidInput):
        service.submit(survey, {survey.questions[0].id: 5})


def test_one_per_respondent_refuses_anonymous_and_second_submissions(
    owner: User, stranger: User
) -> None:
    survey = texts(owner, "A", is_active=True, one_per_respondent=True)
    question = survey.questions[0].id

    with pytest.raises(NotAllowed, match="log in first"):
        service.submit(survey, {question: "anonymous"})
    service.submit(survey, {question: "first"}, stranger)
    with pytest.raises(AlreadySubmitted, match=f"you answered survey {survey.id} already"):
        service.submit(reload(survey.id), {question: "second"}, stranger)
    service.submit(reload(survey.id), {question: "the owner's"}, owner)

    assert session().scalars(sa.select(Answer.value).order_by(Answer.id)).all() == [
        "first",
        "the owner's",
    ]
    assert reload(survey.id).submission_count == 2


def test_without_one_per_respondent_anyone_submits_again(stranger: User, owner: User) -> None:
    survey = texts(owner, "A", is_active=True)
    question = survey.questions[0].id
    for n in range(3):
        service.submit(reload(survey.id), {question: str(n)}, stranger)
    service.submit(reload(survey.id), {question: "anonymous"})
    assert reload(survey.id).submission_count == 4


# -- who sees and changes what ---------------------------------------------------------


def test_an_inactive_survey_is_seen_by_its_owner_and_administrators_only(
    owner: User, stranger: User, admin: User
) -> None:
    survey = texts(owner, "A")
    assert service.get_survey(survey.id, owner).id == survey.id
    assert service.get_survey(survey.id, admin).id == survey.id
    for who in (None, stranger):
        with pytest.raises(NotFound, match=f"survey {survey.id} does not exist"):
            service.get_survey(survey.id, who)
        with pytest.raises(NotFound):
            service.owned_survey(survey.id, who)


def test_an_active_survey_is_seen_by_all_and_changed_by_its_owner_and_administrators(
    owner: User, stranger: User, admin: User
) -> None:
    survey = texts(owner, "A", is_active=True)
    for who in (None, stranger, owner, admin):
        assert service.get_survey(survey.id, who).questions[0].content == "A"
    for who in (None, stranger):
        with pytest.raises(NotAllowed, match="only its owner may change it"):
            service.owned_survey(survey.id, who)

    service.update_survey(service.owned_survey(survey.id, owner), name="By the owner")
    assert reload(survey.id).name == "By the owner"
    changed = service.owned_survey(survey.id, admin)
    service.update_survey(changed, name="By an administrator", is_active=False)
    service.add_question(changed, QuestionDraft("text", "Added by an administrator"))
    assert reload(survey.id).name == "By an administrator"
    assert [content for _, content in stored_order(survey.id)] == [
        "A",
        "Added by an administrator",
    ]
    with pytest.raises(NotFound):
        service.get_survey(survey.id, stranger)


def test_an_unknown_survey_or_question_is_not_found(owner: User, admin: User) -> None:
    survey = texts(owner, "A")
    for who in (None, owner, admin):
        with pytest.raises(NotFound, match="survey 424242 does not exist"):
            service.get_survey(424242, who)
        with pytest.raises(NotFound):
            service.owned_survey(424242, who)
    with pytest.raises(NotFound, match=f"survey {survey.id} has no question 424242"):
        service.get_question(survey, 424242)
    assert service.get_question(survey, survey.questions[0].id).content == "A"


def test_owner_surveys_pages_newest_first(owner: User, stranger: User) -> None:
    made = [texts(owner, str(n)).id for n in range(5)]
    texts(stranger, "theirs")
    page, total = service.owner_surveys(owner, offset=1, limit=2)
    assert ([s.id for s in page], total) == ([made[3], made[2]], 5)
    assert service.owner_surveys(None)[1] == 6


def test_active_surveys_lists_those_taking_answers(owner: User) -> None:
    open_one = texts(owner, "open", is_active=True)
    texts(owner, "closed")
    texts(owner, "past", is_active=True, due_at=dt.datetime(2000, 1, 1, tzinfo=dt.UTC))
    later = texts(owner, "later", is_active=True, due_at=dt.datetime(2099, 1, 1, tzinfo=dt.UTC))
    assert [s.id for s in service.active_surveys()] == [open_one.id, later.id]


# -- deleting ------------------------------------------------------------------------------


@pytest.mark.parametrize("load_questions", [True, False])
def test_delete_survey_removes_its_questions_submissions_answers_and_choices(
    owner: User, load_questions: bool
) -> None:
    doomed = service.create_survey(owner, name="Doomed", is_active=True, questions=drafts())
    kept = service.create_survey(owner, name="Kept", is_active=True, questions=drafts())
    for survey in (doomed, kept):
        single, multiple, _, number, rating = ids(survey)
        answers = {single: "Red", multiple: ["cat", "dog"], number: 7, rating: 2}
        service.submit(reload(survey.id), answers)
        service.submit(reload(survey.id), {**answers, single: "Blue"})
    assert counts() == {"Survey": 2, "Question": 10, "Submission": 4, "Answer": 16, "Choice": 12}

    service.delete_survey(service.owned_survey(doomed.id, owner, load_questions=load_questions))

    assert counts() == {"Survey": 1, "Question": 5, "Submission": 2, "Answer": 8, "Choice": 6}
    session().expire_all()
    assert session().get(Survey, doomed.id) is None
    assert session().scalars(sa.select(Question.survey_id).distinct()).all() == [kept.id]
    with pytest.raises(NotFound):
        service.get_survey(doomed.id, owner)


def test_a_new_survey_never_gets_a_deleted_ones_id(owner: User) -> None:
    first = texts(owner, "A")
    gone = first.id
    service.delete_survey(first)
    assert texts(owner, "B").id != gone


# -- legacy replies ------------------------------------------------------------------------


def legacy_survey(owner: User, **survey: Any) -> Survey:
    return service.create_survey(
        owner,
        name="Legacy",
        questions=[
            service.legacy_question("Radio", "Colour?", ["red", "blue"]),
            service.legacy_question("numeric", "How many?", None),
            service.legacy_question("whatever", "Anything?", {"kept": "as is"}),
        ],
        **survey,
    )


def test_legacy_question_keeps_what_the_old_client_sent(owner: User) -> None:
    survey = legacy_survey(owner)
    stored = reload(survey.id).questions
    assert [(q.kind, q.legacy_type, q.options) for q in stored] == [
        ("single_choice", "Radio", ["red", "blue"]),
        ("number", "numeric", None),
        ("text", "whatever", {"kept": "as is"}),
    ]
    # A choice type whose replyContent is no list of options is a text question.
    for reply_content in ("red, blue", {"red": 1}, [], ["a", "a"], [1, 2]):
        assert service.legacy_question("single", "?", reply_content).kind == "text"


@pytest.mark.parametrize("reply_content", [["x" * 10_001], [math.nan], {"n": math.inf}], ids=repr)
def test_legacy_question_refuses_a_blank_type_and_unstorable_reply_content(
    reply_content: Any,
) -> None:
    with pytest.raises(InvalidInput) as caught:
        service.legacy_question("  ", "?", reply_content)
    assert [field for field, _ in caught.value.errors] == ["replyContent", "type"]
    assert count(Question) == 0


@pytest.mark.parametrize(
    ("index", "value", "number", "options"),
    [
        (0, "blue", None, [1]),
        (0, ["blue", "red", 3], None, [0, 1]),
        (0, "green", None, []),
        (1, "42", 42.0, []),
        (1, 7.5, 7.5, []),
        (1, "seven", None, []),
        (1, True, None, []),
        (2, {"any": ["json", 1, None, True]}, None, []),
        (2, [1, "two", {"three": 3}], None, []),
        (2, "=1+1", None, []),
        (2, 2**62, None, []),
    ],
)
def test_legacy_reply_keeps_the_json_value_as_sent(
    owner: User, index: int, value: Any, number: float | None, options: list[int]
) -> None:
    survey = legacy_survey(owner, is_active=True)
    question = survey.questions[index].id

    submission = service.legacy_reply(question, value)

    assert submission is not None
    session().expire_all()
    stored = session().scalars(sa.select(Answer)).one()
    assert (stored.question_id, stored.value, stored.number) == (question, value, number)
    assert session().scalars(sa.select(Choice.option).order_by(Choice.option)).all() == options
    assert session().scalars(sa.select(Submission.user_id)).all() == [None]
    assert reload(survey.id).submission_count == 1


def test_legacy_reply_to_an_unknown_question_is_none(owner: User) -> None:
    legacy_survey(owner, is_active=True)
    assert service.legacy_reply(424242, "hello") is None
    assert count(Submission) == 0


def test_legacy_reply_to_a_closed_survey_is_refused(owner: User) -> None:
    survey = legacy_survey(owner)
    with pytest.raises(SurveyClosed):
        service.legacy_reply(survey.questions[0].id, "red")
    past = legacy_survey(owner, is_active=True, due_at=dt.datetime(2000, 1, 1, tzinfo=dt.UTC))
    with pytest.raises(SurveyClosed):
        service.legacy_reply(past.questions[0].id, "red")
    assert count(Submission) == 0
    assert reload(survey.id).submission_count == 0


@pytest.mark.parametrize(
    "value", [["x" * 10_001], math.nan, [1, math.inf], {"n": -math.inf}], ids=repr
)
def test_legacy_reply_refuses_what_is_not_storable_json(owner: User, value: Any) -> None:
    survey = legacy_survey(owner, is_active=True)
    with pytest.raises(InvalidInput) as caught:
        service.legacy_reply(survey.questions[2].id, value)
    assert [field for field, _ in caught.value.errors] == ["reply"]
    assert count(Submission) == 0
    assert reload(survey.id).submission_count == 0
