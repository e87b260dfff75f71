"""``safe_next``: where the browser goes after logging in or out. Pure logic, no app."""

from __future__ import annotations

import pytest

from flask_plugboard.plugins.auth._next import MAX_LENGTH, safe_next

HOME = "/home"


@pytest.mark.parametrize(
    "target",
    [
        "/",
        "/dashboard",
        "/surveys/3/edit?tab=questions&page=2",
        "/search?q=a%20b#results",
        "/café/menü",
        "/%5Cevil.io",  # an encoded backslash stays encoded: a path on this site
        "/%2F%2Fevil.io",
        "/./evil.io",
        "/a//b",
        "/javascript:alert(1)",  # a path, not a scheme
    ],
)
def test_paths_on_this_site_are_followed(target: str) -> None:
    assert safe_next(target, HOME) == target


@pytest.mark.parametrize(
    "target",
    [
        None,
        "",
        "//evil.io",
        "///evil.io",
        "//evil.io/path",
        "https://evil.io",
        "http://localhost/dashboard",  # absolute, even to this host: refused
        "HTTPS://evil.io",
        "javascript:alert(1)",
        "JavaScript:alert(document.cookie)",
        "data:text/html,<script>alert(1)</script>",
        "/\\evil.io",
        "\\\\evil.io",
        "\\/evil.io",
        "/foo\\..\\\\evil.io",
        "/\t/evil.io",  # browsers drop the tab: //evil.io
        "/\n/evil.io",
        "/\r\n/evil.io",
        " /dashboard",
        "/dash board",
        "/\x00evil",
        "/\x7fevil",
        "/\u200b/evil.io",  # zero-width space: not printable
        "/\u3000/evil.io",  # ideographic space
        "evil.io",
        "dashboard",
        "?next=//evil.io",
        "#/evil",
        "/" + "a" * MAX_LENGTH,
    ],
)
def test_anything_else_gives_the_fallback(target: str | None) -> None:
    assert safe_next(target, HOME) == HOME


def test_a_non_string_gives_the_fallback() -> None:
    assert safe_next(["/dashboard"], HOME) == HOME  # type: ignore[arg-type]
