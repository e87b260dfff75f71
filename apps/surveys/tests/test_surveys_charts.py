"""The results' chart geometry: pure functions, no app."""

from __future__ import annotations

from plugboard_surveys._charts import (
    BAR_HEIGHT,
    LABEL_CHARS,
    PLOT_HEIGHT,
    ROW,
    bar_chart,
    bin_label,
    histogram,
    number_text,
    percent_text,
    summary,
)


def test_bars_are_as_long_as_their_percentage_of_the_track() -> None:
    chart = bar_chart([("Red", 2, 66.7), ("Blue", 1, 33.3), ("Green", 0, 0.0)])
    assert [bar.width for bar in chart.bars] == [
        round(chart.track * 0.667, 2),
        round(chart.track * 0.333, 2),
        0.0,
    ]
    assert [bar.text for bar in chart.bars] == ["66.7%", "33.3%", "0.0%"]


def test_bars_are_stacked_one_row_each_inside_the_chart() -> None:
    chart = bar_chart([("a", 1, 50.0), ("b", 1, 50.0)])
    first, second = chart.bars
    assert second.bar_y - first.bar_y == ROW
    assert chart.height == 2 * ROW
    assert all(bar.bar_y + BAR_HEIGHT <= chart.height for bar in chart.bars)
    assert all(bar.width <= chart.track < chart.width for bar in chart.bars)


def test_a_chart_without_options_still_has_a_size() -> None:
    chart = bar_chart([])
    assert chart.bars == ()
    assert chart.height > 0


def test_long_labels_are_cut_in_the_chart_only() -> None:
    label = "word " * 30
    (bar,) = bar_chart([(label, 3, 100.0)]).bars
    assert len(bar.label) == LABEL_CHARS
    assert bar.label.endswith("…")
    assert bar.count == 3


def test_columns_stand_on_the_baseline_the_tallest_full_height() -> None:
    bins = [
        {"value": 1, "count": 0, "percent": 0.0},
        {"value": 2, "count": 2, "percent": 40.0},
        {"value": 3, "count": 3, "percent": 60.0},
    ]
    chart = histogram(bins)
    heights = [column.height for column in chart.columns]
    assert heights == [0.0, round(PLOT_HEIGHT * 2 / 3, 2), PLOT_HEIGHT]
    for column in chart.columns:
        assert column.y + column.height == chart.baseline
        assert 0 <= column.x and column.x + column.width <= chart.width
    xs = [column.x for column in chart.columns]
    assert xs == sorted(xs)
    assert [column.label for column in chart.columns] == ["1", "2", "3"]


def test_a_histogram_without_answers_has_flat_columns() -> None:
    chart = histogram([{"value": 1, "count": 0, "percent": 0.0}])
    assert chart.columns[0].height == 0


def test_ranges_are_named_by_both_ends() -> None:
    assert bin_label({"from": 0.5, "to": 10, "count": 1, "percent": 100.0}) == "0.5 – 10"
    assert bin_label({"value": 4.0, "count": 1, "percent": 100.0}) == "4"
    (column,) = histogram([{"from": 123456.5, "to": 200000, "count": 1, "percent": 100.0}]).columns
    assert len(column.label) <= 7  # under a narrow column


def test_numbers_and_percentages_read_as_people_write_them() -> None:
    assert number_text(3.0) == "3"
    assert number_text(7) == "7"
    assert number_text(3.14159265) == "3.14159"
    assert number_text(1e308) == "1e+308"
    assert number_text(None) == ""
    assert percent_text(66.7) == "66.7%"
    assert percent_text(50) == "50.0%"


def test_the_summary_says_every_count_and_percentage() -> None:
    text = summary([("Red", 2, 66.7), ("Blue", 1, 33.3)])
    assert text == "Red: 2 (66.7%); Blue: 1 (33.3%)"
    assert summary([]) == "no answers"
