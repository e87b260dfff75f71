"""CORS policies: validating what may be allowed, and the headers each answer carries.

Pure logic, no Flask: tested without an app. Everything is checked and worked out when a
policy is built (at start-up, or when a view or blueprint is declared), so answering a
request is a dictionary lookup and, for origin patterns, one ``fullmatch``.

Origins are exact strings, compared byte for byte with the request's ``Origin`` header,
or regular expressions the caller compiled on purpose (``re.compile(...)``, or
``{"regex": "..."}`` in JSON/environment config), matched with ``fullmatch``. A string is
never guessed to be a pattern: that guess, and matching by substring, are where
well-known CORS extensions got their security advisories.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Mapping
from typing import Any

__all__ = [
    "ANY",
    "REFUSED_BODY",
    "Options",
    "Policy",
    "PolicyError",
    "parse_override",
    "parse_options",
    "refused",
]

ANY = "*"
Headers = tuple[tuple[str, str], ...]

_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
# scheme "://" host [":" port]: the serialisation browsers send in the Origin header.
_ORIGIN = re.compile(
    r"(?P<scheme>[a-z][a-z0-9+.\-]*)://"
    r"(?P<host>[a-z0-9](?:[a-z0-9\-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9\-]*[a-z0-9])?)*"
    r"|\[[0-9a-f:.]+\])"
    r"(?::(?P<port>[0-9]{1,5}))?"
)
_DEFAULT_PORTS = {"http": "80", "https": "443"}
_PATTERN_CHARS = frozenset("*^$\\()[]{}|+?")

#: Preflight refusal: no CORS header, so the browser refuses; 403 says so explicitly
#: (the Fetch standard's suggestion for a server that wants to denote a refusal).
REFUSED_BODY = b"CORS preflight refused: this origin may not send this request here.\n"


class PolicyError(ValueError):
    """A CORS option is not valid; the message names the option and the fix."""


@dataclasses.dataclass(frozen=True)
class Options:
    """Validated CORS options of one level: the app, a blueprint or a view."""

    exact: tuple[str, ...] = ()
    patterns: tuple[re.Pattern[str], ...] = ()
    any_origin: bool = False
    methods: tuple[str, ...] = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")
    allow_headers: tuple[str, ...] = ("Content-Type",)
    expose_headers: tuple[str, ...] = ()
    allow_credentials: bool = False
    max_age: int | None = 600
    allow_private_network: bool = False

    @property
    def enabled(self) -> bool:
        """Whether any cross-origin caller is allowed at all."""
        return self.any_origin or bool(self.exact or self.patterns)


# -- parsing -------------------------------------------------------------------------


def _items(value: Any, key: str) -> list[Any]:
    """A list from a list, or from a comma-separated string (environment variables)."""
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    if isinstance(value, list | tuple | set | frozenset):
        return list(value)
    raise PolicyError(f"{key} = {value!r} is not valid: expected a list of strings")


def _origin(text: str, key: str) -> str:
    """Check that ``text`` is an origin as browsers send it; return it."""
    hint = (
        "an origin is scheme://host[:port], in lowercase, as browsers send it in the "
        "Origin header, e.g. 'https://app.example.com'"
    )
    if text == "null":
        raise PolicyError(
            f"{key}: 'null' cannot be allowed: it is the origin of sandboxed iframes, "
            "data: URLs and file: pages, which any website can produce; list the real "
            "origins instead"
        )
    if _PATTERN_CHARS & set(text):
        raise PolicyError(
            f"{key}: {text!r} is not an origin; strings only match exactly and are never "
            "read as patterns. For a pattern, pass re.compile(r'^https://[a-z0-9-]+"
            r"\.example\.com$') from Python, or {\"regex\": \"...\"} from JSON or the "
            "environment; it must match the whole origin"
        )
    match = _ORIGIN.fullmatch(text)
    if match is None:
        lowered = text.lower().rstrip("/")
        if lowered != text and _ORIGIN.fullmatch(lowered):
            raise PolicyError(
                f"{key}: {text!r} would never match: write {lowered!r}, as browsers send "
                "it (lowercase, no trailing slash)"
            )
        raise PolicyError(f"{key}: {text!r} is not valid: {hint}; no path, no trailing slash")
    port = match.group("port")
    if port is not None and not 0 < int(port) < 65536:
        raise PolicyError(f"{key}: {text!r} is not valid: the port must be 1 to 65535")
    if port is not None and _DEFAULT_PORTS.get(match.group("scheme")) == port:
        bare = text.rsplit(":", 1)[0]
        raise PolicyError(
            f"{key}: {text!r} never matches: browsers leave the default port out of the "
            f"Origin header; write {bare!r}"
        )
    return text


def _pattern(value: Any, key: str) -> re.Pattern[str]:
    if isinstance(value, re.Pattern):
        if not isinstance(value.pattern, str):
            raise PolicyError(f"{key}: {value!r} is a bytes pattern: compile a str pattern")
        return value
    if isinstance(value, Mapping) and set(value) == {"regex"} and isinstance(value["regex"], str):
        try:
            return re.compile(value["regex"])
        except re.error as exc:
            raise PolicyError(
                f"{key}: the regex {value['regex']!r} does not compile: {exc}"
            ) from None
    raise PolicyError(
        f"{key}: {value!r} is not valid: each origin is an exact string, a compiled "
        're.Pattern, or {"regex": "<pattern matching the whole origin>"}'
    )


def _origins(value: Any, key: str) -> tuple[tuple[str, ...], tuple[re.Pattern[str], ...], bool]:
    items = [value] if isinstance(value, re.Pattern | Mapping) else _items(value, key)
    if ANY in items:
        if len(items) > 1:
            raise PolicyError(
                f"{key}: '*' allows every origin, so it cannot be listed with others: "
                "use '*' alone, or list only the origins to allow"
            )
        return (), (), True
    exact: list[str] = []
    patterns: list[re.Pattern[str]] = []
    for item in items:
        if isinstance(item, str):
            exact.append(_origin(item, key))
        else:
            patterns.append(_pattern(item, key))
    return tuple(dict.fromkeys(exact)), tuple(patterns), False


def _tokens(value: Any, key: str, *, upper: bool = False, star: bool = True) -> tuple[str, ...]:
    out: list[str] = []
    for item in _items(value, key):
        if not isinstance(item, str) or not _TOKEN.fullmatch(item):
            raise PolicyError(
                f"{key}: {item!r} is not a valid HTTP method or header name (a token: "
                "letters, digits and !#$%&'*+-.^_`|~)"
            )
        if item == ANY and not star:
            raise PolicyError(
                f"{key}: '*' is not accepted here: list the names (with credentials, "
                "browsers read '*' as a header literally named '*')"
            )
        out.append(item.upper() if upper else item)
    if ANY in out and len(out) > 1:
        raise PolicyError(f"{key}: '*' already allows every name: use it alone")
    return tuple(dict.fromkeys(out))


def _max_age(value: Any, key: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise PolicyError(f"{key} = {value!r} is not valid: expected seconds (an int >= 0) or None")
    return value


def _bool(value: Any, key: str) -> bool:
    if not isinstance(value, bool):
        raise PolicyError(f"{key} = {value!r} is not valid: expected True or False")
    return value


_PARSERS = {
    "methods": lambda v, k: _tokens(v, k, upper=True),
    "allow_headers": lambda v, k: _tokens(v, k),
    "expose_headers": lambda v, k: _tokens(v, k, star=False),
    "allow_credentials": _bool,
    "max_age": _max_age,
    "allow_private_network": _bool,
}
OPTION_NAMES = ("origins", *_PARSERS)


def _check_credentials(options: Options, origins_key: str, credentials_key: str) -> None:
    if options.any_origin and options.allow_credentials:
        raise PolicyError(
            f"{origins_key} = '*' cannot go with {credentials_key} = True: browsers refuse "
            "credentials with a wildcard origin, and echoing any origin instead would let "
            f"every website act as your users. List the origins in {origins_key}, or set "
            f"{credentials_key} = False"
        )


def parse_options(values: Mapping[str, Any], keys: Mapping[str, str]) -> Options:
    """Build app-level :class:`Options` from every option (``keys``: name -> config key)."""
    exact, patterns, any_origin = _origins(values["origins"], keys["origins"])
    parsed: dict[str, Any] = {n: parse(values[n], keys[n]) for n, parse in _PARSERS.items()}
    options = Options(exact=exact, patterns=patterns, any_origin=any_origin, **parsed)
    _check_credentials(options, keys["origins"], keys["allow_credentials"])
    return options


def parse_override(values: Mapping[str, Any]) -> dict[str, Any]:
    """Validate the options given to ``@cors(...)`` or ``cors_blueprint(...)``.

    Returns the :class:`Options` fields to replace over the enclosing level's. The origins
    and ``allow_credentials`` go together: where ``origins`` is given, credentials are
    off unless given too, so a view can never inherit credentials for a '*' it declares.
    """
    unknown = sorted(set(values) - set(OPTION_NAMES))
    if unknown:
        raise PolicyError(
            f"unknown option(s) {', '.join(unknown)}: the options are {', '.join(OPTION_NAMES)}"
        )
    if "allow_credentials" in values and "origins" not in values:
        raise PolicyError(
            "allow_credentials needs origins in the same declaration: say which origins "
            "may send credentials (origins=['https://app.example.com'])"
        )
    out: dict[str, Any] = {n: p(values[n], n) for n, p in _PARSERS.items() if n in values}
    if "origins" in values:
        exact, patterns, any_origin = _origins(values["origins"], "origins")
        out.update(exact=exact, patterns=patterns, any_origin=any_origin)
        out.setdefault("allow_credentials", False)
        _check_credentials(Options(**out), "origins", "allow_credentials")
    return out


# -- answers -------------------------------------------------------------------------


def _request_headers(value: str) -> list[str]:
    return [name for part in value.split(",") if _TOKEN.fullmatch(name := part.strip())]


class Policy:
    """The CORS answers of one endpoint, precomputed from its :class:`Options`."""

    __slots__ = (
        "options",
        "_exact",
        "_patterns",
        "_no_match",
        "_for_any",
        "_credentials",
        "_expose",
        "_methods",
        "_allow_headers",
        "_preflight_common",
        "_preflight_vary",
    )

    def __init__(self, options: Options) -> None:
        self.options = o = options
        credentials = [("Access-Control-Allow-Credentials", "true")] if o.allow_credentials else []
        expose = (
            [("Access-Control-Expose-Headers", ", ".join(o.expose_headers))]
            if o.expose_headers
            else []
        )
        self._credentials = tuple(credentials)
        self._expose = tuple(expose)
        #: Headers of an actual request from an allowed origin, by origin.
        self._exact: dict[str, Headers] = {origin: self._allowed(origin) for origin in o.exact}
        self._patterns = o.patterns
        # The answer depends on the origin (so caches must know) unless it is '*' for all.
        self._no_match: Headers = (("Vary", "Origin"),)
        self._for_any: Headers | None = (
            (("Access-Control-Allow-Origin", ANY), *expose) if o.any_origin else None
        )
        self._methods = None if ANY in o.methods else ", ".join(o.methods)
        self._allow_headers = (
            None if ANY in o.allow_headers else frozenset(h.lower() for h in o.allow_headers)
        )
        common = list(credentials)
        if o.max_age is not None:
            common.append(("Access-Control-Max-Age", str(o.max_age)))
        self._preflight_common = tuple(common)
        vary = "Origin, Access-Control-Request-Method, Access-Control-Request-Headers"
        if o.allow_private_network:
            vary += ", Access-Control-Request-Private-Network"
        self._preflight_vary = vary

    def _allowed(self, origin: str) -> Headers:
        return (
            ("Access-Control-Allow-Origin", origin),
            ("Vary", "Origin"),
            *self._credentials,
            *self._expose,
        )

    def allows(self, origin: str) -> bool:
        """Whether ``origin`` (the Origin header's value) may read the answers."""
        if self._for_any is not None or origin in self._exact:
            return True
        # A pattern only ever sees a well-formed origin: never 'null', '' or a path,
        # whatever it would happen to match.
        return _ORIGIN.fullmatch(origin) is not None and any(
            p.fullmatch(origin) for p in self._patterns
        )

    def headers_for(self, origin: str | None) -> Headers:
        """Headers to add to an actual (non-preflight) response. ``origin`` may be None."""
        if self._for_any is not None:
            return self._for_any
        if origin is None:
            return self._no_match
        found = self._exact.get(origin)
        if found is not None:
            return found
        if self._patterns and self.allows(origin):
            return self._allowed(origin)
        return self._no_match

    def preflight(
        self, origin: str, method: str, request_headers: str | None, private_network: bool
    ) -> tuple[str, list[tuple[str, str]]]:
        """Status and headers answering a preflight (``OPTIONS`` with the request headers).

        Refused (origin not allowed): 403 with no CORS header. Otherwise 204 with the
        allowed methods and, of the requested headers, those allowed (compared without
        regard to case); the browser refuses a method or header missing from them and
        names it in its console.
        """
        vary = ("Vary", self._preflight_vary)
        if not self.allows(origin):
            return "403 Forbidden", [
                vary,
                ("Content-Type", "text/plain; charset=utf-8"),
                ("Content-Length", str(len(REFUSED_BODY))),
            ]
        headers = [
            ("Access-Control-Allow-Origin", ANY if self._for_any is not None else origin),
            vary,
            *self._preflight_common,
        ]
        if self._methods is not None:
            headers.append(("Access-Control-Allow-Methods", self._methods))
        elif _TOKEN.fullmatch(method):
            headers.append(("Access-Control-Allow-Methods", method))
        if request_headers:
            allowed = self._allow_headers
            names = [
                n
                for n in _request_headers(request_headers)
                if allowed is None or n.lower() in allowed
            ]
            if names:
                headers.append(("Access-Control-Allow-Headers", ", ".join(names)))
        if private_network and self.options.allow_private_network:
            headers.append(("Access-Control-Allow-Private-Network", "true"))
        return "204 No Content", headers  # no Content-Length: RFC 9110 forbids it on 204


def refused(vary: Iterable[str] = ("Origin",)) -> tuple[str, list[tuple[str, str]]]:
    """The preflight answer where no policy applies: 403, no CORS header."""
    return "403 Forbidden", [
        ("Vary", ", ".join(vary)),
        ("Content-Type", "text/plain; charset=utf-8"),
        ("Content-Length", str(len(REFUSED_BODY))),
    ]
