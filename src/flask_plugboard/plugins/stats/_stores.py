"""Where the sums go: this process's memory, or Redis shared by every worker and host.

The Redis store never talks to Redis on a request's thread. A background thread (started
lazily in each worker process, so never in a gunicorn master before it forks) sends what
the process recorded every ``STATS_FLUSH_INTERVAL`` seconds, in one round trip: a Lua
script that applies the batch's ``HINCRBY``/``HINCRBYFLOAT`` atomically, once (a batch
carries an id, so one sent again after a lost reply is not added twice); at exit it sends
the rest. When Redis does not answer, the sums stay in the process (bounded: one row per
endpoint, one point per chart interval), a single warning is logged, and the next flush
tries again.
"""

from __future__ import annotations

import atexit
import json
import logging
import os
import threading
import uuid
import weakref
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import urlsplit, urlunsplit

from ._figures import NBUCKETS, STATUS_CLASSES, Endpoint, Figures, Interval, Slow
from ._recorder import Recorder

if TYPE_CHECKING:
    import redis

__all__ = ["MemoryStore", "RedisStore", "Store", "safe_url"]

#: Failed sends kept apart before the newest ones are merged (see ``RedisStore._flush``).
MAX_BATCHES = 32
#: Seconds Redis remembers the id of a batch it applied, so a batch sent again (its reply
#: was lost) is not added twice.
BATCH_TTL = 3600

# Applies one batch unless a batch of the same id was applied already (KEYS[1] is the
# batch's id key): a send that failed after Redis applied it is retried without counting
# twice. ARGV[1] is the id's time to live, then the writes, each an op letter and its
# arguments: i/f key field n (HINCRBY/HINCRBYFLOAT), e key ttl (EXPIRE), z key score
# member (ZADD), t key n (keep the n highest scores). The keys are not declared in KEYS,
# so this needs a single Redis, not Redis Cluster.
_APPLY = """
if not redis.call('SET', KEYS[1], '1', 'NX', 'EX', ARGV[1]) then return 0 end
local i = 2
while i <= #ARGV do
  local op = ARGV[i]
  if op == 'i' then
    redis.call('HINCRBY', ARGV[i + 1], ARGV[i + 2], ARGV[i + 3]); i = i + 4
  elseif op == 'f' then
    redis.call('HINCRBYFLOAT', ARGV[i + 1], ARGV[i + 2], ARGV[i + 3]); i = i + 4
  elseif op == 'z' then
    redis.call('ZADD', ARGV[i + 1], ARGV[i + 2], ARGV[i + 3]); i = i + 4
  elseif op == 'e' then
    redis.call('EXPIRE', ARGV[i + 1], ARGV[i + 2]); i = i + 3
  elseif op == 't' then
    redis.call('ZREMRANGEBYRANK', ARGV[i + 1], 0, -(tonumber(ARGV[i + 2]) + 1)); i = i + 3
  else
    return redis.error_reply('unknown op ' .. op)
  end
end
return 1
"""


class Store(Protocol):
    recorder: Recorder
    kind: str
    #: False until the store is ready in this process (checked on the request path).
    running: bool

    def ensure_started(self) -> None: ...

    def read(self) -> tuple[Figures, dict[str, Any]]:
        """Every figure (merged over workers for Redis), and the store's state."""
        ...


