"""The per-process side of the stats plugin: what the request path costs, and the sums.

Per request the middleware appends one tuple to a :class:`collections.deque` (atomic
under the GIL, so threads never wait on a lock and nothing is lost). The tuples are
added up into flat lists, a batch at a time, by whoever comes next: a read, the Redis
flusher, or the request that finds the queue long. :meth:`Recorder.take` hands the sums
over as :class:`~._figures.Figures` and starts afresh.
"""

from __future__ import annotations

import heapq
import threading
import time
from bisect import bisect_left
from collections import deque
from time import perf_counter
from typing import Any

from ._figures import BOUNDS, NBUCKETS, UNMATCHED, Endpoint, Figures, Interval, Slow

__all__ = ["DRAIN_AT", "Recorder"]

#: Queue length at which the request that appends also adds the queue up, which bounds
#: the memory held by a process nobody reads.
DRAIN_AT = 512

# Flat per-endpoint sums: [count, seconds, 1xx, 2xx, 3xx, 4xx, 5xx, bucket 0, ...]
_STATUS0 = 2  # index of 1xx; the class of status "Nxx" is at ord("N") - 47
_BUCKET0 = 7
# Flat per-interval sums: [count, errors, 5xx, seconds, bucket 0, ...]
_IBUCKET0 = 4


class Recorder:
    """Request records of one process, summed in batches.

    ``interval`` is the length in seconds of a chart point, ``history`` how many are
    kept, ``keep_slow`` how many of the slowest requests.
    """

    def __init__(self, interval: int, history: int, keep_slow: int) -> None:
        self.interval = interval
        self.history = history
        self.keep_slow = keep_slow
        #: ``(rule or None, status line, start, end, method, path)`` per request.
        self.queue: deque[tuple[Any, str, float, float, str, str]] = deque()
        #: ``(collector, endpoint, value)`` per collected value.
        self.values: deque[tuple[str, str, float]] = deque()
        self.reset()

    def reset(self) -> None:
        """Forget everything (also called in a forked child: the parent keeps its own)."""
        self.queue.clear()
        self.values.clear()
        self._lock = threading.Lock()
        # perf_counter() + offset = wall clock time (close enough for chart points).
        self._offset = time.time() - perf_counter()
        self._endpoints: dict[str, list[Any]] = {}
        self._intervals: dict[int, list[Any]] = {}
        self._collected: dict[str, dict[str, float]] = {}
        self._slowest: list[tuple[float, float, str, str, str, str]] = []

    def drain(self) -> None:
        """Add up every queued record (the queue may grow meanwhile: those wait)."""
        with self._lock:
            self._drain()

    def _drain(self) -> None:
        pop = self.queue.popleft
        endpoints = self._endpoints
        intervals = self._intervals
        slowest = self._slowest
        keep = self.keep_slow
        floor = slowest[0][0] if len(slowest) >= keep and slowest else 0.0
        interval = self.interval
        offset = self._offset
        bounds = BOUNDS
        lo = hi = 0.0
        point: list[Any] = []
        for _ in range(len(self.queue)):
            rule, status, start, end, method, path = pop()
            name = UNMATCHED if rule is None else rule.rule
            sums = endpoints.get(name)
            if sums is None:
                sums = endpoints[name] = [0, 0.0] + [0] * (5 + NBUCKETS)
            seconds = end - start
            bucket = bisect_left(bounds, seconds)
            cls = ord(status[0]) - 47
            sums[0] += 1
            sums[1] += seconds
            if 2 <= cls <= 6:
                sums[cls] += 1
            sums[_BUCKET0 + bucket] += 1
            wall = end + offset
            if not lo <= wall < hi:  # most records fall in the interval of the one before
                at = int(wall // interval) * interval
                lo, hi = at, at + interval
                found = intervals.get(at)
                if found is None:
                    found = intervals[at] = [0, 0, 0, 0.0] + [0] * NBUCKETS
                point = found
            point[0] += 1
            if cls >= 5:
                point[1] += 1
                if cls == 6:
                    point[2] += 1
            point[3] += seconds
            point[_IBUCKET0 + bucket] += 1
            if seconds > floor and keep:
                entry = (seconds, wall, name, method, path, status)
                if len(slowest) < keep:
                    heapq.heappush(slowest, entry)
                else:
                    heapq.heapreplace(slowest, entry)
                if len(slowest) >= keep:
                    floor = slowest[0][0]
        values = self.values
        collected = self._collected
        for _ in range(len(values)):
            collector, endpoint, value = values.popleft()
            mine = collected.setdefault(collector, {})
            mine[endpoint] = mine.get(endpoint, 0.0) + value
        oldest = self.oldest()
        if len(intervals) > self.history:
            for at in [a for a in intervals if a < oldest]:
                del intervals[at]

    def oldest(self, now: float | None = None) -> int:
        """Start of the oldest chart point still kept."""
        now = time.time() if now is None else now
        return int(now // self.interval) * self.interval - (self.history - 1) * self.interval

    def figures(self) -> Figures:
        """A copy of the sums so far, as :class:`Figures` (drains the queue first)."""
        with self._lock:
            self._drain()
            return self._figures()

    def take(self) -> Figures:
        """The sums so far as :class:`Figures`; the recorder starts again from zero."""
        with self._lock:
            self._drain()
            out = self._figures()
            self._endpoints, self._intervals, self._collected = {}, {}, {}
            self._slowest = []
            return out

    def _figures(self) -> Figures:
        out = Figures()
        for name, sums in self._endpoints.items():
            out.endpoints[name] = Endpoint(
                count=sums[0],
                seconds=sums[1],
                status={f"{i + 1}xx": sums[_STATUS0 + i] for i in range(5) if sums[_STATUS0 + i]},
                buckets=list(sums[_BUCKET0:]),
            )
        oldest = self.oldest()
        for at, point in self._intervals.items():
            if at >= oldest:
                out.intervals[at] = Interval(
                    count=point[0],
                    errors=point[1],
                    server_errors=point[2],
                    seconds=point[3],
                    buckets=list(point[_IBUCKET0:]),
                )
        out.collected = {name: dict(values) for name, values in self._collected.items()}
        for seconds, when, name, method, path, status in self._slowest:
            if when >= oldest:
                code = int(status[:3]) if status[:3].isdigit() else 0
                out.slowest.append(Slow(seconds, when, name, method, path, code))
        heapq.heapify(out.slowest)
        return out
