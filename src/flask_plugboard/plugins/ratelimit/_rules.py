"""Pure logic of the rate limiter: limit strings, key names, strategies, headers, workers.

Nothing here touches an app or a request: it is tested on its own, and everything it
decides is worked out once at start-up (or once per endpoint), never per request.
"""

from __future__ import annotations

import dataclasses
import math
import re
import shlex
from collections.abc import Mapping, Sequence
from typing import Literal

from limits import RateLimitItem, parse_many

from flask_plugboard.errors import SettingsError

__all__ = [
    "EXEMPT_ATTR",
    "KEY_NAMES",
    "SPECS_ATTR",
    "STRATEGIES",
    "LimitInfo",
    "LimitSpec",
    "check_key",
    "check_limits",
    "is_login",
    "parse_limits",
    "policy_header",
    "split_limits",
    "worker_count",
]

Strategy = Literal["fixed-window", "moving-window", "sliding-window-counter"]
Fail = Literal["open", "closed"]

#: Strategy names, as ``limits`` spells them.
STRATEGIES: tuple[Strategy, ...] = ("fixed-window", "moving-window", "sliding-window-counter")

#: Attribute of a view or blueprint holding its ``@limit`` specs / its exemption.
SPECS_ATTR = "_plugboard_ratelimit"
EXEMPT_ATTR = "_plugboard_ratelimit_exempt"

#: The built-in keys; ``api_key:<Header-Name>`` and import paths come on top.
KEY_NAMES = ("remote_addr", "user")

_HEADER = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_IMPORT_PATH = re.compile(r"[A-Za-z_][\w.]*[:.][A-Za-z_][\w.]*")
_LOGIN = re.compile(r"(?:^|[._])(?:login|signin|sign_in|token)(?:$|[._])")


def parse_limits(value: str, where: str) -> list[RateLimitItem]:
    """Parse ``"100/minute; 1000/hour"`` into limit items, or raise naming ``where``."""
    if not isinstance(value, str) or not value.strip():
        raise SettingsError(
            f"{where} = {value!r} is not a rate limit: write it like '100/minute' "
            "or '10/second; 1000/hour'"
        )
    try:
        items = parse_many(value)
    except ValueError:
        items = []
    if not items:
        raise SettingsError(
            f"{where} = {value!r} is not a rate limit: write it like '100/minute', "
            "'5 per 10 seconds' or '10/second; 1000/hour' (units: second, minute, hour, "
            "day, month, year)"
        )
    if any(item.amount < 1 for item in items):
        raise SettingsError(f"{where} = {value!r}: a limit must allow at least 1 request")
    return list(items)


def check_limits(value: str, setting: str) -> None:
    """Check a rate-limit string (``"10/minute; 100/hour"``) that another plugin takes as
    a setting, raising :class:`~flask_plugboard.SettingsError` naming ``setting``.

    For a plugin's settings ``__post_init__``, so a wrong limit fails at start-up with the
    plugin's own setting named, as the ratelimit plugin's own settings do.
    """
    parse_limits(value, setting)


def split_limits(value: str, where: str) -> tuple[list[RateLimitItem], list[str]]:
    """Split a route's config value into limits and ``@name`` references to shared limits."""
    if not isinstance(value, str):
        raise SettingsError(f"{where} = {value!r} is not a rate limit string")
    parts = [p.strip() for p in re.split(r"[;,|]", value) if p.strip()]
    shared = [p[1:].strip() for p in parts if p.startswith("@")]
    own = "; ".join(p for p in parts if not p.startswith("@"))
    if any(not name for name in shared):
        raise SettingsError(f"{where} = {value!r}: '@' must be followed by a shared limit name")
    return (parse_limits(own, where) if own or not shared else []), shared


def check_key(key: object, where: str) -> None:
    """Check a key setting: a built-in name, ``api_key:<Header>`` or an import path."""
    if callable(key):
        return
    if isinstance(key, str):
        if key in KEY_NAMES:
            return
        if key.startswith("api_key:") and _HEADER.fullmatch(key.partition(":")[2]):
            return
        if _IMPORT_PATH.fullmatch(key):
            return
    raise SettingsError(
        f"{where} = {key!r} is not a rate-limit key: use 'remote_addr', 'user', "
        "'api_key:<Header-Name>' (like 'api_key:X-Api-Key'), a function taking the "
        "request, or its import path ('myapp.limits:by_tenant')"
    )


