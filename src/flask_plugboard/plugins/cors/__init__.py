"""Cross-origin resource sharing (CORS): small and strict.

Works with the host (``PLUGBOARD_PLUGINS = ["cors"]``) or alone (``Cors(app)``).

The app-wide policy comes from the ``CORS_*`` settings; a blueprint
(:func:`cors_blueprint`) or a view (:func:`cors`) may override any option. Every policy
is validated when it is declared: a '*' origin with credentials, a malformed origin or an
unknown option fails at start-up (or at the decorator) with the fix in the message.

It is WSGI middleware. A preflight (``OPTIONS`` with ``Origin`` and
``Access-Control-Request-Method``) is answered by the middleware itself, without entering
the Flask app: no ``before_request`` function, auth check or rate limit runs for it, and
nothing counts it. Under the host the middleware is installed when the app is ready
(``plugboard_app_ready``), around every other plugin's middleware. For other requests the
headers go straight into the WSGI header list when the response starts; the endpoint
Flask matched picks the policy (worked out once per endpoint, then a dictionary lookup).
There is no path matching of its own.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, TypeVar

from flask import Blueprint, Flask
from werkzeug.exceptions import HTTPException
from werkzeug.middleware.proxy_fix import ProxyFix

from flask_plugboard import Plugin, SettingsError, __version__, get_state, hookimpl, setting

from ._policy import REFUSED_BODY, Options, Policy, PolicyError, parse_options, parse_override
from ._policy import refused as _refused

if TYPE_CHECKING:
    from _typeshed import OptExcInfo
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

__all__ = ["Cors", "CorsSettings", "cors", "cors_blueprint"]

#: Attribute of a view function or blueprint holding its declared overrides.
_ATTR = "_plugboard_cors"
#: ``app.extensions`` key of the per-app :class:`_Policies`.
_STATE_KEY = "cors.policies"

_ACAO_LOWER = "access-control-allow-origin"
_ACAO_LENGTH = len(_ACAO_LOWER)

_DEFAULT_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"]


@dataclasses.dataclass(frozen=True)
class CorsSettings:
    """Settings of the cors plugin (prefix ``CORS_``): the app-wide policy."""

    origins: list[str | dict[str, str] | re.Pattern[str]] | str = setting(
        [],
        doc="Origins allowed to read responses: exact strings such as "
        "'https://app.example.com' (scheme://host[:port], no path, lowercase), compiled "
        're.Pattern objects, or {"regex": "..."} (for JSON and environment '
        "variables); patterns must match the whole origin. '*' alone allows every "
        "origin. Empty: no app-wide policy, only the blueprints and views that declare one.",
    )
    methods: list[str] | str = setting(
        _DEFAULT_METHODS,
        doc="Methods a preflight allows (Access-Control-Allow-Methods); '*' allows any.",
    )
    allow_headers: list[str] | str = setting(
        ["Content-Type"],
        doc="Request headers a preflight allows, compared without regard to case "
        "(Access-Control-Allow-Headers); '*' allows any.",
    )
    expose_headers: list[str] | str = setting(
        [],
        doc="Response headers scripts may read beyond the safelisted ones "
        "(Access-Control-Expose-Headers).",
    )
    allow_credentials: bool = setting(
        False,
        doc="Let allowed origins send cookies and HTTP auth and read the answers "
        "(Access-Control-Allow-Credentials). Refused with CORS_ORIGINS = '*'.",
    )
    max_age: int | None = setting(
        600,
        min=0,
        doc="Seconds browsers may cache a preflight answer (Access-Control-Max-Age); "
        "None sends no header (browsers then cache for 5 s).",
    )
    allow_private_network: bool = setting(
        False,
        doc="Answer Private Network Access preflights "
        "(Access-Control-Request-Private-Network: true) with "
        "Access-Control-Allow-Private-Network: true, letting public sites call this "
        "app on a private network.",
    )

    def __post_init__(self) -> None:
        self.options()  # fail at start-up, naming the key

    def options(self) -> Options:
        """The validated app-wide options; raises ``ValueError`` naming the key."""
        names = [f.name for f in dataclasses.fields(self)]
        return parse_options(
            {name: getattr(self, name) for name in names},
            {name: f"CORS_{name.upper()}" for name in names},
        )


class Cors(Plugin):
    """Answers CORS for the app; a plain Flask extension too: ``Cors(app)``."""

    name = "cors"
    version = __version__
    description = "CORS: exact or regex origins per app, blueprint and view; preflight first."
    Settings = CorsSettings

    def setup(self, app: Flask, settings: CorsSettings) -> None:
        policies = _Policies(app, settings.options())
        app.extensions[_STATE_KEY] = policies
        state = get_state(app, default=None)
        record = state.records.get(self.name) if state is not None else None
        if record is None or record.plugin is not self:
            _install(app, policies)
        # Else the host is starting this plugin: the middleware goes in when the app is
        # ready (plugboard_app_ready), around every other plugin's middleware.

    @hookimpl
    def plugboard_app_ready(self, app: Flask) -> None:
        """Install the middleware once every plugin is set up, outside all of them."""
        policies = app.extensions.get(_STATE_KEY)
        if isinstance(policies, _Policies) and not policies.installed:
            _install(app, policies)


# -- declaring policies of blueprints and views ---------------------------------------

_V = TypeVar("_V", bound=Callable[..., Any])
_UNSET: Any = object()


def _given(**options: Any) -> dict[str, Any]:
    return {name: value for name, value in options.items() if value is not _UNSET}


def cors(
    *,
    origins: Any = _UNSET,
    methods: Any = _UNSET,
    allow_headers: Any = _UNSET,
    expose_headers: Any = _UNSET,
    allow_credentials: Any = _UNSET,
    max_age: Any = _UNSET,
    allow_private_network: Any = _UNSET,
) -> Callable[[_V], _V]:
    """Decorate a view to give it its own CORS options over the app's or blueprint's.

    Options not given are inherited, except ``allow_credentials``: where ``origins`` is
    given, credentials are off unless given too. ``origins=[]`` turns CORS off for the
    view. Raises :class:`~flask_plugboard.SettingsError` at once for an invalid option.
    The view itself is not wrapped: it costs nothing per call.
    """
    given = _given(
        origins=origins,
        methods=methods,
        allow_headers=allow_headers,
        expose_headers=expose_headers,
        allow_credentials=allow_credentials,
        max_age=max_age,
        allow_private_network=allow_private_network,
    )

    def decorate(view: _V) -> _V:
        where = f"@cors(...) on view {getattr(view, '__qualname__', view)!r}"
        setattr(view, _ATTR, _override(given, where))
        return view

    return decorate


def cors_blueprint(
    blueprint: Blueprint,
    *,
    origins: Any = _UNSET,
    methods: Any = _UNSET,
    allow_headers: Any = _UNSET,
    expose_headers: Any = _UNSET,
    allow_credentials: Any = _UNSET,
    max_age: Any = _UNSET,
    allow_private_network: Any = _UNSET,
) -> Blueprint:
    """Give every view of ``blueprint`` (and of blueprints nested in it) CORS options.

    Same options and inheritance as :func:`cors`; a view's own ``@cors`` wins. Call it
    before the first request. Returns the blueprint.
    """
    given = _given(
        origins=origins,
        methods=methods,
        allow_headers=allow_headers,
        expose_headers=expose_headers,
        allow_credentials=allow_credentials,
        max_age=max_age,
        allow_private_network=allow_private_network,
    )
    setattr(blueprint, _ATTR, _override(given, f"cors_blueprint({blueprint.name!r}, ...)"))
    return blueprint


def _override(given: dict[str, Any], where: str) -> dict[str, Any]:
    try:
        return parse_override(given)
    except PolicyError as exc:
        raise SettingsError(f"{where}: {exc}") from None


# -- per app: endpoint -> policy ------------------------------------------------------


class _Policies:
    """The policy of each endpoint of one app, worked out on first sight and kept.

    Holds the app's view-function and blueprint registries (not the app): overrides are
    read from them, so views and blueprints added after ``Cors(app)`` are seen.
    """

    def __init__(self, app: Flask, options: Options) -> None:
        self.app_options = options
        self.installed = False
        self._view_functions = app.view_functions
        self._blueprints = app.blueprints
        self._built: dict[Options, Policy] = {}
        #: endpoint (None: no route matched) -> policy (None: no CORS).
        self.by_endpoint: dict[str | None, Policy | None] = {None: self._policy(options)}

    def _policy(self, options: Options) -> Policy | None:
        if not options.enabled:
            return None
        policy = self._built.get(options)
        if policy is None:
            policy = self._built[options] = Policy(options)
        return policy

    def __call__(self, endpoint: str | None) -> Policy | None:
        try:
            return self.by_endpoint[endpoint]
        except KeyError:
            pass
        options = self.app_options
        name = endpoint or ""  # None (no route) is cached from the start
        # "outer.inner.view": blueprint "outer", then "outer.inner", then the view.
        parts = name.split(".")[:-1]
        layers: list[object] = [
            self._blueprints.get(".".join(parts[: i + 1])) for i in range(len(parts))
        ]
        layers.append(self._view_functions.get(name))
        for layer in layers:
            override = getattr(layer, _ATTR, None)
            if override:
                options = dataclasses.replace(options, **override)
        policy = self.by_endpoint[endpoint] = self._policy(options)
        return policy


# -- the middleware ---------------------------------------------------------------------


def _install(app: Flask, policies: _Policies) -> None:
    policies.installed = True
    target = app.wsgi_app
    if isinstance(target, ProxyFix):
        # Inside the host's ProxyFix, so a preflight is routed with the client's host.
        target.app = _middleware(target.app, app, policies)
    else:
        # Flask's documented way to add WSGI middleware, which mypy cannot tell from
        # assigning to a method.
        app.wsgi_app = _middleware(target, app, policies)  # type: ignore[method-assign,assignment]


def _middleware(wsgi_app: WSGIApplication, app: Flask, policies: _Policies) -> WSGIApplication:
    """Wrap ``wsgi_app``: answer preflights here, add CORS headers to other answers."""
    by_endpoint = policies.by_endpoint

    def preflight(
        environ: WSGIEnvironment, start_response: StartResponse, origin: str
    ) -> Iterable[bytes]:
        method = environ["HTTP_ACCESS_CONTROL_REQUEST_METHOD"]
        endpoint: str | None = None
        try:
            adapter = app.create_url_adapter(app.request_class(environ))
            if adapter is not None:
                endpoint = adapter.match(method=method)[0]
        except HTTPException:
            pass  # no route for this URL and method: the app-wide policy answers
        policy = policies(endpoint)
        if policy is None:
            status, headers = _refused()
        else:
            status, headers = policy.preflight(
                origin,
                method,
                environ.get("HTTP_ACCESS_CONTROL_REQUEST_HEADERS"),
                environ.get("HTTP_ACCESS_CONTROL_REQUEST_PRIVATE_NETWORK") == "true",
            )
        start_response(status, headers)
        return [] if status[0] == "2" else [REFUSED_BODY]

    def _first_sight(environ: WSGIEnvironment) -> Policy | None:
        rule = getattr(environ.get("werkzeug.request"), "url_rule", None)
        return policies(None if rule is None else rule.endpoint)

    def plugboard_cors(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        origin: str | None = environ.get("HTTP_ORIGIN")
        if (
            origin is not None
            and environ.get("REQUEST_METHOD") == "OPTIONS"
            and "HTTP_ACCESS_CONTROL_REQUEST_METHOD" in environ
        ):
            return preflight(environ, start_response, origin)

        def cors_start_response(
            status: str, headers: list[tuple[str, str]], exc_info: OptExcInfo | None = None
        ) -> Callable[[bytes], object]:
            # The request Flask made for this environ knows the endpoint it matched.
            try:
                policy = by_endpoint[environ["werkzeug.request"].url_rule.endpoint]
            except (KeyError, AttributeError):  # first sight, or no route matched
                policy = _first_sight(environ)
            if policy is not None:
                for name, _value in headers:
                    # The length test first: it spares a lower() for nearly every header.
                    if len(name) == _ACAO_LENGTH and name.lower() == _ACAO_LOWER:
                        break  # the view answered CORS itself: never send two answers
                else:
                    headers.extend(policy.headers_for(origin))
            return start_response(status, headers, exc_info)

        return wsgi_app(environ, cors_start_response)

    return plugboard_cors
