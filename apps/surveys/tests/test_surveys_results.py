"""A survey's results on SQLite and the real PostgreSQL: counts and percents per question
and option, histograms, summaries and the newest text answers, in a fixed number of
queries; the legacy statistics; the CSV export, safe to open in a spreadsheet."""

from __future__ import annotations

import csv
import datetime as dt
import io
import itertools
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from flask_plugboard.db import session
from flask_plugboard.plugins.auth import User, register_user
from plugboard_surveys import QuestionDraft, Survey
from plugboard_surveys import _service as service
from plugboard_surveys._results import csv_rows, legacy_stats, survey_results
from surveys_support import PASSWORD


@pytest.fixture(autouse=True)
def app_context(app: Flask) -> Iterator[None]:
    with app.app_context():
        yield


@pytest.fixture
def owner() -> User:
    return register_user("owner", PASSWORD, email="owner@example.org")


def reload(survey_id: int) -> Survey:
    """The survey as a request would read it (nothing kept from the session)."""
    session().expire_all()
    return service.get_survey(survey_id)


def make_survey(owner: User, *questions: QuestionDraft) -> Survey:
    return service.create_survey(owner, name="Results", is_active=True, questions=questions)


def submit_all(survey: Survey, *answers: list[Any]) -> None:
    """One submission per list, its values in the order of the questions."""
    for values in answers:
        by_id = {q.id: v for q, v in zip(survey.questions, values, strict=True) if v is not None}
        service.submit(reload(survey.id), by_id)


def one_of_each(owner: User) -> Survey:
    return make_survey(
        owner,
        QuestionDraft("single_choice", "Colour?", options=["Red", "Green", "Blue"]),
        QuestionDraft("multiple_choice", "Pets?", options=["cat", "dog", "fish"]),
        QuestionDraft("text", "Why?"),
        QuestionDraft("number", "Height?"),
        QuestionDraft("rating", "Stars?"),
    )


# -- survey_results --------------------------------------------------------------------


def test_survey_results_counts_each_kind(owner: User) -> None:
    survey = one_of_each(owner)
    submit_all(
        survey,
        ["Red", ["dog", "cat"], "first", 1.5, 5],
        ["Red", ["dog"], "second", 2, 4],
        ["Green", None, None, 1.5, 5],
        [None, None, None, None, None],  # submitted blank: counts, answers nothing
    )

    results = survey_results(reload(survey.id))

    single, multiple, text, number, rating = survey.questions
    assert results["survey_id"] == survey.id
    assert results["submissions"] == 4
    assert results["questions"] == [
        {
            "id": single.id,
            "kind": "single_choice",
            "content": "Colour?",
            "answered": 3,
            "answered_percent": 75.0,
            "options": [
                {"label": "Red", "count": 2, "percent": 66.7},
                {"label": "Green", "count": 1, "percent": 33.3},
                {"label": "Blue", "count": 0, "percent": 0.0},
            ],
        },
        {
            "id": multiple.id,
            "kind": "multiple_choice",
            "content": "Pets?",
            "answered": 2,
            "answered_percent": 50.0,
            "options": [
                {"label": "cat", "count": 1, "percent": 50.0},
                {"label": "dog", "count": 2, "percent": 100.0},
                {"label": "fish", "count": 0, "percent": 0.0},
            ],
        },
        {
            "id": text.id,
            "kind": "text",
            "content": "Why?",
            "answered": 2,
            "answered_percent": 50.0,
            "answers": ["second", "first"],
        },
        {
            "id": number.id,
            "kind": "number",
            "content": "Height?",
            "answered": 3,
            "answered_percent": 75.0,
            "summary": {"count": 3, "mean": 1.667, "min": 1.5, "max": 2},
            "histogram": [
                {"value": 1.5, "count": 2, "percent": 66.7},
                {"value": 2, "count": 1, "percent": 33.3},
            ],
        },
        {
            "id": rating.id,
            "kind": "rating",
            "content": "Stars?",
            "answered": 3,
            "answered_percent": 75.0,
            "summary": {"count": 3, "mean": 4.667, "min": 4, "max": 5},
            "histogram": [
                {"value": 1, "count": 0, "percent": 0.0},
                {"value": 2, "count": 0, "percent": 0.0},
                {"value": 3, "count": 0, "percent": 0.0},
                {"value": 4, "count": 1, "percent": 33.3},
                {"value": 5, "count": 2, "percent": 66.7},
            ],
        },
    ]


