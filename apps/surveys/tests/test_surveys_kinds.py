"""Question kinds, without an app: what each kind may be set up with (and the field a
refusal names), which answers it takes and how they are stored, what a legacy reply
counts as, and the kind each legacy type name is."""

from __future__ import annotations

import math
from typing import Any

import pytest

from plugboard_surveys._kinds import (
    KINDS,
    LEGACY_KINDS,
    Checked,
    InvalidAnswer,
    InvalidQuestion,
    check_answer,
    check_question,
    interpret,
    legacy_kind,
)

HUGE = 10**400  # a whole number JSON allows and no float holds


def answer(
    kind: str,
    value: Any,
    options: list[str] | None = None,
    settings: dict[str, Any] | None = None,
    required: bool = False,
) -> Checked | None:
    """``value`` checked as an answer to a question set up (and checked) as given."""
    labels, stored = check_question(kind, options, settings)
    return check_answer(kind, labels, stored, required, value)


# -- question set-up -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "options", "settings", "expected"),
    [
        ("single_choice", [" Red ", "Green"], None, (["Red", "Green"], {})),
        ("single_choice", [f"o{i}" for i in range(50)], {}, ([f"o{i}" for i in range(50)], {})),
        ("multiple_choice", ["a", "b", "c"], None, (["a", "b", "c"], {})),
        (
            "multiple_choice",
            ["a", "b", "c"],
            {"min_choices": 1, "max_choices": 2.0},
            (["a", "b", "c"], {"min_choices": 1, "max_choices": 2}),
        ),
        ("text", None, None, (None, {"max_length": 2000})),
        ("text", [], {"max_length": 10}, (None, {"max_length": 10})),
        ("text", None, {"max_length": 10_000}, (None, {"max_length": 10_000})),
        ("number", None, None, (None, {"integer": False})),
        (
            "number",
            None,
            {"min": -1.5, "max": 2.5},
            (None, {"integer": False, "min": -1.5, "max": 2.5}),
        ),
        (
            "number",
            None,
            {"integer": True, "min": 0.0, "max": 10},
            (None, {"integer": True, "min": 0, "max": 10}),
        ),
        ("number", None, {"min": 3, "max": 3}, (None, {"integer": False, "min": 3, "max": 3})),
        ("rating", None, None, (None, {"min": 1, "max": 5})),
        ("rating", None, {"min": 0, "max": 10}, (None, {"min": 0, "max": 10})),
        ("rating", None, {"min": -2, "max": 2.0}, (None, {"min": -2, "max": 2})),
        ("rating", None, {"max": 2}, (None, {"min": 1, "max": 2})),
    ],
)
def test_check_question_accepts_and_normalises(
    kind: str, options: Any, settings: Any, expected: tuple[Any, dict[str, Any]]
) -> None:
    labels, stored = check_question(kind, options, settings)
    assert (labels, stored) == expected
    # Whole-number settings are stored as whole numbers, not 2.0.
    for name in ("min_choices", "max_choices", "max_length"):
        if name in stored:
            assert type(stored[name]) is int
    if stored.get("integer") or kind == "rating":
        assert all(type(stored[name]) is int for name in ("min", "max") if name in stored)


