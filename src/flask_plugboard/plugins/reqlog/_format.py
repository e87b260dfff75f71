"""Turning one finished request into one log line: fields, redaction, escaping, formats.

Pure logic: no app, no request context. A request reaches the formats as an
:class:`Outcome` (what the middleware measured) plus its WSGI environ (what the client
sent). Everything a setting decides is worked out once, in :func:`make_formatter`.
"""

from __future__ import annotations

import dataclasses
import re
import string
import time
from collections.abc import Callable, Collection, Mapping, Sequence
from json.encoder import encode_basestring_ascii as _json_str
from typing import Any, NamedTuple
from urllib.parse import quote, unquote_plus

__all__ = [
    "FIELDS",
    "FORMATS",
    "Outcome",
    "Formatter",
    "check_template",
    "make_fields",
    "make_formatter",
    "redact_query",
]

#: The named formats; any other value of REQLOG_FORMAT is a template.
FORMATS = ("json", "combined")

#: Field name -> what it holds (the fields of templates, and of JSON lines except
#: ``time_clf`` and ``target``, which only repeat others).
FIELDS: Mapping[str, str] = {
    "time": "when the request arrived: ISO 8601 with milliseconds (2026-05-04T13:55:36.123Z)",
    "time_clf": "when the request arrived, as Apache writes it (04/May/2026:13:55:36 +0000)",
    "request_id": "the request id (also sent back in the X-Request-ID header)",
    "method": "the HTTP method",
    "route": "the URL rule that matched (/items/<int:id>), '-' when none did",
    "path": "the path as sent, percent-encoded",
    "query": "the query string, redacted, '' when there is none",
    "target": "the path, then '?' and the query when there is one",
    "protocol": "the HTTP version (HTTP/1.1)",
    "status": "the response status code (500 for an unhandled exception)",
    "bytes": "bytes of response body (0 for HEAD)",
    "duration_ms": "milliseconds from the request's arrival to the end of its response",
    "remote_addr": "the client address (proxy-aware with PLUGBOARD_PROXIES)",
    "user": "the user, from the plugboard_current_user hook; '-' when unknown",
    "referer": "the Referer header, its query redacted; '-' when absent",
    "user_agent": "the User-Agent header; '-' when absent",
    "error": "the type of an unhandled exception ('-' when there was none)",
    "headers": "the request headers listed in REQLOG_HEADERS, redacted (name=value ...)",
}

REDACTED = "***"
_EMPTY = '""'  # an empty JSON string
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

# Characters a path may hold unescaped in a log line: RFC 3986 pchar and "/", not "%"
# (PATH_INFO is decoded: a "%" in it was sent as "%25").
_PLAIN_PATH = re.compile(r"[A-Za-z0-9\-._~!$&'()*+,;=:@/]*").fullmatch
_PATH_SAFE = "/-._~!$&'()*+,;=:@"
# The query string is not decoded: its "%" escapes stay.
_PLAIN_QUERY = re.compile(r"[A-Za-z0-9\-._~!$&'()*+,;=:@/?%]*").fullmatch
_QUERY_SAFE = "/?-._~!$&'()*+,;=:@%"


class Outcome(NamedTuple):
    """What the middleware measured of one request (a tuple: cheap to make per request)."""

    #: Wall-clock time of arrival (``time.time()``).
    started: float
    status: int
    bytes: int
    seconds: float
    #: The URL rule's template, or ``None`` when no rule matched.
    route: str | None
    #: Type name of an unhandled exception, or ``None``.
    error: str | None
    request_id: str
    user: str | None


Formatter = Callable[[Mapping[str, Any], Outcome], str]


# -- pieces ---------------------------------------------------------------------------


def _wsgi_bytes(value: str) -> bytes:
    # WSGI strings carry the raw bytes as latin-1; a non-conforming server may not.
    try:
        return value.encode("latin-1")
    except UnicodeEncodeError:
        return value.encode("utf-8", "backslashreplace")


def url_path(environ: Mapping[str, Any]) -> str:
    """The request's path as the client sent it: script root and path, percent-encoded."""
    path: str = environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", "")
    if _PLAIN_PATH(path):
        return path
    return quote(_wsgi_bytes(path), safe=_PATH_SAFE)