def test_survey_results_of_a_survey_nobody_answered(owner: User) -> None:
    survey = one_of_each(owner)
    results = survey_results(reload(survey.id))
    assert results["submissions"] == 0
    single, multiple, text, number, rating = results["questions"]
    assert [q["answered"] for q in results["questions"]] == [0] * 5
    assert [q["answered_percent"] for q in results["questions"]] == [0.0] * 5
    assert [o["percent"] for o in single["options"] + multiple["options"]] == [0.0] * 6
    assert text["answers"] == []
    assert number["summary"] == {"count": 0, "mean": None, "min": None, "max": None}
    assert number["histogram"] == []
    assert rating["summary"] == {"count": 0, "mean": None, "min": None, "max": None}
    assert [(h["value"], h["count"], h["percent"]) for h in rating["histogram"]] == [
        (step, 0, 0.0) for step in range(1, 6)
    ]


def test_a_rating_histogram_covers_every_step_of_its_scale(owner: User) -> None:
    survey = make_survey(
        owner, QuestionDraft("rating", "From 0 to 10?", settings={"min": 0, "max": 10})
    )
    submit_all(survey, [0], [10], [10], [7])
    [rating] = survey_results(reload(survey.id))["questions"]
    assert [(h["value"], h["count"]) for h in rating["histogram"]] == [
        (0, 1),
        *((step, 0) for step in range(1, 7)),
        (7, 1),
        (8, 0),
        (9, 0),
        (10, 2),
    ]
    assert rating["summary"] == {"count": 4, "mean": 6.75, "min": 0, "max": 10}


def test_a_number_histogram_lists_up_to_ten_distinct_values_exactly(owner: User) -> None:
    survey = make_survey(owner, QuestionDraft("number", "How many?"))
    values = [-3, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8.5]  # ten distinct values
    submit_all(survey, *([v] for v in values))
    [number] = survey_results(reload(survey.id))["questions"]
    assert [(h["value"], h["count"]) for h in number["histogram"]] == [
        (-3, 1),
        (0, 2),
        *((v, 1) for v in range(1, 8)),
        (8.5, 1),
    ]
    assert number["histogram"][1]["percent"] == 18.2
    assert number["summary"] == {"count": 11, "mean": 3.045, "min": -3, "max": 8.5}


def test_a_number_histogram_bins_more_than_ten_distinct_values(owner: User) -> None:
    survey = make_survey(owner, QuestionDraft("number", "How far?"))
    values = [0, 0, 2.5, *range(10, 101, 10)]  # twelve distinct values, 0 to 100
    submit_all(survey, *([v] for v in values))
    [number] = survey_results(reload(survey.id))["questions"]
    assert number["histogram"] == [
        {"from": 0, "to": 10, "count": 3, "percent": 23.1},
        *({"from": low, "to": low + 10, "count": 1, "percent": 7.7} for low in range(10, 90, 10)),
        # The last bin holds its upper bound.
        {"from": 90, "to": 100, "count": 2, "percent": 15.4},
    ]
    assert sum(h["count"] for h in number["histogram"]) == len(values)
    assert number["summary"]["count"] == 13


def test_text_answers_are_the_newest_ones_up_to_text_limit(owner: User) -> None:
    survey = make_survey(owner, QuestionDraft("text", "First?"), QuestionDraft("text", "Second?"))
    submit_all(survey, *([f"a{n}", f"b{n}"] for n in range(5)), ["a5", None])
    results = survey_results(reload(survey.id), text_limit=3)
    assert [q["answers"] for q in results["questions"]] == [
        ["a5", "a4", "a3"],
        ["b4", "b3", "b2"],
    ]
    assert [q["answered"] for q in results["questions"]] == [6, 5]
    default = survey_results(reload(survey.id))
    assert default["questions"][1]["answers"] == ["b4", "b3", "b2", "b1", "b0"]


