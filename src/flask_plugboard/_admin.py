"""The host's admin pages (``/admin/plugins`` as HTML and JSON) and the access rule every
admin page follows.

Access is decided by the checks plugins register with :func:`add_admin_access_check`
(the auth plugin does, with or without the host) and by the ``plugboard_admin_access``
hook. It fails closed: a check that raises, or a plugin meant to decide that is not
running, denies; when nobody decides, the pages are refused unless
``PLUGBOARD_ADMIN_ACCESS`` is ``"open"``.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

from flask import (
    Blueprint,
    Flask,
    Request,
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
from ._page_headers import admin_page_headers
from ._state import EXTENSION_KEY, PlugboardState, PluginRecord, get_state
from ._web import PluginBlueprint

__all__ = [
    "AdminAccessCheck",
    "add_admin_access_check",
    "admin_denied",
    "admin_guard",
    "admin_pages",
    "install_admin",
]

logger = logging.getLogger("flask_plugboard")

#: ``check(request)``: True lets the request in, False refuses it, None abstains.
AdminAccessCheck = Callable[[Request], "bool | None"]

_ACCESS_HOOK = "plugboard_admin_access"
_CHECKS_KEY = "plugboard.admin_access"
_WARNED_KEY = "plugboard.admin_open_warned"
_NOBODY_DECIDES = (
    "no plugin decides who may see the admin pages: load one that does (such as auth), "
    "or set PLUGBOARD_ADMIN_ACCESS = 'open' where anyone who can reach the app may see them"
)


def add_admin_access_check(app: Flask, check: AdminAccessCheck) -> None:
    """Have ``check(request)`` decide who may see ``app``'s admin pages; call it at setup.

    True lets the request in, False refuses it (one False is enough), None abstains. A
    check that raises refuses. Works with and without the host: it is how a plugin used
    as a plain extension (``Auth(app)``) guards the admin pages of others (``Stats(app)``).
    """
    # A new tuple, not an append: the host's snapshot rolls back a plugin whose init failed.
    app.extensions[_CHECKS_KEY] = (*app.extensions.get(_CHECKS_KEY, ()), check)


def _checks(app: Flask) -> tuple[AdminAccessCheck, ...]:
    checks: tuple[AdminAccessCheck, ...] = app.extensions.get(_CHECKS_KEY, ())
    return checks


def _decides_access(state: PlugboardState, record: PluginRecord) -> bool:
    if _ACCESS_HOOK in record.hooks:
        return True
    # A plugin that failed before registering its hooks still meant to decide.
    # (pluggy 1.5 raises AttributeError for a missing attribute: check it first.)
    return getattr(record.plugin, _ACCESS_HOOK, None) is not None and (
        state.pm.parse_hookimpl_opts(record.plugin, _ACCESS_HOOK) is not None
    )


def _gatekeepers(state: PlugboardState | None) -> list[PluginRecord]:
    if state is None:
        return []
    return [r for r in state.records.values() if _decides_access(state, r)]


def _open_when_nobody_decides(app: Flask, state: PlugboardState | None) -> bool:
    if state is not None:
        return state.settings.admin_access == "open"
    # Without the host nothing validated the setting: anything but "open" stays closed.
    return app.config.get("PLUGBOARD_ADMIN_ACCESS") == "open"


def _nobody_decides(app: Flask, state: PlugboardState | None) -> bool:
    return not _checks(app) and not _gatekeepers(state)


def _ask_checks(app: Flask) -> bool | str | None:
    """True, None (all abstain), or why a check refused."""
    verdict: bool | None = None
    for check in _checks(app):
        try:
            answer = check(request)
        except Exception:
            logger.exception("the admin access check %r raised: access is denied", check)
            return "the admin access check failed (see the log): access is denied until it is fixed"
        if answer is False:
            return "you may not see the admin pages"
        if answer is True:
            verdict = True
    return verdict


def _ask_hook(state: PlugboardState, gatekeepers: list[PluginRecord]) -> bool | str | None:
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
    if allowed is False:
        return "you may not see the admin pages"
    return True if allowed is True else None


def admin_denied(state: PlugboardState | None = None) -> str | None:
    """Why the current request may not see admin pages, or ``None`` when it may.

    Fails closed: a check that raises, or a plugin meant to decide that is not running,
    denies; so does nobody deciding (or everybody abstaining), unless
    ``PLUGBOARD_ADMIN_ACCESS`` is ``"open"``. Works without the host too.
    """
    app = current_app
    if state is None:
        state = app.extensions.get(EXTENSION_KEY)
    verdicts = [_ask_checks(app)]
    gatekeepers = _gatekeepers(state)
    if state is not None and gatekeepers:
        verdicts.append(_ask_hook(state, gatekeepers))
    for verdict in verdicts:
        if isinstance(verdict, str):
            return verdict
    if True in verdicts or _open_when_nobody_decides(app, state):
        return None
    if _nobody_decides(app, state):
        return _NOBODY_DECIDES
    return "you may not see the admin pages"


def _wants_json() -> bool:
    if request.path.endswith(".json"):
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json"


def _admin_response(response: Response, *, vary: bool = False) -> Response:
    admin_page_headers(response)
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
                return admin_page_headers(redirect(login))
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
        access_open=_nobody_decides(current_app, state)
        and _open_when_nobody_decides(current_app, state),
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
    if app.extensions.get(_WARNED_KEY) or not _nobody_decides(app, state):
        return
    if not _open_when_nobody_decides(app, state):
        return
    app.extensions[_WARNED_KEY] = True
    logger.warning(
        "the admin pages at %s/plugins are open to anyone who can reach app %r: no "
        "plugin decides who may see them and PLUGBOARD_ADMIN_ACCESS is 'open'. Load one "
        "that does (such as auth), or close them where that is not safe",
        state.settings.admin_url_prefix.rstrip("/"),
        app.name,
    )