@pytest.mark.parametrize(
    ("kind", "options", "settings", "field", "says"),
    [
        ("essay", None, None, "kind", "'essay' is not one of single_choice"),
        ("", None, None, "kind", "is not one of"),
        ("Single_Choice", ["a"], None, "kind", "is not one of"),
        (None, None, None, "kind", "is not one of"),
        ("single_choice", None, None, "options", "needs its options"),
        ("multiple_choice", [], None, "options", "needs its options"),
        ("single_choice", "abc", None, "options", "list"),
        ("single_choice", {"a": 1}, None, "options", "list"),
        ("multiple_choice", [f"o{i}" for i in range(51)], None, "options", "at most 50"),
        ("single_choice", ["a", "  "], None, "options.1", "non-blank string"),
        ("single_choice", ["a", 3], None, "options.1", "non-blank string"),
        ("single_choice", [None], None, "options.0", "non-blank string"),
        ("single_choice", ["x" * 201], None, "options.0", "at most 200 characters"),
        ("multiple_choice", ["a", "b", " a "], None, "options.2", "'a' is listed twice"),
        ("text", ["a"], None, "options", "takes no options"),
        ("number", ["1"], None, "options", "takes no options"),
        ("rating", ["1", "2"], None, "options", "takes no options"),
        ("single_choice", ["a"], {"max_choices": 1}, "settings.max_choices", "its settings: none"),
        ("text", None, {"max_lenght": 5}, "settings.max_lenght", "its settings: max_length"),
        ("rating", None, {"integer": True}, "settings.integer", "no setting 'integer'"),
        ("text", None, "max_length", "settings", "object"),
        ("number", None, ["min", "max"], "settings", "object"),
        ("multiple_choice", ["a", "b"], {"min_choices": 3}, "settings.min_choices", "0 to"),
        ("multiple_choice", ["a", "b"], {"min_choices": -1}, "settings.min_choices", "0 to"),
        ("multiple_choice", ["a", "b"], {"max_choices": 0}, "settings.max_choices", "1 to"),
        ("multiple_choice", ["a", "b"], {"max_choices": 3}, "settings.max_choices", "1 to"),
        (
            "multiple_choice",
            ["a", "b", "c"],
            {"min_choices": 3, "max_choices": 2},
            "settings.min_choices",
            "above max_choices",
        ),
        ("multiple_choice", ["a", "b"], {"min_choices": 1.5}, "settings.min_choices", "whole"),
        ("multiple_choice", ["a", "b"], {"max_choices": "2"}, "settings.max_choices", "a number"),
        ("multiple_choice", ["a", "b"], {"max_choices": True}, "settings.max_choices", "a number"),
        ("text", None, {"max_length": 0}, "settings.max_length", "1 to 10000"),
        ("text", None, {"max_length": 10_001}, "settings.max_length", "1 to 10000"),
        ("text", None, {"max_length": 2.5}, "settings.max_length", "whole number"),
        ("number", None, {"integer": "yes"}, "settings.integer", "true or false"),
        ("number", None, {"integer": 1}, "settings.integer", "true or false"),
        ("number", None, {"min": 5, "max": 1}, "settings.min", "above settings.max"),
        ("number", None, {"min": math.nan}, "settings.min", "must be a number"),
        ("number", None, {"max": math.inf}, "settings.max", "must be a number"),
        ("number", None, {"max": -math.inf}, "settings.max", "must be a number"),
        pytest.param("number", None, {"max": HUGE}, "settings.max", "a number", id="huge-max"),
        ("number", None, {"min": "0"}, "settings.min", "must be a number"),
        ("number", None, {"integer": True, "min": 0.5}, "settings.min", "whole number"),
        ("rating", None, {"min": 1, "max": 1}, "settings.max", "(not 1 to 1)"),
        ("rating", None, {"min": 5, "max": 1}, "settings.max", "(not 5 to 1)"),
        ("rating", None, {"min": 0, "max": 11}, "settings.max", "2 to 11 steps"),
        ("rating", None, {"min": 7}, "settings.max", "(not 7 to 5)"),
        ("rating", None, {"max": 3.5}, "settings.max", "whole number"),
        ("rating", None, {"min": False}, "settings.min", "must be a number"),
    ],
)
def test_check_question_refuses_naming_the_field(
    kind: Any, options: Any, settings: Any, field: str, says: str
) -> None:
    with pytest.raises(InvalidQuestion) as caught:
        check_question(kind, options, settings)
    assert caught.value.field == field
    assert says in caught.value.message
    assert str(caught.value) == caught.value.message


# -- answers -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "options", "settings", "value", "expected"),
    [
        ("single_choice", ["Red", "Green"], None, "Green", Checked("Green", choices=(1,))),
        ("single_choice", ["Red", "Green"], None, "  Red ", Checked("Red", choices=(0,))),
        ("single_choice", [" Red ", "Green"], None, "Red", Checked("Red", choices=(0,))),
        # Stored in the options' order, whatever the order chosen.
        ("multiple_choice", ["a", "b", "c"], None, ["c", "a"], Checked(["a", "c"], choices=(0, 2))),
        ("multiple_choice", ["a", "b", "c"], None, [" b "], Checked(["b"], choices=(1,))),
        (
            "multiple_choice",
            ["a", "b", "c"],
            None,
            ["b", "c", "a"],
            Checked(["a", "b", "c"], choices=(0, 1, 2)),
        ),
        (
            "multiple_choice",
            ["a", "b", "c"],
            {"min_choices": 2, "max_choices": 2},
            ["b", "a"],
            Checked(["a", "b"], choices=(0, 1)),
        ),
        ("text", None, None, "hello", Checked("hello")),
        # Free text is kept as typed, spaces included.
        ("text", None, None, "  two  words ", Checked("  two  words ")),
        ("text", None, None, "x" * 2000, Checked("x" * 2000)),
        ("text", None, {"max_length": 5}, "12345", Checked("12345")),
        ("number", None, None, 3, Checked(3, number=3.0)),
        ("number", None, None, 0, Checked(0, number=0.0)),
        ("number", None, None, -2.5, Checked(-2.5, number=-2.5)),
        ("number", None, None, 10**20, Checked(10**20, number=1e20)),
        ("number", None, {"integer": True}, 4.0, Checked(4, number=4.0)),
        ("number", None, {"min": 0, "max": 10}, 0, Checked(0, number=0.0)),
        ("number", None, {"min": 0, "max": 10}, 10.0, Checked(10.0, number=10.0)),
        ("rating", None, None, 1, Checked(1, number=1.0)),
        ("rating", None, None, 5, Checked(5, number=5.0)),
        ("rating", None, None, 3.0, Checked(3, number=3.0)),
        ("rating", None, {"min": 0, "max": 10}, 0, Checked(0, number=0.0)),
        ("rating", None, {"min": -2, "max": 2}, -2, Checked(-2, number=-2.0)),
    ],
)
def test_check_answer_takes_and_normalises(
    kind: str, options: Any, settings: Any, value: Any, expected: Checked
) -> None:
    for required in (False, True):
        got = answer(kind, value, options, settings, required=required)
        assert got == expected
        assert got is not None and type(got.value) is type(expected.value)
        assert type(got.number) is type(expected.number)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("blank", [None, "", "   ", "\t\n", []])
