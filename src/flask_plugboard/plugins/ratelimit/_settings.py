"""Settings of the ratelimit plugin, checked at start-up."""

from __future__ import annotations

import dataclasses
from typing import Literal
from urllib.parse import urlsplit

from flask_plugboard import setting
from flask_plugboard.errors import SettingsError

from ._rules import STRATEGIES, Fail, Strategy, check_key, parse_limits, split_limits

__all__ = ["RateLimitSettings"]


@dataclasses.dataclass(frozen=True)
class RateLimitSettings:
    """Settings of the ratelimit plugin (prefix ``RATELIMIT_``)."""

    default: str = setting(
        "",
        doc="Limits of every route that has no limit of its own or of its blueprint, "
        "counted per route ('100/minute; 1000/hour'). Empty: none.",
    )
    routes: dict[str, str] = setting(
        {},
        doc="Limits per endpoint: {'api.export': '10/hour'}. '@name' adds the shared "
        "limit 'name' ('@login; 100/day').",
    )
    blueprints: dict[str, str] = setting(
        {},
        doc="Limits per blueprint, counted across all its routes: {'api': '1000/hour'}.",
    )
    shared: dict[str, str] = setting(
        {},
        doc="Named limits counted across every route that uses them (@limit(shared=name) "
        "or '@name' in RATELIMIT_ROUTES): {'login': '5/minute'}.",
    )
    exempt: list[str] = setting([], doc="Endpoints and blueprint names that are never limited.")
    strategy: Strategy = setting(
        "fixed-window", choices=STRATEGIES, doc="The default counting strategy."
    )
    key: str = setting(
        "remote_addr",
        doc="Who a limit counts: 'remote_addr' (the client address; proxy-aware when "
        "PLUGBOARD_PROXIES is set), 'user' (from the plugboard_current_user hook, else "
        "the address), 'api_key:<Header-Name>' (else the address), or the import path "
        "of a function taking the request and returning a string (None: not counted).",
    )
    storage_url: str | None = setting(
        None,
        secret=True,
        doc="Where counts are stored, as a limits storage URL (memory://, redis://..., "
        "memcached://...). Default: PLUGBOARD_REDIS_URL when set, else memory://.",
    )
    storage_timeout: float = setting(
        0.5,
        min=0,
        doc="Seconds to wait for the Redis storage before counting it as down (used when "
        "this plugin makes the app's Redis client).",
    )
    key_prefix: str = setting(
        "plugboard",
        doc="First part of every storage key, to keep apps sharing a storage apart.",
    )
    fail: Fail = setting(
        "open",
        choices=("open", "closed"),
        doc="When the storage is down: 'open' serves the request (logged once until it "
        "is back), 'closed' answers 503. Login-type limits fail closed unless they say "
        "otherwise.",
    )
    headers: Literal["rejected", "always"] = setting(
        "rejected",
        choices=("rejected", "always"),
        doc="When to send the RateLimit-Policy and RateLimit headers: on 429 responses "
        "only, or on every limited response (one more storage read per limit).",
    )
    x_headers: bool = setting(
        False,
        doc="Also send the older X-RateLimit-Limit, -Remaining and -Reset (epoch seconds) "
        "of the tightest limit, where RATELIMIT_HEADERS sends the IETF headers.",
    )
    enabled: bool = setting(True, doc="Enforce limits. Off: nothing is counted.")

    def __post_init__(self) -> None:
        if self.default:
            parse_limits(self.default, "RATELIMIT_DEFAULT")
        for endpoint, value in self.routes.items():
            split_limits(value, f"RATELIMIT_ROUTES[{endpoint!r}]")
        for name, value in self.blueprints.items():
            parse_limits(value, f"RATELIMIT_BLUEPRINTS[{name!r}]")
        for name, value in self.shared.items():
            parse_limits(value, f"RATELIMIT_SHARED[{name!r}]")
        check_key(self.key, "RATELIMIT_KEY")
        if urlsplit(self.storage_url or "memory://").scheme == "":
            raise SettingsError(
                "RATELIMIT_STORAGE_URL is not a storage URL: write it like "
                "redis://127.0.0.1:6379/0 or memory://"
            )
