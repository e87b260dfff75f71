from __future__ import annotations

import dataclasses
from typing import Literal

import pytest

from flask_plugboard import SettingsError, setting
from flask_plugboard._settings import describe_settings, load_settings, redacted, secret_values


@dataclasses.dataclass(frozen=True)
class Example:
    threshold: float = setting(1.0, min=0, doc="Seconds.")
    retries: int = setting(3, min=0, max=10, doc="How many.")
    mode: Literal["fast", "safe"] = setting("safe", doc="Mode.")
    origins: list[str] = setting(["https://a.example"], doc="Origins.")
    token: str | None = setting(None, secret=True, doc="API token.")
    enabled: bool = setting(True, doc="On or off.")


def load(config: dict[str, object], environ: dict[str, str] | None = None) -> Example:
    result: Example = load_settings(
        Example, "EX", config, owner="plugin 'ex'", environ=environ or {}
    )
    return result


def test_defaults_are_applied_and_written_back() -> None:
    config: dict[str, object] = {}
    s = load(config)
    assert s.threshold == 1.0 and s.mode == "safe" and s.origins == ["https://a.example"]
    assert config["EX_RETRIES"] == 3


def test_mutable_defaults_are_not_shared() -> None:
    a, b = load({}), load({})
    a.origins.append("x")
    assert b.origins == ["https://a.example"]


def test_int_is_accepted_for_float() -> None:
    assert load({"EX_THRESHOLD": 2}).threshold == 2.0


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("EX_THRESHOLD", "fast", "expected a number"),
        ("EX_THRESHOLD", -1, "expected a number >= 0"),
        ("EX_RETRIES", 11, "expected a number <= 10"),
        ("EX_RETRIES", True, "expected an integer"),
        ("EX_MODE", "turbo", "expected one of 'fast', 'safe'"),
        ("EX_ORIGINS", "https://a.example", "expected a list"),
        ("EX_ORIGINS", [1], "expected a string"),
        ("EX_ENABLED", "yes", "expected a boolean"),
    ],
)
def test_bad_values_name_key_value_and_what_is_allowed(
    key: str, value: object, expected: str
) -> None:
    with pytest.raises(SettingsError) as info:
        load({key: value})
    message = str(info.value)
    assert message.startswith(f"{key} = {value!r}")
    assert "plugin 'ex'" in message
    assert expected in message


def test_secret_values_never_appear_in_errors() -> None:
    with pytest.raises(SettingsError) as info:
        load({"EX_TOKEN": 12345678})
    assert "12345678" not in str(info.value)
    assert "secret" in str(info.value)


def test_environment_overrides_config_like_from_prefixed_env() -> None:
    s = load(
        {"EX_RETRIES": 1},
        {"FLASK_EX_RETRIES": "7", "FLASK_EX_MODE": "fast", "FLASK_EX_ORIGINS": '["b"]'},
    )
    assert (s.retries, s.mode, s.origins) == (7, "fast", ["b"])


def test_bad_environment_value_names_the_variable() -> None:
    with pytest.raises(SettingsError, match=r"FLASK_EX_RETRIES \(environment\) = 'many'"):
        load({}, {"FLASK_EX_RETRIES": "many"})


def test_required_setting_missing() -> None:
    @dataclasses.dataclass(frozen=True)
    class Needs:
        url: str = setting(doc="Where to send things.")

    with pytest.raises(SettingsError, match="NEEDS_URL is required by plugin 'n'.*Where to send"):
        load_settings(Needs, "NEEDS", {}, owner="plugin 'n'", environ={})


def test_cross_field_validation_in_post_init() -> None:
    @dataclasses.dataclass(frozen=True)
    class Window:
        low: int = setting(1, doc="Low.")
        high: int = setting(2, doc="High.")

        def __post_init__(self) -> None:
            if self.low > self.high:
                raise ValueError("WIN_LOW must not exceed WIN_HIGH")

    with pytest.raises(SettingsError, match="WIN_LOW must not exceed WIN_HIGH"):
        load_settings(Window, "WIN", {"WIN_LOW": 5}, owner="plugin 'w'", environ={})


@pytest.mark.parametrize("error", [ValueError, SettingsError])
def test_a_post_init_check_names_the_variable_the_environment_set(
    error: type[Exception],
) -> None:
    @dataclasses.dataclass(frozen=True)
    class Pattern:
        pattern: str = setting("*", doc="A pattern.")

        def __post_init__(self) -> None:
            if self.pattern != "*":
                raise error(f"PAT_PATTERN = {self.pattern!r}: expected '*'")

    with pytest.raises(SettingsError) as caught:
        load_settings(Pattern, "PAT", {}, owner="plugin 'p'", environ={"FLASK_PAT_PATTERN": "?"})
    assert "FLASK_PAT_PATTERN = '?': expected '*'" in str(caught.value)
    with pytest.raises(SettingsError) as from_config:
        load_settings(Pattern, "PAT", {"PAT_PATTERN": "?"}, owner="plugin 'p'", environ={})
    assert "PAT_PATTERN = '?'" in str(from_config.value)
    assert "FLASK_PAT_PATTERN" not in str(from_config.value)


def test_redaction_and_descriptions() -> None:
    s = load({"EX_TOKEN": "s3cr3t-value"})
    assert redacted(s)["token"] == "***"
    assert "s3cr3t-value" not in repr(s)
    assert secret_values(s) == ["s3cr3t-value"]
    specs = {spec.key: spec for spec in describe_settings(Example, "EX")}
    assert specs["EX_TOKEN"].secret and specs["EX_TOKEN"].type_name == "str | None"
    assert specs["EX_MODE"].type_name == "'fast' | 'safe'"
    assert specs["EX_ORIGINS"].type_name == "list[str]"