def test_a_blank_answer_is_none_when_optional_and_refused_when_required(
    kind: str, blank: Any
) -> None:
    options = ["a", "b"] if kind.endswith("_choice") else None
    assert answer(kind, blank, options) is None
    with pytest.raises(InvalidAnswer, match="an answer is required"):
        answer(kind, blank, options, required=True)


@pytest.mark.parametrize(
    ("kind", "options", "settings", "value", "says"),
    [
        ("single_choice", ["Red", "Green"], None, "Blue", "choose one of 'Red', 'Green'"),
        ("single_choice", ["Red", "Green"], None, "red", "choose one of"),
        ("single_choice", ["Red", "Green"], None, ["Red"], "choose one of"),
        ("single_choice", ["Red", "Green"], None, 1, "choose one of"),
        ("single_choice", ["Red", "Green"], None, True, "choose one of"),
        ("multiple_choice", ["a", "b", "c"], None, "a", "give a list of options among 'a'"),
        ("multiple_choice", ["a", "b", "c"], None, ["a", 1], "give a list"),
        ("multiple_choice", ["a", "b", "c"], None, {"a": True}, "give a list"),
        ("multiple_choice", ["a", "b", "c"], None, ["a", "d"], "'d' is not an option"),
        ("multiple_choice", ["a", "b", "c"], None, ["a", "  "], "'' is not an option"),
        ("multiple_choice", ["a", "b", "c"], None, ["a", " a"], "an option is chosen twice"),
        (
            "multiple_choice",
            ["a", "b", "c"],
            {"max_choices": 2},
            ["a", "b", "c"],
            "to 2 options",
        ),
        ("multiple_choice", ["a", "b", "c"], {"min_choices": 2}, ["a"], "choose 2 to 3 options"),
        ("text", None, None, 5, "the answer must be text"),
        ("text", None, None, ["a"], "the answer must be text"),
        ("text", None, None, {"a": "b"}, "the answer must be text"),
        ("text", None, None, "x" * 2001, "at most 2000 characters"),
        ("text", None, {"max_length": 5}, "123456", "at most 5 characters"),
        ("number", None, None, "5", "the answer must be a number"),
        ("number", None, None, True, "the answer must be a number"),
        ("number", None, None, False, "the answer must be a number"),
        ("number", None, None, math.nan, "the answer must be a number"),
        ("number", None, None, math.inf, "the answer must be a number"),
        ("number", None, None, -math.inf, "the answer must be a number"),
        pytest.param("number", None, None, HUGE, "must be a number", id="huge-number"),
        ("number", None, None, [1], "the answer must be a number"),
        ("number", None, {"integer": True}, 2.5, "the answer must be a whole number"),
        ("number", None, {"min": 0}, -1, "the answer must be at least 0"),
        ("number", None, {"max": 10}, 10.5, "the answer must be at most 10"),
        ("number", None, {"min": -1.5}, -1.6, "the answer must be at least -1.5"),
        ("rating", None, None, 3.5, "the answer must be a whole number"),
        ("rating", None, None, 0, "the answer must be at least 1"),
        ("rating", None, None, 6, "the answer must be at most 5"),
        ("rating", None, {"min": 0, "max": 10}, 11, "the answer must be at most 10"),
        ("rating", None, None, True, "the answer must be a number"),
        ("rating", None, None, "4", "the answer must be a number"),
        ("rating", None, None, math.nan, "the answer must be a number"),
    ],
)
def test_check_answer_refuses_saying_what_the_question_takes(
    kind: str, options: Any, settings: Any, value: Any, says: str
) -> None:
    for required in (False, True):
        with pytest.raises(InvalidAnswer) as caught:
            answer(kind, value, options, settings, required=required)
        assert says in str(caught.value)