def safe_url(url: str) -> str:
    """``url`` without its password, for log lines and pages."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    user = f"{parts.username}:***@" if parts.username else ":***@"
    return urlunsplit(parts._replace(netloc=user + host))


class MemoryStore:
    """Figures of this process only (each gunicorn worker counts its own)."""

    kind = "memory"

    def __init__(self, recorder: Recorder) -> None:
        self.recorder = recorder
        self.running = True

    def ensure_started(self) -> None:
        return None

    def read(self) -> tuple[Figures, dict[str, Any]]:
        return self.recorder.figures(), {"kind": self.kind}


class RedisStore:
    """Figures of every process that writes under ``prefix`` in one Redis."""

    kind = "redis"

    def __init__(
        self,
        recorder: Recorder,
        client: Callable[[], redis.Redis],
        url: str,
        prefix: str,
        flush_interval: float,
        logger: logging.Logger,
    ) -> None:
        self.recorder = recorder
        self._client = client
        self.url = safe_url(url)
        self.prefix = prefix
        self.flush_interval = flush_interval
        self.logger = logger
        #: Batches not known to be in Redis: ``(id, figures)``, oldest first.
        self._batches: list[tuple[str, Figures]] = []
        self._flush_lock = threading.Lock()
        self._wake = threading.Event()
        self._pid = 0
        #: False until the flusher runs in this process; read on the request path.
        self.running = False
        self.reachable = True
        self.last_error = ""
        ref = weakref.ref(self)
        os.register_at_fork(after_in_child=lambda: _call(ref, "_after_fork"))
        atexit.register(_call, ref, "_at_exit")

    # -- the flusher thread ------------------------------------------------------------

    def ensure_started(self) -> None:
        """Start this process's flusher thread unless it runs already."""
        if self._pid == os.getpid():
            self.running = True
            return
        with self._flush_lock:
            if self._pid == os.getpid():
                return
            self._pid = os.getpid()
            self._wake = threading.Event()
            thread = threading.Thread(
                target=_flusher,
                args=(weakref.ref(self), self._wake),
                daemon=True,
                name=f"plugboard-stats-flusher-{self._pid}",
            )
            try:
                thread.start()
            except RuntimeError:  # the interpreter is shutting down: the exit flush ran
                self._pid = 0
                return
            self.running = True

    def _after_fork(self) -> None:
        # The parent sends what it recorded; the child starts from zero with its own
        # thread (threads do not survive a fork) and its own locks.
        self.recorder.reset()
        self._batches = []
        self._flush_lock = threading.Lock()
        self._pid = 0
        self.running = False
        self.reachable = True

    def _at_exit(self) -> None:
        if self._pid == os.getpid():
            self.close()

    def close(self) -> None:
        """Stop this process's flusher and send what is left (at exit, or in tests)."""
        self._wake.set()
        self._pid = 0
        self.running = False
        self.flush()

    # -- writing -------------------------------------------------------------------------

    def flush(self) -> bool:
        """Send what this process recorded; ``False`` when Redis did not take it."""
        with self._flush_lock:
            return self._flush()

    def _flush(self) -> bool:
        batch = self.recorder.take()
        oldest = self.recorder.oldest()
        if not batch.empty():
            self._batches.append((uuid.uuid4().hex, batch))
        if len(self._batches) > MAX_BATCHES:
            # Only after that many failed sends in a row: the newest batches were almost
            # surely refused at connect (nothing applied), so merging them is safe.
            (_, newer), (_, newest) = self._batches[-2:]
            newer.merge(newest, self.recorder.keep_slow)
            self._batches[-2:] = [(uuid.uuid4().hex, newer)]
        if not self._batches:
            return True
        import redis

        try:
            pipe = self._client().pipeline(transaction=False)
            for batch_id, figures in self._batches:
                figures.forget_before(oldest)
                pipe.eval(_APPLY, 1, f"{self.prefix}batch:{batch_id}", *self._writes(figures))
            pipe.execute()
        except redis.RedisError as exc:
            self._failed(exc)
            return False
        if not self.reachable:
            self.reachable = True
            self.logger.warning(
                "stats: Redis at %s answers again; the figures kept meanwhile are sent",
                self.url,
            )
        self._batches = []
        return True

    def _failed(self, exc: Exception) -> None:
        self.last_error = f"{type(exc).__name__}: {exc}"
        if self.reachable:
            self.reachable = False
            self.logger.warning(
                "stats: Redis at %s is unreachable (%s): requests are served as usual and "
                "their figures are kept in this process until Redis is back; this is "
                "logged once",
                self.url,
                self.last_error,
            )

    def _unsent(self) -> Figures:
        out = Figures()
        for _, figures in self._batches:
            out.merge(figures, self.recorder.keep_slow)
        return out

    def _writes(self, figures: Figures) -> list[Any]:
        """Arguments of :data:`_APPLY` adding ``figures``."""
        ttl = self._ttl()
        args: list[Any] = [BATCH_TTL]
        totals = self.prefix + "totals"
        for name, ep in figures.endpoints.items():
            args += ["i", totals, f"count|{name}", ep.count]
            args += ["f", totals, f"seconds|{name}", repr(ep.seconds)]
            for cls, n in ep.status.items():
                args += ["i", totals, f"status|{cls}|{name}", n]
            for i, n in enumerate(ep.buckets):
                if n:
                    args += ["i", totals, f"bucket|{i}|{name}", n]
        for collector, values in figures.collected.items():
            for name, value in values.items():
                args += ["f", totals, f"collector|{collector}|{name}", repr(value)]
        for at, point in figures.intervals.items():
            key = f"{self.prefix}interval:{at}"
            args += ["i", key, "count", point.count]
            if point.errors:
                args += ["i", key, "errors", point.errors]
            if point.server_errors:
                args += ["i", key, "5xx", point.server_errors]
            args += ["f", key, "seconds", repr(point.seconds)]
            for i, n in enumerate(point.buckets):
                if n:
                    args += ["i", key, f"b{i}", n]
            args += ["e", key, ttl]
        keep = self.recorder.keep_slow
        by_interval: dict[int, list[Slow]] = {}
        for slow in figures.slowest:
            by_interval.setdefault(self._interval_of(slow.at), []).append(slow)
        for at, slows in by_interval.items():
            key = f"{self.prefix}slow:{at}"
            for slow in slows:
                args += ["z", key, repr(slow.seconds), json.dumps(slow.as_json(), sort_keys=True)]
            args += ["t", key, keep, "e", key, ttl]
        return args

    def _ttl(self) -> int:
        return self.recorder.interval * (self.recorder.history + 1)

    def _interval_of(self, at: float) -> int:
        step = self.recorder.interval
        return int(at // step) * step

    # -- reading -------------------------------------------------------------------------

    def read(self) -> tuple[Figures, dict[str, Any]]:
        """Send this process's figures, then read everyone's: one round trip each.

        Holding the flush lock keeps a flush of the background thread from landing
        between the two, which would count its batch twice or not at all.
        """
        import redis

        self.ensure_started()
        with self._flush_lock:
            self._flush()
            recorder = self.recorder
            oldest = recorder.oldest()
            starts = range(oldest, oldest + recorder.history * recorder.interval, recorder.interval)
            try:
                pipe = self._client().pipeline(transaction=False)
                pipe.hgetall(self.prefix + "totals")
                for at in starts:
                    pipe.hgetall(f"{self.prefix}interval:{at}")
                for at in starts:
                    pipe.zrange(f"{self.prefix}slow:{at}", 0, -1, withscores=True)
                replies = pipe.execute()
            except redis.RedisError as exc:
                self._failed(exc)
                figures = self._unsent()
            else:
                figures = _parse(replies, list(starts), recorder.keep_slow)
                figures.merge(self._unsent(), recorder.keep_slow)
            state = {
                "kind": self.kind,
                "url": self.url,
                "prefix": self.prefix,
                "reachable": self.reachable,
                "unsent": sum(e.count for e in self._unsent().endpoints.values()),
            }
            if not self.reachable:
                state["error"] = self.last_error
            return figures, state


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _parse(replies: list[Any], starts: list[int], keep_slow: int) -> Figures:
    """Figures from the replies of :meth:`RedisStore.read`'s pipeline."""
    out = Figures()
    totals, rest = replies[0], replies[1:]
    for raw_field, raw_value in totals.items():
        field, value = _text(raw_field), _text(raw_value)
        kind, _, name = field.partition("|")
        if kind in ("count", "seconds"):
            ep = out.endpoints.setdefault(name, Endpoint())
            if kind == "count":
                ep.count = int(value)
            else:
                ep.seconds = float(value)
        elif kind in ("status", "bucket", "collector"):
            sub, _, name = name.partition("|")
            if kind == "collector":
                out.collected.setdefault(sub, {})[name] = float(value)
                continue
            ep = out.endpoints.setdefault(name, Endpoint())
            if kind == "status" and sub in STATUS_CLASSES:
                ep.status[sub] = int(value)
            elif kind == "bucket" and sub.isdigit() and int(sub) < NBUCKETS:
                ep.buckets[int(sub)] = int(value)
    for at, point in zip(starts, rest[: len(starts)], strict=True):
        if point:
            fields = {_text(k): _text(v) for k, v in point.items()}
            interval = Interval(
                count=int(fields.get("count", 0)),
                errors=int(fields.get("errors", 0)),
                server_errors=int(fields.get("5xx", 0)),
                seconds=float(fields.get("seconds", 0.0)),
            )
            interval.buckets = [int(fields.get(f"b{i}", 0)) for i in range(NBUCKETS)]
            out.intervals[at] = interval
    for members in rest[len(starts) :]:
        for member, _score in members:
            try:
                out.add_slow(Slow(**json.loads(_text(member))), keep_slow)
            except (TypeError, ValueError):
                continue  # not ours: another writer under the same prefix
    return out


def _call(ref: weakref.ref[RedisStore], method: str) -> None:
    store = ref()
    if store is not None:
        getattr(store, method)()


def _flusher(ref: weakref.ref[RedisStore], wake: threading.Event) -> None:
    """Flush every interval until the store is gone or the process exits."""
    while True:
        store = ref()
        if store is None or store._wake is not wake:
            return
        interval = store.flush_interval
        try:
            store.flush()
        except Exception:  # the thread must outlive any surprise; the log says what broke
            store.logger.exception("stats: flushing to Redis failed")
        del store
        if wake.wait(interval):
            return
