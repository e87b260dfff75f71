"""Cost of a hook call through the host (guarded) against a bare pluggy call.

    python bench/bench_hooks.py [--quick]

Both managers have the same specification and the same implementations; the host's
implementations are wrapped by the failure-isolation guard. Reports nanoseconds per
call (best of several rounds, interleaved) and the ratio.
"""

from __future__ import annotations

import argparse
import functools
import json
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pluggy

from flask_plugboard._isolation import HookHealth, guarded_proxy
from flask_plugboard.markers import PROJECT, hookimpl, hookspec


class Specs:
    @hookspec
    def on_event(self, value: int) -> int:  # type: ignore[empty-body]
        """An event."""


class Impl:
    def __init__(self, n: int) -> None:
        self.n = n

    @hookimpl
    def on_event(self, value: int) -> int:
        return value + self.n


def _manager(guarded: bool, impls: int) -> pluggy.PluginManager:
    pm = pluggy.PluginManager(PROJECT)
    pm.add_hookspecs(Specs)
    for n in range(impls):
        plugin = Impl(n)
        if guarded:
            pm.register(guarded_proxy(plugin, HookHealth(f"p{n}", 5), pm), name=f"p{n}")
        else:
            pm.register(plugin, name=f"p{n}")
    return pm


def _time(call: Callable[[], Any], number: int) -> float:
    start = time.perf_counter()
    for _ in range(number):
        call()
    return (time.perf_counter() - start) / number * 1e9


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    number, rounds = (20_000, 5) if args.quick else (100_000, 15)
    results: dict[str, dict[str, float]] = {}
    print(f"{'implementations':>16} {'bare pluggy ns':>15} {'host ns':>10} {'ratio':>7}")
    for impls in (0, 1, 3):
        bare = _manager(False, impls).hook.on_event
        host = _manager(True, impls).hook.on_event
        samples: dict[str, list[float]] = {"bare": [], "host": []}
        for _ in range(rounds):
            samples["bare"].append(_time(functools.partial(bare, value=1), number))
            samples["host"].append(_time(functools.partial(host, value=1), number))
        b, h = min(samples["bare"]), min(samples["host"])
        results[str(impls)] = {
            "bare_ns": b,
            "host_ns": h,
            "ratio": h / b,
            "bare_median_ns": statistics.median(samples["bare"]),
            "host_median_ns": statistics.median(samples["host"]),
        }
        print(f"{impls:>16} {b:>15.0f} {h:>10.0f} {h / b:>7.2f}")
    out = Path(__file__).parent / "results"
    out.mkdir(exist_ok=True)
    (out / "hooks.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
