"""Shared connections to outside services, one pool per app and URL.

Plugins that store in Redis ask for a client here instead of making their own pool, so
an app with several such plugins opens one pool per URL (per process: a pool is never
shared across a fork, so each gunicorn worker gets its own).
"""

from __future__ import annotations

import os
import threading
from typing import TYPE_CHECKING, Any

from flask import Flask

from .errors import PlugboardError

if TYPE_CHECKING:
    import redis

__all__ = ["redis_client", "redis_url"]

_KEY = "plugboard.redis"
_lock = threading.Lock()


def redis_url(app: Flask, own: str | None = None) -> str | None:
    """The Redis URL a plugin should use: its own setting, else ``PLUGBOARD_REDIS_URL``."""
    if own:
        return own
    url = app.config.get("PLUGBOARD_REDIS_URL")
    return str(url) if url else None


def redis_client(app: Flask, url: str, **options: Any) -> redis.Redis:
    """A Redis client for ``url`` on ``app``, made once per process and reused.

    ``options`` go to :meth:`redis.Redis.from_url` the first time (for example
    ``socket_timeout``). Raises :class:`~flask_plugboard.PlugboardError` naming the fix
    when the ``redis`` package is missing or the URL is not a Redis URL.
    """
    try:
        import redis
    except ImportError:  # pragma: no cover - redis is a dependency; kept for vendored installs
        raise PlugboardError(
            "Redis storage needs the 'redis' package: pip install redis"
        ) from None
    pid = os.getpid()
    cache: dict[tuple[int, str], redis.Redis] = app.extensions.setdefault(_KEY, {})
    key = (pid, url)
    client = cache.get(key)
    if client is None:
        with _lock:
            client = cache.get(key)
            if client is None:
                try:
                    client = redis.Redis.from_url(url, **options)
                except ValueError as exc:
                    raise PlugboardError(
                        f"{url!r} is not a Redis URL ({exc}): write it like "
                        "redis://127.0.0.1:6379/0"
                    ) from None
                cache[key] = client
    return client
