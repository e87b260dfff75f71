"""``GET /openapi.json`` and the Swagger UI page at ``/docs``, and the per-app state.

The document is built on the first request for it and kept, as JSON bytes with an ETag
(Flask allows no new routes once the app has served a request). The page loads
everything from the app (Swagger UI is vendored in ``static/``, see its README) and has
no inline script, so it is sent with a strict Content-Security-Policy.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from typing import TYPE_CHECKING, Any

from flask import Blueprint, Flask, Response, current_app, render_template, request, url_for

from flask_plugboard import admin_guard, plugin_blueprint, plugin_static
from flask_plugboard.errors import PlugboardError

from ._document import build_document
from ._settings import ApiDocsSettings

if TYPE_CHECKING:
    from ._plugin import ApiDocs

__all__ = ["STATE_KEY", "DocsState", "docs_blueprint", "openapi_document", "state_of"]

#: ``app.extensions`` key of the per-app :class:`DocsState`.
STATE_KEY = "apidocs.state"
#: Documents kept per app (one per script root the app is reached under).
MAX_CACHED = 8


@dataclasses.dataclass
class DocsState:
    """Per-app state of the apidocs plugin (in ``app.extensions["apidocs.state"]``)."""

    settings: ApiDocsSettings
    #: The name of the docs' own blueprint, left out of the document.
    own: str
    #: script root -> (document bytes, ETag).
    cache: dict[str, tuple[bytes, str]] = dataclasses.field(default_factory=dict)


def state_of(app: Flask) -> DocsState:
    try:
        state: DocsState = app.extensions[STATE_KEY]
    except KeyError:
        raise PlugboardError(
            f"plugin 'apidocs' is not initialised on app {app.name!r}: call ApiDocs(app) "
            "or list 'apidocs' in PLUGBOARD_PLUGINS"
        ) from None
    return state


def openapi_document(app: Flask | None = None, script_root: str = "") -> dict[str, Any]:
    """The OpenAPI document of ``app`` (default: the current app), built now."""
    target: Flask = current_app._get_current_object() if app is None else app  # type: ignore[attr-defined]
    state = state_of(target)
    with target.app_context():
        return build_document(target, state.settings, state.own, script_root)


def openapi_json() -> Response:
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    state = state_of(app)
    root = request.script_root
    cached = state.cache.get(root)
    if cached is None:
        body = json.dumps(openapi_document(app, root), ensure_ascii=False).encode()
        cached = (body, hashlib.sha256(body).hexdigest()[:32])
        # Bounded: the script root can come from a proxy's X-Forwarded-Prefix.
        if len(state.cache) < MAX_CACHED:
            state.cache[root] = cached
    response = Response(cached[0], mimetype="application/json")
    response.set_etag(cached[1])
    # Revalidated on each use: a deploy changes it, the ETag makes that cheap.
    response.headers["Cache-Control"] = "no-cache"
    response.make_conditional(request)  # 304 in place when the client has it
    return response


def _csp(settings: ApiDocsSettings) -> str:
    origins = sorted({s.rstrip("/") for s in settings.servers if "://" in s})
    connect = " ".join(["'self'", *origins])
    return (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        f"font-src 'self' data:; connect-src {connect}; base-uri 'none'; "
        "form-action 'none'; frame-ancestors 'self'"
    )


def swagger_ui() -> Response:
    state = state_of(current_app)
    html = render_template(
        "apidocs/swagger.html",
        title=state.settings.title or current_app.name,
        json_url=url_for(f"{state.own}.openapi_json"),
        # Called here, not as the template global: that exists only with the host.
        css_url=plugin_static(state.own, "swagger-ui.css"),
        page_css_url=plugin_static(state.own, "apidocs.css"),
        bundle_url=plugin_static(state.own, "swagger-ui-bundle.js"),
        init_url=plugin_static(state.own, "apidocs.js"),
    )
    response = Response(html)
    response.headers["Content-Security-Policy"] = _csp(state.settings)
    return response


def docs_blueprint(plugin: ApiDocs, settings: ApiDocsSettings) -> Blueprint:
    """A new blueprint of the document and the page (one per app)."""
    bp = plugin_blueprint(plugin, __name__)
    if settings.access == "admin":
        bp.before_request(admin_guard)
    if settings.json_path:
        bp.add_url_rule(settings.json_path, "openapi_json", openapi_json, methods=["GET"])
    if settings.ui_path:
        bp.add_url_rule(settings.ui_path, "ui", swagger_ui, methods=["GET"])
    return bp