def test_survey_results_count_legacy_replies_that_fit(owner: User) -> None:
    survey = service.create_survey(
        owner,
        name="Legacy",
        is_active=True,
        questions=[
            service.legacy_question("radio", "Colour?", ["red", "blue"]),
            service.legacy_question("number", "How many?", None),
        ],
    )
    colour, many = (q.id for q in survey.questions)
    for question, reply in [(colour, "blue"), (colour, "green"), (many, "4"), (many, "lots")]:
        service.legacy_reply(question, reply)

    single, number = survey_results(reload(survey.id))["questions"]
    assert single["answered"] == 2
    assert [(o["label"], o["count"], o["percent"]) for o in single["options"]] == [
        ("red", 0, 0.0),
        ("blue", 1, 50.0),
    ]
    assert number["answered"] == 2
    assert number["summary"] == {"count": 1, "mean": 4.0, "min": 4, "max": 4}


def queries_of_results(app: Flask, survey: Survey) -> int:
    """How many SQL statements survey_results runs for ``survey`` (loaded beforehand)."""
    statements: list[str] = []

    def record(*args: Any) -> None:
        statements.append(args[2])

    engine = session().get_bind()
    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        survey_results(survey)
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)
    return len(statements)


def test_survey_results_runs_as_many_queries_whatever_the_number_of_questions(
    app: Flask, owner: User
) -> None:
    kinds = itertools.cycle(
        [
            QuestionDraft("single_choice", "Colour?", options=["Red", "Green"]),
            QuestionDraft("multiple_choice", "Pets?", options=["cat", "dog"]),
            QuestionDraft("text", "Why?"),
            QuestionDraft("number", "Height?"),
            QuestionDraft("rating", "Stars?"),
        ]
    )
    small = make_survey(owner, QuestionDraft("number", "Height?"), QuestionDraft("text", "Why?"))
    large = make_survey(owner, *itertools.islice(kinds, 20))
    sample = {"single_choice": "Red", "multiple_choice": ["dog"], "text": "t", "number": 1}
    for survey in (small, large):
        for _ in range(3):
            submit_all(survey, [sample.get(q.kind, 3) for q in survey.questions])

    queries = {}
    for survey in (small, large):
        loaded = reload(survey.id)
        queries[len(loaded.questions)] = queries_of_results(app, loaded)
        assert survey_results(loaded)["submissions"] == 3
    assert queries[2] == queries[20]
    assert queries[20] <= 4


# -- legacy_stats ----------------------------------------------------------------------


def test_legacy_stats_lists_each_question_with_its_replies(owner: User) -> None:
    survey = service.create_survey(
        owner,
        name="Legacy",
        is_active=True,
        questions=[
            service.legacy_question("Radio", "Colour?", ["red", "blue"]),
            service.legacy_question("whatever", "Anything?", {"kept": True}),
            QuestionDraft("rating", "Stars?"),
        ],
    )
    colour, anything, stars = (q.id for q in survey.questions)
    service.legacy_reply(colour, "blue")
    service.legacy_reply(anything, {"free": ["json", 1]})
    service.legacy_reply(colour, "not an option")
    service.submit(reload(survey.id), {stars: 4})

    assert legacy_stats(reload(survey.id)) == [
        {
            "id": colour,
            "type": "Radio",
            "votes": 2,
            "content": "Colour?",
            "answers": ["blue", "not an option"],
        },
        {
            "id": anything,
            "type": "whatever",
            "votes": 1,
            "content": "Anything?",
            "answers": [{"free": ["json", 1]}],
        },
        {"id": stars, "type": "rating", "votes": 1, "content": "Stars?", "answers": [4]},
    ]


def test_legacy_stats_of_a_survey_without_replies(owner: User) -> None:
    survey = make_survey(owner, QuestionDraft("text", "Why?"))
    assert legacy_stats(reload(survey.id)) == [
        {"id": survey.questions[0].id, "type": "text", "votes": 0, "content": "Why?", "answers": []}
    ]


# -- csv_rows ------------------------------------------------------------------------------


def read_csv(survey: Survey, batch: int = 500) -> list[list[str]]:
    return list(csv.reader(io.StringIO("".join(csv_rows(survey, batch=batch)))))


