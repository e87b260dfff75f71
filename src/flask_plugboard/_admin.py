"""The host's admin pages (``/admin/plugins`` as HTML and JSON) and the access rule every
admin page follows.

Access is decided by the ``plugboard_admin_access`` hook (the auth plugin answers it).
It fails closed: when a plugin meant to decide is not running, or its check raised,
access is denied. When no plugin decides, the pages are open (they exist only when
``PLUGBOARD_ADMIN`` is on) and start-up warns about it.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from flask import (
    Blueprint,
    Flask,
    Response,
    current_app,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from werkzeug.exceptions import HTTPException
from werkzeug.routing import BuildError
from werkzeug.wrappers import Response as BaseResponse

from ._listing import plugins_listing
from ._state import EXTENSION_KEY, PlugboardState, PluginRecord, get_state
from ._web import PluginBlueprint

__all__ = ["admin_denied", "admin_guard", "admin_pages", "install_admin"]

logger = logging.getLogger("flask_plugboard")

_ACCESS_HOOK = "plugboard_admin_access"
_WARNED_KEY = "plugboard.admin_open_warned"


def _decides_access(state: PlugboardState, record: PluginRecord) -> bool:
    if _ACCESS_HOOK in record.hooks:
        return True
    # A plugin that failed before registering its hooks still meant to decide.
    # (pluggy 1.5 raises AttributeError for a missing attribute: check it first.)
    return getattr(record.plugin, _ACCESS_HOOK, None) is not None and (
        state.pm.parse_hookimpl_opts(record.plugin, _ACCESS_HOOK) is not None
    )


def _gatekeepers(state: PlugboardState) -> list[PluginRecord]:
    return [r for r in state.records.values() if _decides_access(state, r)]


def admin_denied(state: PlugboardState | None = None) -> str | None:
    """Why the current request may not see admin pages, or ``None`` when it may.

    Fails closed: a plugin meant to decide that is not running, or that raised, denies.
    Without the host (a plugin used as a plain extension) nobody decides: allowed.
    """
    if state is None:
        state = current_app.extensions.get(EXTENSION_KEY)
        if state is None:
            return None
    gatekeepers = _gatekeepers(state)
    for record in gatekeepers:
        if not record.active:
            return (
                f"plugin {record.name!r} decides who may see the admin pages and is "
                f"{record.status}: fix it and restart the app"
            )
    before = [r.health.failures if r.health else 0 for r in gatekeepers]
    allowed = state.hook.plugboard_admin_access(request=request)
    if allowed is None and before != [r.health.failures if r.health else 0 for r in gatekeepers]:
        return "the admin access check failed (see the log): access is denied until it is fixed"
    if allowed is None or allowed is True:
        return None
    return "you may not see the admin pages"


def _wants_json() -> bool:
    if request.path.endswith(".json"):
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json"


def _admin_response(response: Response, *, vary: bool = False) -> Response:
    response.headers["Cache-Control"] = "no-store"
    if vary:
        response.vary.add("Accept")
    return response


def _error(code: int, message: str) -> Response:
    # Without the host's admin pages (a plugin used as a plain extension, or
    # PLUGBOARD_ADMIN off) there is no page layout to render the error in.
    if _wants_json() or "plugboard" not in current_app.blueprints:
        response = jsonify(error=message, status=code)
    else:
        response = Response(
            render_template("plugboard/admin_error.html", code=code, message=message, page="error")
        )
    response.status_code = code
    return _admin_response(response, vary=True)


def _refuse(state: PlugboardState | None, denied: str) -> BaseResponse:
    """403, or for a browser nobody is logged in on, the login page when a plugin has one."""
    if state is not None and not _wants_json():
        if state.hook.plugboard_current_user(request=request) is None:
            here = request.full_path if request.query_string else request.path
            login = state.hook.plugboard_login_url(next_url=here)
            if login:
                response = redirect(login)
                response.headers["Cache-Control"] = "no-store"
                return response
    return _error(403, denied)


def _check_access() -> BaseResponse | None:
    if request.endpoint == "plugboard.static":
        return None  # the stylesheet of the error page itself
    state = get_state()
    _warn_if_open(state)
    denied = admin_denied(state)
    return None if denied is None else _refuse(state, denied)


def admin_guard() -> BaseResponse | None:
    """``before_request`` for any plugin's admin blueprint: ``bp.before_request(admin_guard)``.

    Answers 404 unless ``PLUGBOARD_ADMIN`` is on (admin pages exist only when explicitly
    enabled), and 403 when :func:`admin_denied` says no; JSON for JSON clients.
    """
    if not current_app.config.get("PLUGBOARD_ADMIN", False):
        return _error(404, "admin pages are not enabled (PLUGBOARD_ADMIN)")
    denied = admin_denied()
    return None if denied is None else _refuse(current_app.extensions.get(EXTENSION_KEY), denied)


def _on_http_error(exc: HTTPException) -> Response:
    return _error(exc.code or 500, exc.description or exc.name)


def _admin_links(state: PlugboardState) -> list[tuple[str, str]]:
    links: list[tuple[str, str]] = []
    for result in reversed(state.hook.plugboard_admin_links()):
        for item in result or ():
            try:
                label, endpoint = item
                links.append((str(label), url_for(endpoint)))
            except (TypeError, ValueError, BuildError) as exc:
                logger.warning(
                    "admin link %r is left out (%s): return (label, endpoint) pairs naming "
                    "endpoints that take no arguments",
                    item,
                    exc,
                )
    return links


def admin_pages() -> list[tuple[str, str]]:
    """The admin pages the current request may see, as ``(label, URL)`` pairs, for an
    app's own navigation: the plugins page, then the pages plugins add with the
    ``plugboard_admin_links`` hook. Empty when the admin pages are off
    (``PLUGBOARD_ADMIN``) or :func:`admin_denied` says no."""
    state: PlugboardState | None = current_app.extensions.get(EXTENSION_KEY)
    if state is None or "plugboard.plugins" not in current_app.view_functions:
        return []
    if admin_denied(state) is not None:
        return []
    return [("Plugins", url_for("plugboard.plugins")), *_admin_links(state)]


def _setting_rows(record: PluginRecord, values: dict[str, Any] | None) -> list[dict[str, Any]]:
    if record.plugin is None or values is None:
        return []
    return [
        {
            "key": spec.key,
            "value": values.get(spec.field)
            if spec.secret
            else json.dumps(values.get(spec.field), ensure_ascii=False),
            "doc": spec.doc,
            "secret": spec.secret,
        }
        for spec in record.plugin.setting_specs()
    ]


def _plugins_json() -> Response:
    return _admin_response(jsonify(plugins_listing(current_app)))


def _plugins_page() -> Response:
    if _wants_json():
        return _admin_response(jsonify(plugins_listing(current_app)), vary=True)
    state = get_state()
    listing = plugins_listing(current_app, state)
    for entry in listing["plugins"]:
        entry["setting_rows"] = _setting_rows(state.records[entry["name"]], entry["settings"])
    statuses = [r.status for r in state.records.values()]
    counts = {
        "loaded": statuses.count("loaded"),
        "quarantined": statuses.count("quarantined"),
        "failed": sum(s.startswith("failed") for s in statuses),
    }
    html = render_template(
        "plugboard/admin_plugins.html",
        page="plugins",
        host=listing["host"],
        plugins=listing["plugins"],
        counts=counts,
        admin_links=_admin_links(state),
        access_open=not _gatekeepers(state),
    )
    return _admin_response(Response(html), vary=True)


def _admin_blueprint() -> Blueprint:
    blueprint = PluginBlueprint(
        "plugboard",
        __name__,
        template_folder="templates",
        static_folder="static/plugboard",
        static_url_path="/_static/plugboard",
    )
    blueprint.before_request(_check_access)
    blueprint.register_error_handler(HTTPException, _on_http_error)
    blueprint.add_url_rule("/plugins", "plugins", _plugins_page)
    blueprint.add_url_rule("/plugins.json", "plugins_json", _plugins_json)
    return blueprint


def install_admin(app: Flask, state: PlugboardState) -> None:
    """Register the admin pages under ``PLUGBOARD_ADMIN_URL_PREFIX``."""
    prefix = state.settings.admin_url_prefix.rstrip("/")
    app.register_blueprint(_admin_blueprint(), url_prefix=prefix or None)


def _warn_if_open(state: PlugboardState) -> None:
    # Said once, at the first admin request: at start-up it would repeat on every CLI
    # command, where nothing is served.
    app = current_app
    if app.extensions.get(_WARNED_KEY) or _gatekeepers(state):
        return
    app.extensions[_WARNED_KEY] = True
    logger.warning(
        "the admin pages at %s/plugins are open to anyone who can reach app %r: no "
        "plugin decides plugboard_admin_access. Load one that does (such as auth), "
        "or turn PLUGBOARD_ADMIN off where that is not safe",
        state.settings.admin_url_prefix.rstrip("/"),
        app.name,
    )
