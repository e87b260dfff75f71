"""Compiling what applies to an endpoint into rules, once per endpoint and app.

A :class:`Rule` is one limit bound to everything a request needs: the storage call that
counts it, the key function, the scope, whether it fails closed. :class:`AppState` keeps
them per endpoint, so a request costs one dictionary lookup before the counting.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
from collections.abc import Callable

from flask import Flask, Request, current_app
from limits import RateLimitItem
from limits.strategies import RateLimiter

from flask_plugboard import get_state, import_object
from flask_plugboard.errors import SettingsError

from ._rules import (
    EXEMPT_ATTR,
    SPECS_ATTR,
    Fail,
    LimitInfo,
    LimitSpec,
    Strategy,
    is_login,
    parse_limits,
    policy_header,
    policy_name,
    split_limits,
)
from ._settings import RateLimitSettings
from ._storage import LIMITERS, make_hit, make_stats, make_storage, outage_errors

__all__ = ["STATE_KEY", "AppState", "KeyFunc", "Rule", "key_func", "limits_for"]

logger = logging.getLogger("flask_plugboard.plugins.ratelimit")

#: ``app.extensions`` key of the per-app :class:`AppState`.
STATE_KEY = "plugboard.ratelimit"

KeyFunc = Callable[[Request], "str | None"]


def limits_for(endpoint: str | None, app: Flask | None = None) -> list[LimitInfo]:
    """The limits that apply to requests to ``endpoint`` on ``app`` (default: current)."""
    target = current_app if app is None else app
    state: AppState | None = target.extensions.get(STATE_KEY)
    if state is None:
        return []
    return [rule.info for rule in state.rules(target, endpoint)]


class Outage:
    """Whether one limit's storage is down, so the outage is logged once."""

    __slots__ = ("down", "label")

    def __init__(self, label: str) -> None:
        self.down = False
        self.label = label

    def failed(self, exc: BaseException, closed: bool) -> None:
        if not self.down:
            self.down = True
            logger.warning(
                "rate limit %s cannot reach its storage (%s: %s): %s until it is back",
                self.label,
                type(exc).__name__,
                exc,
                "answering 503 (fails closed)" if closed else "serving unlimited (fails open)",
            )

    def recovered(self) -> None:
        self.down = False
        logger.info("rate limit %s: its storage is back, counting again", self.label)


class Rule:
    """One limit compiled for one endpoint."""

    __slots__ = (
        "item",
        "scope",
        "key",
        "hit",
        "stats",
        "limiter",
        "closed",
        "outage",
        "info",
        "policies",
    )

    def __init__(
        self,
        item: RateLimitItem,
        scope: str,
        key: KeyFunc,
        limiter: RateLimiter,
        closed: bool,
        outage: Outage,
        info: LimitInfo,
    ) -> None:
        self.item = item
        self.scope = scope
        self.key = key
        #: Count one request for a key; True when it is within the limit.
        self.hit = make_hit(limiter, item, scope)
        #: (reset time, remaining) of a key's window.
        self.stats = make_stats(limiter, item, scope)
        self.limiter = limiter
        self.closed = closed
        self.outage = outage
        self.info = info
        #: The endpoint's RateLimit-Policy header (all its limits), set once built.
        self.policies = ""


def _addr(req: Request) -> str:
    return req.environ.get("REMOTE_ADDR") or "unknown"


