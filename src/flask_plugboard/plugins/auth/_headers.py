"""The headers of auth's pages: a page with a form token, or a reset token in its URL, is
never cached, never framed (clickjacking), never sent as a Referer to another site, and
runs nothing but this site's own files (AUTH_CONTENT_SECURITY_POLICY)."""

from __future__ import annotations

from werkzeug.wrappers import Response as BaseResponse

from ._state import get_auth_state

__all__ = ["page_headers"]


def page_headers(response: BaseResponse) -> BaseResponse:
    """Add the headers of auth's pages to ``response`` (headers it has already win)."""
    headers = response.headers
    headers.setdefault("Cache-Control", "no-store")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", "no-referrer")
    headers.setdefault("X-Content-Type-Options", "nosniff")
    policy = get_auth_state().settings.content_security_policy
    if policy:
        headers.setdefault("Content-Security-Policy", policy)
    return response
