"""The results page's charts, as numbers: where each bar goes and how big it is.

The charts are inline SVG sized by their attributes only (x, y, width, height, viewBox):
the pages' Content-Security-Policy allows no inline style, so nothing is left for CSS or
a script to compute. Pure: these functions take counts and give geometry, in the units
of the chart's viewBox (the SVG is scaled to the page's width).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from typing import Any, Final

__all__ = [
    "Bar",
    "BarChart",
    "Column",
    "Histogram",
    "bar_chart",
    "bin_label",
    "histogram",
    "number_text",
    "percent_text",
    "summary",
]

#: The viewBox's width of every chart.
WIDTH: Final = 360
#: Room left of a bar's end for its percentage ("100.0%").
PERCENT_ROOM: Final = 56
#: Bar charts: each row is a label line then a bar.
ROW: Final = 44
BAR_HEIGHT: Final = 16
LABEL_CHARS: Final = 44
#: Histograms: the columns' area, and room above (counts) and below (values).
PLOT_HEIGHT: Final = 150
TOP: Final = 18
BOTTOM: Final = 22


@dataclasses.dataclass(frozen=True)
class Bar:
    """One option's bar: its label above it, its percentage after the track."""

    label: str
    count: int
    percent: float
    label_y: float
    bar_y: float
    width: float
    #: The percentage as written at the end of the track (``66.7%``), and its baseline.
    text: str
    text_y: float


@dataclasses.dataclass(frozen=True)
class BarChart:
    """A horizontal bar chart: one bar per option, ``track`` long at 100%."""

    width: int
    height: int
    track: int
    bar_height: int
    bars: tuple[Bar, ...]


@dataclasses.dataclass(frozen=True)
class Column:
    """One value's (or range's) column, its count above it and its value below."""

    label: str
    count: int
    percent: float
    x: float
    y: float
    width: float
    height: float
    middle: float


@dataclasses.dataclass(frozen=True)
class Histogram:
    """Columns standing on the line at ``baseline``, the tallest ``PLOT_HEIGHT`` high."""

    width: int
    height: int
    baseline: int
    label_y: int
    columns: tuple[Column, ...]


def number_text(value: float | int | None) -> str:
    """A number as the pages write it: ``3``, not ``3.0``; six significant digits at most
    past the point (``3.14159``); huge ones in exponent form."""
    if value is None:
        return ""
    if isinstance(value, int):
        return str(value)
    if not math.isfinite(value):
        return str(value)
    if value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return f"{value:.6g}"


def percent_text(percent: float) -> str:
    """A percentage with one decimal, as the results give it: ``66.7%``, ``50.0%``."""
    return f"{percent:.1f}%"


def _short(label: str) -> str:
    return label if len(label) <= LABEL_CHARS else label[: LABEL_CHARS - 1].rstrip() + "…"


def _round(value: float) -> float:
    return round(value, 2)


def bar_chart(rows: Sequence[tuple[str, int, float]]) -> BarChart:
    """Bars for ``(label, count, percent)`` rows: each as long as its percentage of the
    track (the labels are cut to LABEL_CHARS: the table beside has them whole)."""
    track = WIDTH - PERCENT_ROOM
    bars = []
    for index, (label, count, percent) in enumerate(rows):
        top = index * ROW
        width = _round(track * max(0.0, min(percent, 100.0)) / 100.0)
        bars.append(
            Bar(
                label=_short(label),
                count=count,
                percent=percent,
                label_y=top + 14,
                bar_y=top + 20,
                width=width,
                text=percent_text(percent),
                text_y=top + 20 + BAR_HEIGHT - 3,
            )
        )
    return BarChart(
        width=WIDTH,
        height=max(ROW, len(rows) * ROW),
        track=track,
        bar_height=BAR_HEIGHT,
        bars=tuple(bars),
    )


def bin_label(entry: Mapping[str, Any]) -> str:
    """A histogram bin's name: its value, or its range ``from – to``."""
    if "value" in entry:
        return number_text(entry["value"])
    return f"{number_text(entry['from'])} – {number_text(entry['to'])}"


def _axis_label(entry: Mapping[str, Any]) -> str:
    # Under a narrow column: the value, or the start of the range, in few characters.
    value = entry["value"] if "value" in entry else entry["from"]
    text = number_text(value)
    return text if len(text) <= 6 else f"{value:.2g}"


def histogram(bins: Sequence[Mapping[str, Any]]) -> Histogram:
    """Columns for the bins of the results (``value`` or ``from``/``to``, ``count``,
    ``percent``): each as tall as its count against the largest count."""
    slot = WIDTH / max(1, len(bins))
    gap = min(8.0, slot * 0.2)
    tallest = max((int(b["count"]) for b in bins), default=0) or 1
    baseline = TOP + PLOT_HEIGHT
    columns = []
    for index, entry in enumerate(bins):
        count = int(entry["count"])
        height = _round(PLOT_HEIGHT * count / tallest)
        x = _round(index * slot + gap / 2)
        columns.append(
            Column(
                label=_axis_label(entry),
                count=count,
                percent=float(entry["percent"]),
                x=x,
                y=_round(baseline - height),
                width=_round(slot - gap),
                height=height,
                middle=_round(index * slot + slot / 2),
            )
        )
    return Histogram(
        width=WIDTH,
        height=baseline + BOTTOM,
        baseline=baseline,
        label_y=baseline + 16,
        columns=tuple(columns),
    )


def summary(rows: Sequence[tuple[str, int, float]]) -> str:
    """What a chart shows, for its aria-label: ``Red: 2 (66.7%); Blue: 1 (33.3%)``."""
    if not rows:
        return "no answers"
    return "; ".join(f"{label}: {count} ({percent_text(p)})" for label, count, p in rows)