def redact_query(query: str, names: Collection[str]) -> str:
    """Return ``query`` with the value of every parameter in ``names`` (lower-case) as ***.

    Names match case-insensitively, and percent-encoded names are decoded to match.
    Parameters keep their order and the rest stays as sent.
    """
    if not query or not names:
        return query
    parts = query.split("&")
    changed = False
    for i, part in enumerate(parts):
        name = part.split("=", 1)[0]
        if "%" in name or "+" in name:
            name = unquote_plus(name)
        if name.lower() in names:
            parts[i] = f"{part.split('=', 1)[0]}={REDACTED}"
            changed = True
    return "&".join(parts) if changed else query


def _clean_query(query: str) -> str:
    if _PLAIN_QUERY(query):
        return query
    return quote(_wsgi_bytes(query), safe=_QUERY_SAFE)


def _redact_url(url: str, names: Collection[str]) -> str:
    """``url`` with the query parameters in ``names`` redacted (for the Referer)."""
    if "?" not in url:
        return url
    base, _, query = url.partition("?")
    return f"{base}?{redact_query(query, names)}"


def escape(value: str) -> str:
    """Escape a value for a text log line as Apache does: ``\\"``, ``\\\\``, ``\\xhh``.

    Quotes, backslashes and control characters from a client can then neither end a
    quoted field nor start a new line.
    """
    if value.isascii() and value.isprintable() and '"' not in value and "\\" not in value:
        return value
    out = []
    for char in value:
        if char in '"\\':
            out.append("\\" + char)
        elif " " <= char <= "~":
            out.append(char)
        else:
            code = ord(char)
            out.append(f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")
    return "".join(out)


_MILLIS = tuple(f".{i:03d}" for i in range(1000))


class Clock:
    """Formats arrival times; the part down to the second is made once per second."""

    def __init__(self, utc: bool = True) -> None:
        self.utc = utc
        self._cached: tuple[int, str, str, str] = (-1, "", "", "")

    def iso(self, when: float) -> str:
        """ISO 8601 with milliseconds: ``2026-05-04T13:55:36.123Z`` (or ``+02:00``)."""
        second = int(when)
        cached = self._cached
        if cached[0] != second:
            cached = self._cached = (second, *self._second(second))
        return cached[1] + _MILLIS[int((when - second) * 1000)] + cached[2]

    def clf(self, when: float) -> str:
        """Apache's ``%t`` without the brackets: ``04/May/2026:13:55:36 +0000``."""
        second = int(when)
        cached = self._cached
        if cached[0] != second:
            cached = self._cached = (second, *self._second(second))
        return cached[3]

    def _second(self, second: int) -> tuple[str, str, str]:
        tm = time.gmtime(second) if self.utc else time.localtime(second)
        offset = tm.tm_gmtoff or 0
        sign = "-" if offset < 0 else "+"
        hours, minutes = divmod(abs(offset) // 60, 60)
        iso_offset = "Z" if self.utc else f"{sign}{hours:02d}:{minutes:02d}"
        iso = (
            f"{tm.tm_year:04d}-{tm.tm_mon:02d}-{tm.tm_mday:02d}"
            f"T{tm.tm_hour:02d}:{tm.tm_min:02d}:{tm.tm_sec:02d}"
        )
        # Month names in English whatever the locale, as Apache writes them.
        clf = (
            f"{tm.tm_mday:02d}/{_MONTHS[tm.tm_mon - 1]}/{tm.tm_year:04d}:"
            f"{tm.tm_hour:02d}:{tm.tm_min:02d}:{tm.tm_sec:02d} {sign}{hours:02d}{minutes:02d}"
        )
        return iso, iso_offset, clf


@dataclasses.dataclass(frozen=True)
class LoggedHeader:
    """A request header to log: its name, environ key, and whether it is redacted."""

    name: str
    key: str
    redacted: bool

    @classmethod
    def of(cls, name: str, redacted: Collection[str]) -> LoggedHeader:
        key = name.upper().replace("-", "_")
        if key not in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            key = f"HTTP_{key}"
        return cls(name, key, name.lower() in redacted)


def _header_values(
    environ: Mapping[str, Any], headers: Sequence[LoggedHeader]
) -> dict[str, str | None]:
    out: dict[str, str | None] = {}
    for header in headers:
        value = environ.get(header.key)
        out[header.name] = REDACTED if header.redacted and value is not None else value
    return out


# -- the formats ----------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class _Parts:
    """What every format needs, fixed at setup."""

    clock: Clock
    redact: frozenset[str]
    headers: tuple[LoggedHeader, ...]


def _json(parts: _Parts) -> Formatter:
    iso, redact, headers = parts.clock.iso, parts.redact, parts.headers
    esc = _json_str
    plain_path = _PLAIN_PATH

    def json_line(environ: Mapping[str, Any], o: Outcome) -> str:
        # One f-string, conditionals inline: this runs on every request. Values that
        # cannot hold a quote, a backslash or a control character are not escaped: the
        # request id (checked or made by the middleware), the path and the query
        # (percent-encoded here), numbers. The duration has three decimals: repr() of
        # round(ms, 3) measured 0.5 us, this 0.17 us.
        query = environ.get("QUERY_STRING")
        referer = environ.get("HTTP_REFERER")
        agent = environ.get("HTTP_USER_AGENT")
        remote = environ.get("REMOTE_ADDR")
        route = o.route
        path = environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", "")
        if not plain_path(path):
            path = quote(_wsgi_bytes(path), safe=_PATH_SAFE)
        line = (
            f'{{"time":"{iso(o.started)}",'
            f'"request_id":"{o.request_id}",'
            f'"method":{esc(environ.get("REQUEST_METHOD", ""))},'
            f'"route":{"null" if route is None else esc(route)},'
            f'"path":"{path}",'
            f'"query":"{_clean_query(redact_query(query, redact)) if query else ""}",'
            f'"protocol":{esc(environ.get("SERVER_PROTOCOL", ""))},'
            f'"status":{o.status},"bytes":{o.bytes},'
            f'"duration_ms":{o.seconds * 1000:.3f},'
            f'"remote_addr":{"null" if remote is None else esc(remote)},'
            f'"user":{"null" if o.user is None else esc(o.user)},'
            f'"referer":{"null" if referer is None else esc(_redact_url(referer, redact))},'
            f'"user_agent":{"null" if agent is None else esc(agent)},'
            f'"error":{"null" if o.error is None else esc(o.error)}'
        )
        if headers:
            pairs = ",".join(
                f"{esc(k)}:{'null' if v is None else esc(v)}"
                for k, v in _header_values(environ, headers).items()
            )
            line = f'{line},"headers":{{{pairs}}}'
        return line + "}"

    return json_line


def _target(environ: Mapping[str, Any], redact: Collection[str]) -> str:
    query = environ.get("QUERY_STRING", "")
    path = url_path(environ)
    if not query:
        return path
    return f"{path}?{_clean_query(redact_query(query, redact))}"


def _combined(parts: _Parts) -> Formatter:
    """Apache's combined format, exactly:
    ``%h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-agent}i"``."""
    clf, redact = parts.clock.clf, parts.redact

    def combined_line(environ: Mapping[str, Any], o: Outcome) -> str:
        referer = environ.get("HTTP_REFERER")
        agent = environ.get("HTTP_USER_AGENT")
        remote = environ.get("REMOTE_ADDR")
        request_line = (
            f"{environ.get('REQUEST_METHOD', '')} {_target(environ, redact)} "
            f"{environ.get('SERVER_PROTOCOL', '')}"
        )
        return (
            f"{escape(remote) if remote else '-'} - {escape(o.user) if o.user else '-'} "
            f'[{clf(o.started)}] "{escape(request_line)}" {o.status} '
            f"{o.bytes or '-'} "
            f'"{escape(_redact_url(referer, redact)) if referer else "-"}" '
            f'"{escape(agent) if agent else "-"}"'
        )

    return combined_line


def _query(environ: Mapping[str, Any], parts: _Parts) -> str:
    query: str = environ.get("QUERY_STRING", "")
    return _clean_query(redact_query(query, parts.redact)) if query else ""


def _referer(environ: Mapping[str, Any], parts: _Parts) -> str | None:
    referer: str | None = environ.get("HTTP_REFERER")
    return None if referer is None else _redact_url(referer, parts.redact)


_Getter = Callable[[Mapping[str, Any], Outcome, _Parts], Any]

#: How each field of :data:`FIELDS` is worked out (unescaped; ``None`` when absent).
_GETTERS: dict[str, _Getter] = {
    "time": lambda e, o, p: p.clock.iso(o.started),
    "time_clf": lambda e, o, p: p.clock.clf(o.started),
    "request_id": lambda e, o, p: o.request_id,
    "method": lambda e, o, p: e.get("REQUEST_METHOD", ""),
    "route": lambda e, o, p: o.route,
    "path": lambda e, o, p: url_path(e),
    "query": lambda e, o, p: _query(e, p),
    "target": lambda e, o, p: _target(e, p.redact),
    "protocol": lambda e, o, p: e.get("SERVER_PROTOCOL", ""),
    "status": lambda e, o, p: o.status,
    "bytes": lambda e, o, p: o.bytes,
    "duration_ms": lambda e, o, p: round(o.seconds * 1000, 3),
    "remote_addr": lambda e, o, p: e.get("REMOTE_ADDR"),
    "user": lambda e, o, p: o.user,
    "referer": lambda e, o, p: _referer(e, p),
    "user_agent": lambda e, o, p: e.get("HTTP_USER_AGENT"),
    "error": lambda e, o, p: o.error,
    "headers": lambda e, o, p: _header_values(e, p.headers),
}


def fields(environ: Mapping[str, Any], o: Outcome, parts: _Parts) -> dict[str, Any]:
    """Every field of :data:`FIELDS` for one request, unescaped; ``None`` when absent."""
    return {name: get(environ, o, parts) for name, get in _GETTERS.items()}


def _text(value: Any) -> Any:
    """A field's value ready for a text line: escaped, ``-`` when absent."""
    if value is None:
        return "-"
    if isinstance(value, str):
        return escape(value)
    if isinstance(value, dict):  # the logged headers
        return " ".join(f"{k}={_text(v)}" for k, v in value.items()) or "-"
    return value


def check_template(template: str, key: str = "REQLOG_FORMAT") -> None:
    """Raise ``ValueError`` naming the problem when ``template`` cannot format a line."""
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError as exc:
        raise ValueError(f"{key} = {template!r} is not a valid template: {exc}") from None
    names = [name for _, name, _, _ in parsed if name is not None]
    if not names:
        raise ValueError(
            f"{key} = {template!r}: expected 'json', 'combined' or a template with "
            f"{{field}} placeholders, like '{{time}} {{method}} {{path}} {{status}}'"
        )
    allowed = ", ".join(FIELDS)
    for name in names:
        if name not in FIELDS:
            raise ValueError(
                f"{key} = {template!r} uses the unknown field {name!r}: "
                f"the fields are {allowed}"
            )
    sample = Outcome(0.0, 200, 0, 0.0, "/", None, "0", None)
    parts = _Parts(Clock(), frozenset(), ())
    example = {name: _text(value) for name, value in fields({}, sample, parts).items()}
    try:
        template.format_map(example)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"{key} = {template!r} is not a valid template: {exc}") from None


def _template(parts: _Parts, template: str) -> Formatter:
    """A checked template: only the fields it names are worked out per request."""
    names = {name for _, name, _, _ in string.Formatter().parse(template) if name}
    getters = [(name, _GETTERS[name]) for name in names]
    format_map = template.format_map

    def template_line(environ: Mapping[str, Any], o: Outcome) -> str:
        return format_map({name: _text(get(environ, o, parts)) for name, get in getters})

    return template_line


def make_formatter(
    fmt: str,
    *,
    utc: bool = True,
    redact_query_names: Collection[str] = (),
    redact_header_names: Collection[str] = (),
    log_headers: Sequence[str] = (),
) -> Formatter:
    """The line formatter of ``fmt``: ``json``, ``combined`` or a checked template."""
    redacted_headers = {h.lower() for h in redact_header_names}
    parts = _Parts(
        clock=Clock(utc),
        redact=frozenset(n.lower() for n in redact_query_names),
        headers=tuple(LoggedHeader.of(h, redacted_headers) for h in log_headers),
    )
    if fmt == "json":
        return _json(parts)
    if fmt == "combined":
        return _combined(parts)
    check_template(fmt)
    return _template(parts, fmt)


def make_fields(
    *,
    utc: bool = True,
    redact_query_names: Collection[str] = (),
    redact_header_names: Collection[str] = (),
    log_headers: Sequence[str] = (),
) -> Callable[[Mapping[str, Any], Outcome], dict[str, Any]]:
    """A function returning :func:`fields` with these settings (for structured logging)."""
    redacted_headers = {h.lower() for h in redact_header_names}
    parts = _Parts(
        clock=Clock(utc),
        redact=frozenset(n.lower() for n in redact_query_names),
        headers=tuple(LoggedHeader.of(h, redacted_headers) for h in log_headers),
    )

    def request_fields(environ: Mapping[str, Any], o: Outcome) -> dict[str, Any]:
        return fields(environ, o, parts)

    return request_fields
