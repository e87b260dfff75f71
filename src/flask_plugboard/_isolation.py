"""Failure isolation for hook implementations.

pluggy stops a hook call at the first implementation that raises. The host registers,
instead of each plugin object, a proxy whose hook methods are guarded: an exception is
logged with the plugin's name, counted, and the call goes on with the other plugins.
When one hook implementation fails ``PLUGBOARD_QUARANTINE_AFTER`` times in a row, all the
plugin's implementations are unregistered (quarantined), so it costs nothing afterwards.
A guard adds one Python call and a zero-cost ``try`` to a hook call: close to a bare
pluggy call.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
import logging
import threading
from collections.abc import Callable
from typing import Any

import pluggy

from ._hookcheck import hook_implementations
from .markers import PROJECT

__all__ = ["HookHealth", "guarded_proxy"]

logger = logging.getLogger("flask_plugboard")


@dataclasses.dataclass
class HookHealth:
    """Failure counters of one plugin on one app.

    Failures in a row are counted per hook implementation: a success of one hook does not
    excuse another that fails on every call. When one implementation reaches
    ``quarantine_after`` failures in a row, the whole plugin is quarantined, not just that
    hook: a plugin's hooks share its state (``request_started`` starts what
    ``request_finished`` ends), and a plugin half running is harder to reason about than
    one stopped.
    """

    plugin: str
    quarantine_after: int
    failures: int = 0
    in_a_row: dict[str, int] = dataclasses.field(default_factory=dict)
    quarantined: bool = False
    last_error: str | None = None
    on_quarantine: Callable[[HookHealth], None] | None = None
    lock: threading.Lock = dataclasses.field(default_factory=threading.Lock, repr=False)

    @property
    def consecutive(self) -> int:
        """The longest run of failures in a row of any one hook implementation."""
        return max(self.in_a_row.values(), default=0)

    def record_success(self, hook: str) -> None:
        if self.in_a_row.get(hook):
            self.in_a_row[hook] = 0

    def record_failure(self, hook: str, exc: BaseException) -> None:
        with self.lock:
            self.failures += 1
            run = self.in_a_row[hook] = self.in_a_row.get(hook, 0) + 1
            self.last_error = f"{hook}: {type(exc).__name__}: {exc}"
            quarantine = (
                not self.quarantined and self.quarantine_after > 0 and run >= self.quarantine_after
            )
            if quarantine:
                self.quarantined = True
        logger.error(
            "plugin %r: hook %s raised (%d in a row); the request goes on without it",
            self.plugin,
            hook,
            run,
            exc_info=exc,
        )
        if quarantine:
            logger.error(
                "plugin %r quarantined after its hook %s failed %s in a row; "
                "fix it and restart the app",
                self.plugin,
                hook,
                "once" if run == 1 else f"{run} times",
            )
            if self.on_quarantine is not None:
                self.on_quarantine(self)


def _guard(fn: Callable[..., Any], hook: str, health: HookHealth) -> Callable[..., Any]:
    @functools.wraps(fn)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        try:
            result = fn(*args, **kwargs)
        except Exception as exc:  # a plugin's bug must not fail the request
            health.record_failure(hook, exc)
            return None
        health.record_success(hook)
        return result

    return guarded


class _Proxy:
    """Stands in for a plugin object in the plugin manager."""

    def __init__(self, plugin: object) -> None:
        self._plugboard_target = plugin

    def __repr__(self) -> str:
        return f"<guarded {self._plugboard_target!r}>"


def guarded_proxy(plugin: object, health: HookHealth, pm: pluggy.PluginManager) -> object:
    """Return an object exposing ``plugin``'s hook implementations, each guarded.

    Wrapper implementations (``wrapper=True`` / ``hookwrapper=True``) are generators that
    pluggy drives itself; they are passed through unguarded.
    """
    proxy = _Proxy(plugin)
    for attr, value, opts in hook_implementations(pm, plugin):
        if opts.get("wrapper") or opts.get("hookwrapper") or inspect.isgeneratorfunction(value):
            setattr(proxy, attr, value)
            continue
        hook_name = opts.get("specname") or attr
        wrapped = _guard(value, hook_name, health)
        setattr(wrapped, f"{PROJECT}_impl", opts)
        setattr(proxy, attr, wrapped)
    return proxy
