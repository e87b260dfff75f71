"""A survey's results, aggregated in SQL: a fixed number of queries whatever the number
of questions (never one per question), and the CSV export of every submission.

- per question: how many answered, and for numbers the minimum and maximum (one
  ``GROUP BY question``);
- per option of the choice questions: how many chose it (one ``GROUP BY`` over
  ``surveys_choice``);
- per value of the number and rating questions: how many gave it (one ``GROUP BY``),
  binned in Python when a number question has many distinct values, and the mean made
  from these counts (a sum in SQL would overflow: PostgreSQL refuses 1e308 + 1e308);
- the newest answers of the text questions, at most ``text_limit`` each (one query with
  a window function).
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections import defaultdict
from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa

from flask_plugboard.db import session

from ._kinds import CHOICE_KINDS
from ._models import Answer, Choice, Question, Submission, Survey

__all__ = ["csv_rows", "legacy_stats", "survey_results"]

#: A number question with more distinct values than this is shown in this many bins.
HISTOGRAM_BINS = 10


def _percent(part: int, whole: int) -> float:
    return round(100.0 * part / whole, 1) if whole else 0.0


def survey_results(survey: Survey, text_limit: int = 50) -> dict[str, Any]:
    """The results of ``survey``: submissions, and per question its aggregates."""
    db = session()
    in_survey = sa.select(Question.id).where(Question.survey_id == survey.id)
    per_question = {
        row.question_id: row
        for row in db.execute(
            sa.select(
                Answer.question_id,
                sa.func.count().label("answered"),
                sa.func.min(Answer.number).label("low"),
                sa.func.max(Answer.number).label("high"),
            )
            .where(Answer.question_id.in_(in_survey))
            .group_by(Answer.question_id)
        )
    }
    chosen: dict[int, dict[int, int]] = defaultdict(dict)
    for question_id, option, count in db.execute(
        sa.select(Choice.question_id, Choice.option, sa.func.count())
        .where(Choice.question_id.in_(in_survey))
        .group_by(Choice.question_id, Choice.option)
    ):
        chosen[question_id][option] = count
    numeric = [q.id for q in survey.questions if q.kind in ("number", "rating")]
    values: dict[int, list[tuple[float, int]]] = defaultdict(list)
    if numeric:
        for question_id, number, count in db.execute(
            sa.select(Answer.question_id, Answer.number, sa.func.count())
            .where(Answer.question_id.in_(numeric), Answer.number.is_not(None))
            .group_by(Answer.question_id, Answer.number)
            .order_by(Answer.question_id, Answer.number)
        ):
            values[question_id].append((float(number or 0), count))
    texts: dict[int, list[Any]] = defaultdict(list)
    textual = [q.id for q in survey.questions if q.kind == "text"]
    if textual:
        ranked = (
            sa.select(
                Answer.question_id,
                Answer.value,
                sa.func.row_number()
                .over(partition_by=Answer.question_id, order_by=Answer.id.desc())
                .label("rank"),
            )
            .where(Answer.question_id.in_(textual))
            .subquery()
        )
        for question_id, value in db.execute(
            sa.select(ranked.c.question_id, ranked.c.value)
            .where(ranked.c.rank <= text_limit)
            .order_by(ranked.c.question_id, ranked.c.rank)
        ):
            texts[question_id].append(value)
    submissions = survey.submission_count
    questions = []
    for question in survey.questions:
        row = per_question.get(question.id)
        answered = row.answered if row is not None else 0
        entry: dict[str, Any] = {
            "id": question.id,
            "kind": question.kind,
            "content": question.content,
            "answered": answered,
            "answered_percent": _percent(answered, submissions),
        }
        if question.kind in CHOICE_KINDS:
            counts = chosen.get(question.id, {})
            labels = question.options if isinstance(question.options, list) else []
            entry["options"] = [
                {
                    "label": label,
                    "count": counts.get(index, 0),
                    "percent": _percent(counts.get(index, 0), answered),
                }
                for index, label in enumerate(labels)
            ]
        elif question.kind in ("number", "rating"):
            given = row is not None and bool(values.get(question.id))
            entry["summary"] = {
                "count": sum(count for _, count in values.get(question.id, [])),
                "mean": _mean(values[question.id]) if given else None,
                "min": _plain(row.low) if row is not None and given else None,
                "max": _plain(row.high) if row is not None and given else None,
            }
            entry["histogram"] = _histogram(question, values.get(question.id, []))
        else:
            entry["answers"] = texts.get(question.id, [])
        questions.append(entry)
    return {"survey_id": survey.id, "submissions": submissions, "questions": questions}


def _mean(values: list[tuple[float, int]]) -> float:
    """The mean of (value, count) pairs, rounded; never past the largest value (each term
    is a value times a fraction), so never an overflow."""
    total = sum(count for _, count in values)
    return round(math.fsum(number * (count / total) for number, count in values), 3)


def _plain(number: float) -> float | int:
    return int(number) if float(number).is_integer() else number


def _histogram(question: Question, values: list[tuple[float, int]]) -> list[dict[str, Any]]:
    """Counts per value: every step of a rating, the values given of a number question,
    or HISTOGRAM_BINS equal bins when it has more distinct values than that."""
    total = sum(count for _, count in values)
    if question.kind == "rating":
        settings = question.settings or {}
        counts = {int(number): count for number, count in values}
        steps = range(int(settings.get("min", 1)), int(settings.get("max", 5)) + 1)
        return [
            {"value": s, "count": counts.get(s, 0), "percent": _percent(counts.get(s, 0), total)}
            for s in steps
        ]
    if len(values) <= HISTOGRAM_BINS:
        return [
            {"value": _plain(number), "count": count, "percent": _percent(count, total)}
            for number, count in values
        ]
    low, high = values[0][0], values[-1][0]
    # high - low may overflow (1e308 - -1e308): then in halves, which is exact.
    scale = 2.0 if math.isinf(high - low) else 1.0
    width = (high / scale - low / scale) / HISTOGRAM_BINS
    bins = [0] * HISTOGRAM_BINS
    for number, count in values:
        at = math.floor((number / scale - low / scale) / width)
        bins[min(HISTOGRAM_BINS - 1, at)] += count

    def edge(i: int) -> float | int:
        step = i * width  # at most half the span when in halves: added twice
        return _plain(round(low + step + step if scale == 2.0 else low + step, 6))

    return [
        {
            "from": edge(i),
            "to": edge(i + 1),
            "count": count,
            "percent": _percent(count, total),
        }
        for i, count in enumerate(bins)
    ]


def legacy_stats(survey: Survey) -> list[dict[str, Any]]:
    """``/getsurveystats``: per question its id, type, content, how many replies
    (``votes``) and the replies themselves (``answers``), oldest first."""
    db = session()
    replies: dict[int, list[Any]] = defaultdict(list)
    for question_id, value in db.execute(
        sa.select(Answer.question_id, Answer.value)
        .join(Question, Question.id == Answer.question_id)
        .where(Question.survey_id == survey.id)
        .order_by(Answer.id)
    ):
        replies[question_id].append(value)
    return [
        {
            "id": q.id,
            "type": q.legacy_type or q.kind,
            "votes": len(replies.get(q.id, [])),
            "content": q.content,
            "answers": replies.get(q.id, []),
        }
        for q in survey.questions
    ]


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: Any) -> str:
    """A value as a CSV cell; text that a spreadsheet would run as a formula is quoted
    with a leading apostrophe (CSV injection)."""
    if value is None:
        return ""
    if isinstance(value, list):
        text = "; ".join(str(v) for v in value)
    elif isinstance(value, str):
        text = value
    elif isinstance(value, bool | dict):
        return json.dumps(value)
    else:
        return str(value)  # a number: "-3" is no formula
    return "'" + text if text.startswith(_FORMULA_START) else text


def csv_rows(survey: Survey, batch: int = 500) -> Iterator[str]:
    """The CSV export, line by line: a header, then one row per submission (its id, when,
    and one column per question), read from the database in batches."""
    questions = list(survey.questions)
    out = io.StringIO()
    writer = csv.writer(out)

    def flush() -> str:
        text = out.getvalue()
        out.seek(0)
        out.truncate()
        return text

    writer.writerow(
        ["submission", "submitted_at", *(_cell(f"{q.content} [{q.id}]") for q in questions)]
    )
    yield flush()
    db = session()
    last = 0
    while True:
        page = db.execute(
            sa.select(Submission.id, Submission.created_at)
            .where(Submission.survey_id == survey.id, Submission.id > last)
            .order_by(Submission.id)
            .limit(batch)
        ).all()
        if not page:
            return
        answers: dict[int, dict[int, Any]] = defaultdict(dict)
        for submission_id, question_id, value in db.execute(
            sa.select(Answer.submission_id, Answer.question_id, Answer.value).where(
                Answer.submission_id.in_([row.id for row in page])
            )
        ):
            answers[submission_id][question_id] = value
        for row in page:
            given = answers.get(row.id, {})
            writer.writerow(
                [row.id, row.created_at.isoformat(), *(_cell(given.get(q.id)) for q in questions)]
            )
        yield flush()
        last = page[-1].id