def check_strategy(strategy: object, where: str) -> Strategy:
    """Return ``strategy`` if it names a strategy, else raise naming ``where``."""
    for name in STRATEGIES:
        if strategy == name:
            return name
    raise SettingsError(
        f"{where} = {strategy!r} is not a rate-limit strategy: use one of "
        + ", ".join(repr(s) for s in STRATEGIES)
    )


def check_fail(fail: object, where: str) -> Fail | None:
    """Return ``"open"``, ``"closed"`` or ``None`` (the default), else raise."""
    if fail is None or fail == "open" or fail == "closed":
        return fail
    raise SettingsError(f"{where} = {fail!r}: use 'open', 'closed' or None (the default)")


def is_login(name: str) -> bool:
    """Whether an endpoint or shared-limit name looks like a login: such limits fail closed.

    The last part of the name (after the blueprint) is ``login``, ``signin``,
    ``sign_in`` or ``token``, alone or joined by ``_`` (``auth.login``, ``login_post``,
    ``api.token``).
    """
    return bool(_LOGIN.search(name))


@dataclasses.dataclass(frozen=True)
class LimitSpec:
    """One ``@limit(...)`` on a view, as written (checked, not yet bound to an app)."""

    items: tuple[RateLimitItem, ...]
    key: object = None
    strategy: Strategy | None = None
    fail: Fail | None = None
    shared: str | None = None
    login: bool = False


@dataclasses.dataclass(frozen=True)
class LimitInfo:
    """One limit that applies to a route, as other plugins (auth, apidocs) see it."""

    #: ``"10 per 1 minute"``.
    limit: str
    #: Requests allowed per window.
    amount: int
    #: Window length in seconds.
    window: int
    #: What the count is shared across: the endpoint, ``bp:<blueprint>`` or ``shared:<name>``.
    scope: str
    #: The key: ``remote_addr``, ``user``, ``api_key:<Header>`` or a function's name.
    key: str
    strategy: Strategy
    fail: Fail
    #: The policy name in the ``RateLimit-Policy`` and ``RateLimit`` headers.
    policy: str

    def as_dict(self) -> dict[str, object]:
        """The info as plain JSON-ready data."""
        return dataclasses.asdict(self)


def policy_name(scope: str, item: RateLimitItem) -> str:
    """The IETF policy name of a limit: ``<scope>/<window seconds>``, ASCII without quotes."""
    safe = re.sub(r'[^\x20-\x7e]|["\\]', "_", scope)
    return f"{safe}/{item.get_expiry()}"


def policy_header(policies: Sequence[tuple[str, RateLimitItem]]) -> str:
    """``RateLimit-Policy`` value: ``"default/60";q=100;w=60`` per limit."""
    return ", ".join(f'"{name}";q={item.amount};w={item.get_expiry()}' for name, item in policies)


def ratelimit_header(name: str, remaining: int, reset: float) -> str:
    """``RateLimit`` value of one limit: ``"default/60";r=0;t=37``."""
    return f'"{name}";r={max(0, remaining)};t={max(0, math.ceil(reset))}'


def worker_count(argv: Sequence[str], environ: Mapping[str, str]) -> int:
    """How many worker processes the server runs, as far as can be told (1 when unknown).

    ``WEB_CONCURRENCY`` (read by gunicorn and most platforms) wins; else, in a gunicorn
    process, ``-w``/``--workers`` from its command line or ``GUNICORN_CMD_ARGS``.
    """
    raw = environ.get("WEB_CONCURRENCY", "")
    if raw.strip().isdigit():
        return int(raw)
    under_gunicorn = bool(argv) and "gunicorn" in argv[0].rsplit("/", 1)[-1]
    if not under_gunicorn and "GUNICORN_CMD_ARGS" not in environ:
        return 1
    args = [
        *(argv[1:] if under_gunicorn else []),
        *shlex.split(environ.get("GUNICORN_CMD_ARGS", "")),
    ]
    count = 1
    for i, arg in enumerate(args):
        value = None
        if arg in ("-w", "--workers") and i + 1 < len(args):
            value = args[i + 1]
        elif arg.startswith("--workers="):
            value = arg.partition("=")[2]
        elif arg.startswith("-w") and arg[2:].isdigit():
            value = arg[2:]
        if value is not None and value.isdigit():
            count = int(value)
    return count
