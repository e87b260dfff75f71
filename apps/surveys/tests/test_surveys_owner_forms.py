"""Reading the owners' forms: pure functions, no app."""

from __future__ import annotations

import datetime as dt

import pytest

from plugboard_surveys._owner_forms import parse_due, sentence, survey_errors, survey_form
from plugboard_surveys._question_form import question_errors, question_form


def test_the_due_date_is_read_as_utc() -> None:
    assert parse_due("2099-12-31T10:11") == dt.datetime(2099, 12, 31, 10, 11, tzinfo=dt.UTC)
    assert parse_due("2099-12-31T10:11:12") == dt.datetime(2099, 12, 31, 10, 11, 12, tzinfo=dt.UTC)
    assert parse_due("  ") is None


@pytest.mark.parametrize("garbage", ["tomorrow", "2099-12-31", "2099-13-01T10:00", "1e9"])
def test_a_due_date_that_is_no_date_is_refused_with_an_example(garbage: str) -> None:
    with pytest.raises(ValueError, match=r"2099-12-31 10:00|not a date"):
        parse_due(garbage)


def test_the_survey_form_keeps_what_was_typed_beside_its_errors() -> None:
    form = survey_form({"name": " Lunch ", "due_at": "soon", "one_per_respondent": "on"})
    assert form.typed["due_at"] == "soon"
    assert form.values["one_per_respondent"] is True
    assert "due_at" not in form.values and set(form.errors) == {"due_at"}


def test_service_errors_become_sentences_on_their_fields() -> None:
    assert survey_errors([("name", "may not be blank"), ("elsewhere", "odd")]) == {
        "name": "May not be blank.",
        "form": "Odd.",
    }
    assert sentence("at most 5 (see above)") == "At most 5 (see above)"


def test_only_the_chosen_kinds_options_and_settings_are_read() -> None:
    form = question_form(
        {
            "content": "Days?",
            "kind": "multiple_choice",
            "options": " Mon \r\n\r\nTue\n",
            "max_choices": "2",
            "number_min": "not read",
            "max_length": "99",
        }
    )
    assert form.errors == {}
    assert form.values["options"] == ["Mon", "Tue"]
    assert form.values["settings"] == {"max_choices": 2}
    assert form.values["required"] is False
    text = question_form({"content": "Why?", "kind": "text", "options": "a\nb"})
    assert text.values["options"] is None and text.values["settings"] == {}


def test_number_settings_are_whole_when_asked() -> None:
    loose = question_form({"kind": "number", "number_min": "0.5", "number_max": "2"})
    assert loose.values["settings"] == {"integer": False, "min": 0.5, "max": 2}
    whole = question_form({"kind": "number", "number_min": "0.5", "integer": "1"})
    assert whole.errors == {"number_min": "Enter a whole number, like 3."}
    for garbage in ("inf", "nan", "1e999", "two"):
        assert "number_max" in question_form({"kind": "number", "number_max": garbage}).errors


def test_an_unknown_kind_is_refused() -> None:
    assert "kind" in question_form({"kind": "essay"}).errors


def test_question_errors_land_on_the_fields_in_the_pages_words() -> None:
    found = question_errors(
        [
            ("question.content", "may not be blank"),
            ("question.options.2", "the option 'Red' is listed twice"),
            ("settings.max_choices", "max_choices is 1 to the options' number"),
        ],
        "multiple_choice",
    )
    assert found == {
        "content": "May not be blank.",
        "options": "Option 3: the option 'Red' is listed twice.",
        "max_choices": "Most choices is 1 to the options' number.",
    }
    rating = question_errors([("settings.max", "a rating runs from min to max")], "rating")
    assert rating == {"rating_max": "A rating runs from min to max."}
    number = question_errors([("settings.min", "settings.min is above settings.max")], "number")
    assert number == {"number_min": "Smallest is above Largest."}
    assert question_errors([("questions", "at most 200 questions")], "text") == {
        "form": "At most 200 questions."
    }
    kind = question_errors(
        [("question.options", "a single_choice question needs its options")], "single_choice"
    )
    assert kind == {"options": "A single choice question needs its options."}
