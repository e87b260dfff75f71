"""The JSON the service reads: depth and types, without an app."""

from __future__ import annotations

from typing import Any

import pytest

from plugboard_surveys._json import MAX_DEPTH, TooDeep, json_problem, loads


def test_json_as_deep_as_the_limit_is_read() -> None:
    text = "[" * MAX_DEPTH + "]" * MAX_DEPTH
    assert loads(text) == loads(text.encode())
    assert json_problem(loads(text)) is None


@pytest.mark.parametrize("depth", [MAX_DEPTH + 1, 3000, 50_000])
def test_json_deeper_than_the_limit_is_a_value_error_naming_it(depth: int) -> None:
    for text in ("[" * depth + "]" * depth, '{"a": ' * depth + "1" + "}" * depth):
        with pytest.raises(TooDeep, match=f"nested deeper than {MAX_DEPTH} levels"):
            loads(text)
        with pytest.raises(ValueError):  # what get_json(silent=True) turns into None
            loads(text.encode())


def test_many_brackets_side_by_side_are_not_deep() -> None:
    assert loads("[" + ",".join(["[]"] * 500) + "]") == [[]] * 500


@pytest.mark.parametrize(
    ("value", "why"),
    [
        ({1, 2}, "a set is not a JSON value"),
        (1j, "a complex number is not a JSON value"),
        (b"x", "bytes is not a JSON value"),
        ({(1, 2): 3}, "an object's key is a tuple"),
        ([{"deep": [object()]}], "a object is not a JSON value"),
    ],
)
def test_json_problem_names_what_is_not_json(value: Any, why: str) -> None:
    problem = json_problem(value)
    assert problem is not None and why in problem


def test_tuples_and_number_keys_are_json() -> None:
    assert json_problem({"a": (1, "b", None, True, 2.5), 3: []}) is None