def test_a_refusal_lists_at_most_ten_options() -> None:
    options = [f"option {i}" for i in range(12)]
    with pytest.raises(InvalidAnswer) as caught:
        answer("single_choice", "option 99", options)
    said = str(caught.value)
    assert "'option 9'" in said
    assert "'option 10'" not in said
    assert said.endswith(", ...")


def test_an_unknown_kind_takes_no_answers() -> None:
    with pytest.raises(InvalidAnswer, match="questions of kind 'essay' take no answers"):
        check_answer("essay", None, {}, False, "anything")


# -- legacy replies --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "options", "value", "expected"),
    [
        ("single_choice", ["a", "b"], "b", Checked("b", choices=(1,))),
        ("single_choice", ["a", "b"], "z", Checked("z")),
        ("single_choice", ["a", "b"], 1, Checked(1)),
        ("single_choice", "not a list", "n", Checked("n")),
        ("single_choice", None, "a", Checked("a")),
        # Kept as sent; counted once per option, in the options' order.
        (
            "multiple_choice",
            ["a", "b", "c"],
            ["c", "a", "c"],
            Checked(["c", "a", "c"], choices=(0, 2)),
        ),
        ("multiple_choice", ["a", "b", "c"], ["a", 5, None], Checked(["a", 5, None], choices=(0,))),
        ("multiple_choice", ["a", "b", "c"], "b", Checked("b", choices=(1,))),
        ("multiple_choice", ["a", "b", "c"], {"a": 1}, Checked({"a": 1})),
        ("number", None, 7, Checked(7, number=7.0)),
        ("number", None, -2.5, Checked(-2.5, number=-2.5)),
        ("number", None, "42", Checked("42", number=42.0)),
        ("number", None, " 2.5 ", Checked(" 2.5 ", number=2.5)),
        ("number", None, "seven", Checked("seven")),
        ("number", None, "nan", Checked("nan")),
        ("number", None, "-inf", Checked("-inf")),
        ("number", None, "1e999", Checked("1e999")),
        ("number", None, True, Checked(True)),
        ("number", None, None, Checked(None)),
        ("number", None, [1], Checked([1])),
        pytest.param("number", None, HUGE, Checked(HUGE), id="huge-number"),
        ("rating", None, "4", Checked("4", number=4.0)),
        ("rating", None, 9, Checked(9, number=9.0)),
        ("text", None, {"free": ["json", 1]}, Checked({"free": ["json", 1]})),
        ("text", None, "=1+1", Checked("=1+1")),
    ],
)
def test_interpret_keeps_every_legacy_reply_and_counts_those_that_fit(
    kind: str, options: Any, value: Any, expected: Checked
) -> None:
    assert interpret(kind, options, value) == expected


def test_interpret_keeps_a_non_finite_number_uncounted() -> None:
    checked = interpret("number", None, math.nan)
    assert math.isnan(checked.value)
    assert checked.number is None
    assert checked.choices == ()


# -- legacy type names -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("type_name", "kind"),
    [
        ("single", "single_choice"),
        ("RADIO", "single_choice"),
        ("Single Choice", "single_choice"),
        ("single-choice", "single_choice"),
        ("  select ", "single_choice"),
        ("Checkbox", "multiple_choice"),
        ("Multiple-Choice", "multiple_choice"),
        ("multi", "multiple_choice"),
        ("NUMERIC", "number"),
        ("Int", "number"),
        ("Stars", "rating"),
        ("rating scale", "rating"),
        ("TextArea", "text"),
        ("open", "text"),
        ("essay", "text"),
        ("single choice please", "text"),
        ("", "text"),
        ("   ", "text"),
        (None, "text"),
    ],
)
def test_legacy_kind_ignores_case_and_falls_back_to_text(type_name: str | None, kind: str) -> None:
    assert legacy_kind(type_name) == kind


@pytest.mark.parametrize("type_name", sorted(LEGACY_KINDS))
def test_every_legacy_type_name_is_a_kind(type_name: str) -> None:
    assert LEGACY_KINDS[type_name] in KINDS
    assert legacy_kind(type_name.upper()) == LEGACY_KINDS[type_name]
