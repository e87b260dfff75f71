"""The figures in the Prometheus text format, through ``prometheus_client``.

Each app gets its own :class:`~prometheus_client.CollectorRegistry` holding one custom
collector that reads the store at scrape time: the global default registry is never
touched, so two apps (or tests) in one process do not see each other's metrics.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from prometheus_client import CollectorRegistry
from prometheus_client.core import (
    CounterMetricFamily,
    HistogramMetricFamily,
    Metric,
    UnknownMetricFamily,
)
from prometheus_client.registry import Collector

from ._figures import BOUNDS, Figures

__all__ = ["StatsCollector", "registry_for"]


class StatsCollector(Collector):
    """Yields the stats plugin's figures as metric families."""

    def __init__(self, read: Callable[[], Figures]) -> None:
        self._read = read

    def collect(self) -> Iterator[Metric]:
        figures = self._read()
        requests = CounterMetricFamily(
            "plugboard_http_requests",
            "HTTP requests by route template and status class.",
            labels=["endpoint", "status"],
        )
        latency = HistogramMetricFamily(
            "plugboard_http_request_duration_seconds",
            "Time from the request reaching the app to its response starting.",
            labels=["endpoint"],
        )
        for name in sorted(figures.endpoints):
            endpoint = figures.endpoints[name]
            for cls in sorted(endpoint.status):
                requests.add_metric([name, cls], endpoint.status[cls])
            cumulative = 0
            buckets: list[tuple[str, float]] = []
            for bound, n in zip([*BOUNDS, float("inf")], endpoint.buckets, strict=True):
                cumulative += n
                buckets.append((_bound(bound), cumulative))
            latency.add_metric([name], buckets, endpoint.seconds)
        yield requests
        yield latency
        if figures.collected:
            collected = UnknownMetricFamily(
                "plugboard_stats_collected",
                "Sums of the values returned by the stats plugin's custom collectors.",
                labels=["collector", "endpoint"],
            )
            for collector in sorted(figures.collected):
                for name, value in sorted(figures.collected[collector].items()):
                    collected.add_metric([collector, name], value)
            yield collected


def _bound(value: float) -> str:
    return "+Inf" if value == float("inf") else repr(value)


def registry_for(read: Callable[[], Figures]) -> CollectorRegistry:
    """A registry of its own holding a :class:`StatsCollector` over ``read``."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(StatsCollector(read))
    return registry
