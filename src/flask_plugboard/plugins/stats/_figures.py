"""The figures of the stats plugin, with no I/O and no Flask: histogram buckets,
percentiles, and :class:`Figures`, the sums that stores add up and pages read.

Everything here is a plain sum, so figures from several threads, processes or hosts
merge by adding them (:meth:`Figures.merge`), which is what the Redis store does.
"""

from __future__ import annotations

import dataclasses
import heapq
import math
from bisect import bisect_left
from collections.abc import Iterable
from typing import Any

__all__ = [
    "BOUNDS",
    "STATUS_CLASSES",
    "UNMATCHED",
    "Figures",
    "Interval",
    "Slow",
    "bucket_of",
    "percentile",
]

#: Endpoint of every request that matched no route (404, 405): one bucket, so a scanner
#: trying thousands of paths adds one row, not thousands.
UNMATCHED = "<unmatched>"

#: Upper bounds in seconds of the latency histogram buckets: fixed and log-scale, four per
#: decade from 0.1 ms to 100 s (1, 1.8, 3.2, 5.6 x 10^k), then +Inf. Fixed so figures of
#: every worker and host add up bucket by bucket.
BOUNDS: tuple[float, ...] = tuple(
    float(f"{m}e{e}") for e in range(-4, 2) for m in ("1", "1.8", "3.2", "5.6")
) + (100.0,)

#: Number of histogram buckets, the last one being +Inf.
NBUCKETS = len(BOUNDS) + 1

STATUS_CLASSES = ("1xx", "2xx", "3xx", "4xx", "5xx")


def bucket_of(seconds: float) -> int:
    """Index of the histogram bucket of a duration (a bucket holds values <= its bound)."""
    return bisect_left(BOUNDS, seconds)


def percentile(counts: list[int], q: float) -> float | None:
    """The ``q`` quantile (0 < q < 1) of a histogram, in seconds; ``None`` when empty.

    Interpolated geometrically inside the bucket (the buckets are log-scale); a value in
    the +Inf bucket is reported as the last finite bound.
    """
    total = sum(counts)
    if total == 0:
        return None
    rank = q * total
    seen = 0
    for index, n in enumerate(counts):
        if n == 0:
            continue
        if seen + n >= rank:
            if index >= len(BOUNDS):
                return BOUNDS[-1]
            upper = BOUNDS[index]
            lower = BOUNDS[index - 1] if index else upper / 10
            fraction = (rank - seen) / n
            return lower * math.pow(upper / lower, fraction)
        seen += n
    return BOUNDS[-1]  # pragma: no cover - the loop always reaches the rank


@dataclasses.dataclass
class Endpoint:
    """The sums of one endpoint."""

    count: int = 0
    seconds: float = 0.0
    status: dict[str, int] = dataclasses.field(default_factory=dict)
    buckets: list[int] = dataclasses.field(default_factory=lambda: [0] * NBUCKETS)

    def add(self, other: Endpoint) -> None:
        self.count += other.count
        self.seconds += other.seconds
        for cls, n in other.status.items():
            self.status[cls] = self.status.get(cls, 0) + n
        self.buckets = [a + b for a, b in zip(self.buckets, other.buckets, strict=True)]

    @property
    def errors(self) -> int:
        """Responses of class 4xx and 5xx."""
        return self.status.get("4xx", 0) + self.status.get("5xx", 0)

    def as_json(self) -> dict[str, Any]:
        return {
            "count": self.count,
            "errors": self.errors,
            "status": {c: self.status[c] for c in STATUS_CLASSES if self.status.get(c)},
            "seconds": self.seconds,
            "mean": self.seconds / self.count if self.count else None,
            "p50": percentile(self.buckets, 0.50),
            "p95": percentile(self.buckets, 0.95),
            "p99": percentile(self.buckets, 0.99),
            "histogram": self.buckets,
        }


