"""The results page: per question a chart and a table of the same numbers (the table is
what screen readers and copy-paste get), and the link to the CSV of every submission.

The aggregates are :func:`._results.survey_results`' (the API's results): this module
only lays them out, with :mod:`._charts` for the geometry.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from typing import Any

from werkzeug.wrappers import Response as BaseResponse

from ._api_support import surveys_settings
from ._charts import (
    BarChart,
    Histogram,
    bar_chart,
    bin_label,
    histogram,
    number_text,
    percent_text,
    summary,
)
from ._kinds import CHOICE_KINDS
from ._owner_forms import KIND_LABELS
from ._owner_support import owners_survey
from ._page_support import render_page
from ._results import survey_results

__all__ = ["QuestionView", "question_view", "results"]

@dataclasses.dataclass(frozen=True)
class QuestionView:
    """One question's section of the results page."""

    id: int
    kind: str
    kind_label: str
    content: str
    answered: int
    #: The table: (option or value, count, percentage as text).
    rows: tuple[tuple[str, int, str], ...] = ()
    bars: BarChart | None = None
    columns: Histogram | None = None
    #: Mean, smallest, largest, as (name, value) pairs.
    stats: tuple[tuple[str, str], ...] = ()
    answers: tuple[str, ...] = ()
    #: What the chart shows, in words (its aria-label).
    description: str = ""


def _answer_text(value: Any) -> str:
    # A legacy client may have sent any JSON as a text answer.
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def question_view(entry: Mapping[str, Any]) -> QuestionView:
    """Lay out one question of :func:`survey_results`."""
    kind = str(entry["kind"])
    base: dict[str, Any] = {
        "id": entry["id"],
        "kind": kind,
        "kind_label": KIND_LABELS.get(kind, kind),
        "content": entry["content"],
        "answered": entry["answered"],
    }
    if kind in CHOICE_KINDS:
        counts = [(o["label"], int(o["count"]), float(o["percent"])) for o in entry["options"]]
        return QuestionView(
            **base,
            rows=tuple((label, count, percent_text(p)) for label, count, p in counts),
            bars=bar_chart(counts),
            description=f"Bar chart of the answers to “{entry['content']}”: {summary(counts)}",
        )
    if kind in ("number", "rating"):
        bins = entry.get("histogram") or []
        counts = [(bin_label(b), int(b["count"]), float(b["percent"])) for b in bins]
        stats = entry.get("summary") or {}
        return QuestionView(
            **base,
            rows=tuple((label, count, percent_text(p)) for label, count, p in counts),
            columns=histogram(bins),
            stats=tuple(
                (name, number_text(stats.get(key)) or "–")
                for name, key in (("Mean", "mean"), ("Smallest", "min"), ("Largest", "max"))
            ),
            description=f"Histogram of the answers to “{entry['content']}”: {summary(counts)}",
        )
    answers = tuple(_answer_text(value) for value in entry.get("answers") or [])
    return QuestionView(**base, answers=answers)


def results(survey_id: int) -> BaseResponse:
    """A survey's results: its submissions, and per question a chart and a table."""
    survey = owners_survey(survey_id)
    limit = surveys_settings().text_results  # as the API's results
    found = survey_results(survey, text_limit=limit)
    return render_page(
        "surveys/results.html",
        survey=survey,
        submissions=found["submissions"],
        questions=[question_view(entry) for entry in found["questions"]],
        text_limit=limit,
    )