def test_csv_rows_have_a_header_and_one_row_per_submission(owner: User) -> None:
    survey = make_survey(
        owner,
        QuestionDraft("single_choice", "Colour?", options=["Red", "Green"]),
        QuestionDraft("multiple_choice", "Pets, mostly?", options=["cat", "dog", "fish"]),
        QuestionDraft("text", "Why?"),
        QuestionDraft("number", "Balance?"),
    )
    submit_all(
        survey,
        ["Red", ["fish", "cat"], 'He said "no", twice\non two lines', -3],
        [None, None, None, 2.5],
        ["Green", ["dog"], None, None],
    )

    rows = read_csv(reload(survey.id))

    colour, pets, why, balance = (q.id for q in survey.questions)
    assert rows[0] == [
        "submission",
        "submitted_at",
        f"Colour? [{colour}]",
        f"Pets, mostly? [{pets}]",
        f"Why? [{why}]",
        f"Balance? [{balance}]",
    ]
    assert [row[2:] for row in rows[1:]] == [
        ["Red", "cat; fish", 'He said "no", twice\non two lines', "-3"],
        ["", "", "", "2.5"],
        ["Green", "dog", "", ""],
    ]
    ids = [int(row[0]) for row in rows[1:]]
    assert ids == sorted(ids) and len(set(ids)) == 3
    for row in rows[1:]:
        when = dt.datetime.fromisoformat(row[1])
        assert when.tzinfo is not None
        assert abs(dt.datetime.now(dt.UTC) - when) < dt.timedelta(minutes=5)


@pytest.mark.parametrize(
    ("text", "cell"),
    [
        (
            '=HYPERLINK("http://evil.example","click")',
            '\'=HYPERLINK("http://evil.example","click")',
        ),
        ("+1", "'+1"),
        ("-2", "'-2"),
        ("@x", "'@x"),
        ("\tindented", "'\tindented"),
        ("a=1", "a=1"),
        ("plain", "plain"),
    ],
)
def test_csv_rows_quote_formula_like_text_but_not_numbers(
    owner: User, text: str, cell: str
) -> None:
    survey = make_survey(
        owner,
        QuestionDraft("text", "Say?"),
        QuestionDraft("number", "Balance?"),
        QuestionDraft("multiple_choice", "Which?", options=["=cmd", "ok"]),
    )
    submit_all(survey, [text, -2, ["=cmd", "ok"]])
    assert read_csv(reload(survey.id))[1][2:] == [cell, "-2", "'=cmd; ok"]


def test_csv_rows_quote_a_formula_like_question(owner: User) -> None:
    survey = make_survey(owner, QuestionDraft("text", "=SUM(A1:A9)"))
    assert read_csv(reload(survey.id)) == [
        ["submission", "submitted_at", f"'=SUM(A1:A9) [{survey.questions[0].id}]"]
    ]


def test_csv_rows_write_legacy_json_values_readably(owner: User) -> None:
    survey = service.create_survey(
        owner,
        name="Legacy",
        is_active=True,
        questions=[service.legacy_question("anything", "Reply?", None)],
    )
    question = survey.questions[0].id
    for reply in [{"a": 1}, True, [1, "two"], 7, "-7", None]:
        service.legacy_reply(question, reply)
    assert [row[2] for row in read_csv(reload(survey.id))[1:]] == [
        '{"a": 1}',
        "true",
        "1; two",
        "7",
        "'-7",
        "",
    ]


@pytest.mark.parametrize("batch", [1, 2, 5, 500])
def test_csv_rows_read_in_batches_give_each_submission_once(owner: User, batch: int) -> None:
    survey = make_survey(owner, QuestionDraft("number", "N?"))
    submit_all(survey, *([n] for n in range(5)))
    loaded = reload(survey.id)

    chunks = list(csv_rows(loaded, batch=batch))

    rows = read_csv(loaded, batch=batch)
    assert [row[2] for row in rows[1:]] == ["0", "1", "2", "3", "4"]
    assert len({row[0] for row in rows[1:]}) == 5
    assert rows == read_csv(loaded)
    assert len(chunks) == 1 + -(-5 // batch)  # the header, then one chunk per batch


def test_csv_rows_of_a_survey_without_submissions_is_its_header(owner: User) -> None:
    survey = make_survey(owner, QuestionDraft("text", "Why?"))
    assert len(read_csv(reload(survey.id))) == 1