@dataclasses.dataclass
class Interval:
    """The sums of every endpoint over one time interval, for the charts."""

    count: int = 0
    errors: int = 0
    server_errors: int = 0
    seconds: float = 0.0
    buckets: list[int] = dataclasses.field(default_factory=lambda: [0] * NBUCKETS)

    def add(self, other: Interval) -> None:
        self.count += other.count
        self.errors += other.errors
        self.server_errors += other.server_errors
        self.seconds += other.seconds
        self.buckets = [a + b for a, b in zip(self.buckets, other.buckets, strict=True)]

    def as_json(self, start: int) -> dict[str, Any]:
        return {
            "t": start,
            "count": self.count,
            "errors": self.errors,
            "5xx": self.server_errors,
            "mean": self.seconds / self.count if self.count else None,
            "p50": percentile(self.buckets, 0.50),
            "p95": percentile(self.buckets, 0.95),
            "p99": percentile(self.buckets, 0.99),
        }


@dataclasses.dataclass(frozen=True, order=True)
class Slow:
    """One slow request (ordered by duration)."""

    seconds: float
    at: float
    endpoint: str
    method: str
    path: str
    status: int

    def as_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclasses.dataclass
class Figures:
    """Sums of requests: per endpoint, per time interval, collector values, slowest ones."""

    endpoints: dict[str, Endpoint] = dataclasses.field(default_factory=dict)
    #: Interval start (epoch seconds, a multiple of the interval) -> sums.
    intervals: dict[int, Interval] = dataclasses.field(default_factory=dict)
    #: Collector name -> endpoint -> sum of the values it returned.
    collected: dict[str, dict[str, float]] = dataclasses.field(default_factory=dict)
    #: The slowest requests seen, at most ``keep_slow``, slowest first after :meth:`trim`.
    slowest: list[Slow] = dataclasses.field(default_factory=list)

    def empty(self) -> bool:
        return not (self.endpoints or self.intervals or self.collected or self.slowest)

    def add_slow(self, slow: Slow, keep: int) -> None:
        """Keep ``slow`` if it is among the ``keep`` slowest (a bounded min-heap)."""
        if len(self.slowest) < keep:
            heapq.heappush(self.slowest, slow)
        elif keep and slow > self.slowest[0]:
            heapq.heapreplace(self.slowest, slow)

    def merge(self, other: Figures, keep_slow: int) -> None:
        """Add ``other``'s sums into these."""
        for name, endpoint in other.endpoints.items():
            self.endpoints.setdefault(name, Endpoint()).add(endpoint)
        for start, interval in other.intervals.items():
            self.intervals.setdefault(start, Interval()).add(interval)
        for collector, values in other.collected.items():
            mine = self.collected.setdefault(collector, {})
            for endpoint_name, value in values.items():
                mine[endpoint_name] = mine.get(endpoint_name, 0.0) + value
        for slow in other.slowest:
            self.add_slow(slow, keep_slow)

    def forget_before(self, oldest: int) -> None:
        """Drop intervals that start before ``oldest`` and slow requests older than it."""
        for start in [s for s in self.intervals if s < oldest]:
            del self.intervals[start]
        if any(s.at < oldest for s in self.slowest):
            self.slowest = [s for s in self.slowest if s.at >= oldest]
            heapq.heapify(self.slowest)

    def copy(self) -> Figures:
        out = Figures()
        out.merge(self, keep_slow=len(self.slowest))
        return out

    def as_json(
        self, *, interval: int, now: float, history: int, collectors: Iterable[str] = ()
    ) -> dict[str, Any]:
        """The ``/admin/stats`` document (see docs/batteries/stats.md)."""
        names = sorted(self.endpoints)
        stats: dict[str, dict[str, float]] = {
            "request_time": {n: self.endpoints[n].seconds for n in names},
            "request_count": {n: self.endpoints[n].count for n in names},
        }
        for collector in sorted({*collectors, *self.collected}):
            stats[collector] = dict(sorted(self.collected.get(collector, {}).items()))
        current = int(now // interval) * interval
        starts = range(current - (history - 1) * interval, current + interval, interval)
        empty = Interval()
        return {
            "stats": stats,
            "endpoints": {n: self.endpoints[n].as_json() for n in names},
            "buckets": [*BOUNDS, None],
            "series": {
                "interval": interval,
                "points": [self.intervals.get(s, empty).as_json(s) for s in starts],
            },
            "slowest": [s.as_json() for s in sorted(self.slowest, reverse=True)],
        }
