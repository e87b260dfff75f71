"""The headers of admin pages: never cached, framed, sniffed or sent as a Referer, and
running nothing but the site's own files.

One helper for the host's pages and every plugin's (the stats dashboard): a plugin's
admin page calls :func:`admin_page_headers` instead of keeping a copy of the policy.
"""

from __future__ import annotations

from typing import TypeVar

from werkzeug.wrappers import Response as BaseResponse

__all__ = ["ADMIN_CONTENT_SECURITY_POLICY", "admin_page_headers"]

#: Same-origin files only: no inline script or style (the admin templates link their
#: CSS and JS), no plugin, no framing, forms and fetches to this site only.
ADMIN_CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; font-src 'self'; form-action 'self'; base-uri 'none'; "
    "frame-ancestors 'none'"
)

_R = TypeVar("_R", bound=BaseResponse)


def admin_page_headers(response: _R, *, policy: str = ADMIN_CONTENT_SECURITY_POLICY) -> _R:
    """Add the admin pages' headers to ``response`` and return it.

    ``Cache-Control: no-store``, ``Content-Security-Policy`` (``policy``: by default
    same-origin files and nothing inline; a page that needs more passes its own),
    ``X-Frame-Options: DENY``, ``X-Content-Type-Options: nosniff`` and
    ``Referrer-Policy: no-referrer``. Headers the response has already win.
    """
    headers = response.headers
    headers.setdefault("Cache-Control", "no-store")
    headers.setdefault("Content-Security-Policy", policy)
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "no-referrer")
    return response
