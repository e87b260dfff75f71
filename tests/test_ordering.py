from __future__ import annotations

from flask_plugboard._ordering import Node, order_plugins


def test_requirements_come_first_and_ties_keep_discovery_order() -> None:
    result = order_plugins(
        [
            Node("stats", "1", requires=("auth",), position=0),
            Node("cors", "1", position=1),
            Node("auth", "1", position=2),
            Node("timer", "1", position=3),
        ]
    )
    assert result.order == ["cors", "auth", "stats", "timer"]
    assert "requires auth" in result.reasons["stats"]
    assert not result.excluded


def test_optional_dependency_orders_only_when_present() -> None:
    present = order_plugins([Node("a", "1", optional=("b",)), Node("b", "1", position=1)])
    assert present.order == ["b", "a"]
    absent = order_plugins([Node("a", "1", optional=("b",))])
    assert absent.order == ["a"] and not absent.excluded


def test_missing_requirement_excludes_the_whole_chain() -> None:
    result = order_plugins(
        [Node("a", "1", requires=("b",)), Node("b", "1", requires=("c",)), Node("x", "1")]
    )
    assert result.order == ["x"]
    assert "requires 'c', which is not enabled" in result.excluded["b"]
    assert result.excluded["a"].startswith("requires 'b', which is not loaded: b requires 'c'")


def test_a_requirement_that_failed_is_named_as_failed_not_missing() -> None:
    ordering = order_plugins(
        [Node("surveys", "1", requires=("auth",)), Node("stats", "1", requires=("surveys",))],
        failed={"auth": "at validate: AUTH_PASSWORD_MIN_LENGTH = 0 is not valid"},
    )
    assert ordering.excluded["surveys"] == (
        "requires 'auth', which failed: at validate: AUTH_PASSWORD_MIN_LENGTH = 0 is not valid"
    )
    assert "which failed: at validate" in ordering.excluded["stats"]
    assert "not enabled" not in ordering.excluded["stats"]


def test_cycle_is_reported_with_the_chain() -> None:
    result = order_plugins(
        [
            Node("a", "1", requires=("b",)),
            Node("b", "1", requires=("c",)),
            Node("c", "1", requires=("a",)),
            Node("d", "1", requires=("a",)),
            Node("e", "1", requires=("d",)),
            Node("ok", "1"),
        ]
    )
    assert result.order == ["ok"]
    for name in "abc":
        assert result.excluded[name] == "is part of a requirement cycle: a -> b -> c -> a"
    assert "requires 'a'" in result.excluded["d"]
    assert "requires 'd'" in result.excluded["e"]


def test_version_range_of_requirement() -> None:
    result = order_plugins([Node("a", "1", requires=("b>=2",)), Node("b", "1.5")])
    assert result.order == ["b"]
    assert "is version 1.5" in result.excluded["a"] and ">=2" in result.excluded["a"]


def test_bad_requirement_text() -> None:
    result = order_plugins([Node("a", "1", requires=("b >>> 2",))])
    assert "requirement 'b >>> 2' is not valid" in result.excluded["a"]
