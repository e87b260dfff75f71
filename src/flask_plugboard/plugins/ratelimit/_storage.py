"""The storage behind the limits, and the one call per limit and request that counts.

Storages and strategies are the ``limits`` library's. Two things are ours: Redis goes
through the app's shared client (:mod:`flask_plugboard.connections`), and limits' memory
storage is swept by one long-lived thread instead of a timer thread started anew every
10 ms (each start made requests wait for the thread switch: up to several microseconds a
request on a busy machine).
"""

from __future__ import annotations

import os
import threading
import time
import weakref
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from flask import Flask
from limits import RateLimitItem
from limits.errors import ConfigurationError, StorageError
from limits.storage import MemoryStorage, RedisStorage, Storage, storage_from_string
from limits.strategies import (
    FixedWindowRateLimiter,
    MovingWindowRateLimiter,
    RateLimiter,
    SlidingWindowCounterRateLimiter,
)

from flask_plugboard.connections import redis_client, redis_url
from flask_plugboard.errors import SettingsError

from ._settings import RateLimitSettings

__all__ = ["LIMITERS", "make_hit", "make_stats", "make_storage", "outage_errors"]

LIMITERS: dict[str, type[RateLimiter]] = {
    "fixed-window": FixedWindowRateLimiter,
    "moving-window": MovingWindowRateLimiter,
    "sliding-window-counter": SlidingWindowCounterRateLimiter,
}

#: Seconds between two sweeps of expired entries out of the memory storage.
SWEEP_EVERY = 1.0


def make_storage(app: Flask, settings: RateLimitSettings) -> Storage:
    """The storage of ``RATELIMIT_STORAGE_URL``, else ``PLUGBOARD_REDIS_URL``, else memory."""
    url = redis_url(app, settings.storage_url) or "memory://"
    scheme = urlsplit(url).scheme
    source = "RATELIMIT_STORAGE_URL" if settings.storage_url else "PLUGBOARD_REDIS_URL"
    if scheme in ("redis", "rediss"):
        timeout = settings.storage_timeout or None
        client = redis_client(app, url, socket_timeout=timeout, socket_connect_timeout=timeout)
        return RedisStorage(url, connection_pool=client.connection_pool, wrap_exceptions=True)
    if scheme == "memory":
        return _swept_memory()
    try:
        storage = storage_from_string(url, wrap_exceptions=True)
    except ConfigurationError as exc:
        # The URL may hold a password: name its scheme only.
        raise SettingsError(
            f"{source} (scheme {scheme!r}) is not a storage limits knows "
            f"({type(exc).__name__}): "
            "use memory://, redis://host:6379/0, memcached://host:11211 or another "
            "limits storage URL, with its client package installed"
        ) from None
    if not isinstance(storage, Storage):
        raise SettingsError(f"{source} (scheme {scheme!r}) is an async storage: drop 'async+'")
    return storage


def outage_errors(storage: Storage) -> tuple[type[BaseException], ...]:
    """The errors that mean the storage is down (none for memory, which cannot be)."""
    if isinstance(storage, MemoryStorage):
        return ()
    base = storage.base_exceptions
    return (StorageError, *(base if isinstance(base, tuple) else (base,)))


class _Sweeper:
    """Sweeps one memory storage every second from one daemon thread."""

    def __init__(self, storage: MemoryStorage) -> None:
        self.storage = weakref.ref(storage)
        #: Process that runs the thread: a fork leaves the thread behind.
        self.pid = 0
        self.lock = threading.Lock()

    def ensure(self) -> None:
        """Start the thread unless this process runs it (limits calls this on every count)."""
        if self.pid != os.getpid():
            with self.lock:
                if self.pid != os.getpid():
                    threading.Thread(
                        target=self.run, name="plugboard-ratelimit-sweeper", daemon=True
                    ).start()
                    self.pid = os.getpid()

    def run(self) -> None:
        while True:
            time.sleep(SWEEP_EVERY)
            storage = self.storage()
            if storage is None:
                return  # the app is gone
            getattr(storage, "_MemoryStorage__expire_events")()  # noqa: B009 - name-mangled
            del storage


def _swept_memory() -> MemoryStorage:
    storage = MemoryStorage(wrap_exceptions=True)
    if hasattr(storage, "_MemoryStorage__expire_events") and hasattr(
        storage, "_MemoryStorage__schedule_expiry"
    ):
        # Replaces, on this instance only, the method that restarts limits' timer.
        setattr(storage, "_MemoryStorage__schedule_expiry", _Sweeper(storage).ensure)  # noqa: B010
    for name in ("incr", "get"):
        # limits wraps these to turn a storage's own errors into StorageError; memory
        # storage raises none, so this instance calls them unwrapped (one call less each).
        method = getattr(MemoryStorage, name)
        setattr(storage, name, getattr(method, "__wrapped__", method).__get__(storage))
    return storage


def make_hit(limiter: RateLimiter, item: RateLimitItem, scope: str) -> Callable[[str], bool]:
    """``limiter.hit(item, scope, key)`` with the storage key built from precomputed parts.

    The strategy's ``hit`` is one storage call; making it here, with the key's fixed
    parts joined once, halves the cost per request. The storage key is checked against
    ``item.key_for`` so the counts are the ones ``get_window_stats`` reads.
    """
    probe = "\x00"
    prefix, _, suffix = item.key_for(scope, probe).partition(probe)
    amount, expiry = item.amount, item.get_expiry()
    storage: Any = limiter.storage
    if isinstance(limiter, FixedWindowRateLimiter):
        incr = storage.incr

        def fixed(key: str) -> bool:
            return bool(incr(prefix + key + suffix, expiry) <= amount)

        return fixed
    if isinstance(limiter, MovingWindowRateLimiter):
        acquire = storage.acquire_entry
    elif isinstance(limiter, SlidingWindowCounterRateLimiter):
        acquire = storage.acquire_sliding_window_entry
    else:  # pragma: no cover - every strategy in _LIMITERS is handled above
        return lambda key: limiter.hit(item, scope, key)

    def acquire_one(key: str) -> bool:
        return bool(acquire(prefix + key + suffix, amount, expiry))

    return acquire_one


def make_stats(
    limiter: RateLimiter, item: RateLimitItem, scope: str
) -> Callable[[str], tuple[float, int]]:
    """``limiter.get_window_stats(item, scope, key)``: (reset time, remaining).

    For a fixed window it is two storage reads on the key built as in :func:`make_hit`,
    without building the key twice as the strategy does.
    """
    if not isinstance(limiter, FixedWindowRateLimiter):
        return lambda key: tuple(limiter.get_window_stats(item, scope, key))  # type: ignore[return-value]
    probe = "\x00"
    prefix, _, suffix = item.key_for(scope, probe).partition(probe)
    amount = item.amount
    storage: Any = limiter.storage
    get, get_expiry = storage.get, storage.get_expiry

    def fixed(key: str) -> tuple[float, int]:
        full = prefix + key + suffix
        return float(get_expiry(full)), max(0, amount - int(get(full)))

    return fixed
