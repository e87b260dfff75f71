"""Where to send the browser after logging in or out: ``?next=``, only ever on this site.

Pure logic: no app, no request. Only a relative path that starts with a single ``/`` is
followed; anything a browser could read as another site is replaced by the fallback:

- ``//evil.io`` and ``/\\evil.io`` (browsers treat ``\\`` as ``/``), and ``\\\\evil.io``;
- absolute URLs (``https://evil.io``, ``javascript:...``), even to this host: paths only
  keep the rule simple and independent of the Host header;
- whitespace and control characters anywhere: browsers drop tabs and newlines from URLs,
  so ``/\\t/evil.io`` would become ``//evil.io``.

Percent-encoded characters stay encoded in the path the browser requests, so
``/%5Cevil.io`` and ``/%2F%2Fevil.io`` are harmless paths on this site and are kept.
"""

from __future__ import annotations

from typing import TypeGuard

__all__ = ["is_safe_path", "safe_next"]

#: Longer targets are refused: no page of ours needs them, and they bloat the login URL.
MAX_LENGTH = 2048


def safe_next(target: str | None, fallback: str) -> str:
    """``target`` when it is a path on this site (``/...``), else ``fallback``."""
    return target if is_safe_path(target) else fallback


def is_safe_path(target: object) -> TypeGuard[str]:
    """True when ``target`` is a relative path on this site that a browser cannot misread."""
    if not isinstance(target, str) or not target.startswith("/") or len(target) > MAX_LENGTH:
        return False
    if target[1:2] in ("/", "\\"):
        return False
    # A backslash is read as "/" by browsers; none of our paths needs one unencoded.
    return not any(c == "\\" or c.isspace() or not c.isprintable() for c in target)