class AppState:
    """Per-app state: settings, storage, strategies and the endpoint -> rules cache."""

    def __init__(self, app: Flask, settings: RateLimitSettings) -> None:
        self.settings = settings
        self.storage = make_storage(app, settings)
        # Memory storage has no outages: an empty tuple, which an except clause never matches.
        self.errors = outage_errors(self.storage)
        self.limiters: dict[str, RateLimiter] = {}
        self.cache: dict[str | None, tuple[Rule, ...]] = {}
        self.outages: dict[tuple[str, str], Outage] = {}
        self.keys: dict[object, KeyFunc] = {}
        self.limiter(settings.strategy, "RATELIMIT_STRATEGY")

    def limiter(self, strategy: Strategy, where: str) -> RateLimiter:
        found = self.limiters.get(strategy)
        if found is None:
            try:
                found = self.limiters[strategy] = LIMITERS[strategy](self.storage)
            except NotImplementedError:
                raise SettingsError(
                    f"{where} = {strategy!r} is not supported by the "
                    f"{type(self.storage).__name__} storage: use 'fixed-window' or a "
                    "storage that has it (memory, redis)"
                ) from None
        return found

    def key_func(self, app: Flask, key: object, where: str) -> KeyFunc:
        found = self.keys.get(key)
        if found is None:
            found = self.keys[key] = key_func(app, key, where)
        return found

    def rules(self, app: Flask, endpoint: str | None) -> tuple[Rule, ...]:
        try:
            return self.cache[endpoint]
        except KeyError:
            rules = self.cache[endpoint] = self.build(app, endpoint)
            return rules

    def build(self, app: Flask, endpoint: str | None) -> tuple[Rule, ...]:
        """Work out the rules of ``endpoint``: route, else blueprint, else default limits."""
        s = self.settings
        view = app.view_functions.get(endpoint) if endpoint else None
        blueprints = _blueprint_names(endpoint)
        if getattr(view, EXEMPT_ATTR, False) or endpoint in s.exempt:
            return ()
        for name in blueprints:
            bp = app.blueprints.get(name)
            if name in s.exempt or getattr(bp, EXEMPT_ATTR, False):
                return ()
        label = endpoint or "unmatched"
        login = is_login(label)
        parts: list[tuple[LimitSpec, str, str]] = []  # spec, scope, where
        for spec in getattr(view, SPECS_ATTR, ()):
            where = f"@limit on {label!r}"
            if spec.shared is None:
                parts.append((spec, label, where))
            elif spec.items:
                parts.append((spec, f"shared:{spec.shared}", where))
            else:
                items = self.shared_items(spec.shared, where)
                parts.append(
                    (dataclasses.replace(spec, items=items), f"shared:{spec.shared}", where)
                )
        if endpoint in s.routes:
            where = f"RATELIMIT_ROUTES[{endpoint!r}]"
            own, shared = split_limits(s.routes[endpoint], where)
            if own:
                parts.append((LimitSpec(items=tuple(own)), label, where))
            for name in shared:
                parts.append(
                    (
                        LimitSpec(items=self.shared_items(name, where), shared=name),
                        f"shared:{name}",
                        where,
                    )
                )
        if not parts:
            for name in blueprints:
                bp_specs = list(getattr(app.blueprints.get(name), SPECS_ATTR, ()))
                if name in s.blueprints:
                    where = f"RATELIMIT_BLUEPRINTS[{name!r}]"
                    bp_specs.append(LimitSpec(items=tuple(parse_limits(s.blueprints[name], where))))
                if bp_specs:
                    parts = [(spec, f"bp:{name}", f"blueprint {name!r}") for spec in bp_specs]
                    break
        if not parts and s.default and not _is_static(endpoint):
            items = tuple(parse_limits(s.default, "RATELIMIT_DEFAULT"))
            parts = [(LimitSpec(items=items), label, "RATELIMIT_DEFAULT")]
        rules = [
            self.rule(app, spec, item, scope, where, login)
            for spec, scope, where in parts
            for item in spec.items
        ]
        header = policy_header([(r.info.policy, r.item) for r in rules])
        for rule in rules:
            rule.policies = header
        return tuple(rules)

    def shared_items(self, name: str, where: str) -> tuple[RateLimitItem, ...]:
        if name not in self.settings.shared:
            raise SettingsError(
                f"{where} uses the shared limit {name!r}, which is not defined: add it to "
                f"RATELIMIT_SHARED ({{'{name}': '5/minute'}}) or give @limit a limit string"
            )
        return tuple(parse_limits(self.settings.shared[name], f"RATELIMIT_SHARED[{name!r}]"))

    def rule(
        self, app: Flask, spec: LimitSpec, item: RateLimitItem, scope: str, where: str, login: bool
    ) -> Rule:
        s = self.settings
        strategy = spec.strategy or s.strategy
        key = spec.key if spec.key is not None else s.key
        login = login or spec.login or (spec.shared is not None and is_login(spec.shared))
        fail: Fail = spec.fail or ("closed" if login else s.fail)
        # Namespaced copy: the prefix keeps apps sharing a storage apart, the strategy
        # keeps a change of strategy from meeting keys of another shape (Redis: WRONGTYPE).
        item = type(item)(item.amount, item.multiples, namespace=f"{s.key_prefix}/{strategy}")
        policy = policy_name(scope, item)
        outage = self.outages.setdefault((scope, repr(item)), Outage(f"{item!r} on {scope}"))
        info = LimitInfo(
            limit=repr(item),
            amount=item.amount,
            window=item.get_expiry(),
            scope=scope,
            key=key if isinstance(key, str) else getattr(key, "__qualname__", repr(key)),
            strategy=strategy,
            fail=fail,
            policy=policy,
        )
        return Rule(
            item,
            scope,
            self.key_func(app, key, f"{where} key" if spec.key is not None else "RATELIMIT_KEY"),
            self.limiter(strategy, f"{where} strategy"),
            fail == "closed",
            outage,
            info,
        )


def _blueprint_names(endpoint: str | None) -> list[str]:
    """Blueprints of an endpoint, innermost first: ``a.b.view`` -> ``["a.b", "a"]``."""
    if not endpoint or "." not in endpoint:
        return []
    parts = endpoint.split(".")[:-1]
    return [".".join(parts[:i]) for i in range(len(parts), 0, -1)]


def _is_static(endpoint: str | None) -> bool:
    return endpoint is not None and (endpoint == "static" or endpoint.endswith(".static"))


def key_func(app: Flask, key: object, where: str) -> KeyFunc:
    """The function that turns a request into the string a limit counts."""
    if key == "remote_addr":
        return _addr
    if key == "user":
        state = get_state(app, default=None)
        hook = state.hook.plugboard_current_user if state is not None else None
        if hook is None or not hook.get_hookimpls():
            return _addr

        def by_user(req: Request) -> str:
            user = hook(request=req)
            return f"user:{user}" if user else _addr(req)

        return by_user
    if isinstance(key, str) and key.startswith("api_key:"):
        environ_key = "HTTP_" + key.partition(":")[2].upper().replace("-", "_")

        def by_api_key(req: Request) -> str:
            value = req.environ.get(environ_key)
            if not value:
                return _addr(req)
            # Hashed: storage keys are listable by whoever reads the storage.
            return "key:" + hashlib.sha256(value.encode()).hexdigest()[:32]

        return by_api_key
    func = key
    if isinstance(key, str):
        try:
            func = import_object(key)
        except (ImportError, AttributeError) as exc:
            raise SettingsError(
                f"{where} = {key!r} cannot be imported ({exc}): write 'package.module:function'"
            ) from None
    if not callable(func):
        raise SettingsError(f"{where} = {key!r} is not a function taking the request")
    custom: Callable[[Request], object] = func

    def by_function(req: Request) -> str | None:
        value = custom(req)
        return None if value is None else str(value)

    return by_function
