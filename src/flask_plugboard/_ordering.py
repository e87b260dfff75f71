"""Ordering plugins by their declared requirements. Pure logic, tested without an app.

The order is topological: a plugin comes after everything it requires and after the
optional plugins that are present. Ties are broken by a stable rule: the position in
which the plugin was found (``PLUGBOARD_PLUGINS`` order, then plugins passed in code; for
entry points, by name). A missing requirement or a cycle excludes the plugins involved,
each with the whole chain as the reason.
"""

from __future__ import annotations

import dataclasses
import heapq
from collections.abc import Mapping, Sequence

from packaging.requirements import InvalidRequirement, Requirement
from packaging.version import InvalidVersion, Version

__all__ = ["Node", "Ordering", "order_plugins", "parse_requirement"]


@dataclasses.dataclass(frozen=True)
class Node:
    """What ordering needs to know of one plugin."""

    name: str
    version: str
    requires: Sequence[str] = ()
    optional: Sequence[str] = ()
    position: int = 0


@dataclasses.dataclass
class Ordering:
    """The chosen order, why each plugin sits where it does, and who was left out."""

    order: list[str]
    reasons: dict[str, str]
    excluded: dict[str, str]


def parse_requirement(spec: str) -> Requirement:
    """Parse ``"auth"`` or ``"auth>=1.0"``; raise ``ValueError`` naming the bad text."""
    try:
        return Requirement(spec)
    except InvalidRequirement as exc:
        raise ValueError(f"requirement {spec!r} is not valid: {exc}") from None


def _version_ok(req: Requirement, version: str) -> bool:
    if not req.specifier:
        return True
    try:
        return Version(version) in req.specifier
    except InvalidVersion:
        return False


def _find_cycle(graph: Mapping[str, Sequence[str]], members: set[str]) -> list[str]:
    """Return one cycle among ``members`` as a closed path [a, b, ..., a]."""
    start = min(members)
    path: list[str] = [start]
    seen = {start: 0}
    node = start
    while True:
        nxt = min(d for d in graph[node] if d in members)
        if nxt in seen:
            return path[seen[nxt] :] + [nxt]
        seen[nxt] = len(path)
        path.append(nxt)
        node = nxt


def order_plugins(nodes: Sequence[Node], failed: Mapping[str, str] | None = None) -> Ordering:
    """Order ``nodes`` by requirements; exclude what cannot load, with reasons.

    ``failed`` maps plugins that are configured but already failed (to import, or to
    validate their settings) to their error: a plugin requiring one of them is told so,
    not that it is missing.
    """
    failed = failed or {}
    by_name = {n.name: n for n in nodes}
    excluded: dict[str, str] = {}
    deps: dict[str, list[str]] = {}
    why: dict[str, list[str]] = {}

    for node in nodes:
        deps[node.name] = []
        why[node.name] = []
        for spec in node.requires:
            try:
                req = parse_requirement(spec)
            except ValueError as exc:
                excluded[node.name] = str(exc)
                break
            target = by_name.get(req.name)
            if target is None and req.name in failed:
                excluded[node.name] = f"requires {req.name!r}, which failed: {failed[req.name]}"
                break
            if target is None:
                excluded[node.name] = (
                    f"requires {req.name!r}, which is not enabled: add it to "
                    "PLUGBOARD_PLUGINS or install the package that provides it"
                )
                break
            if not _version_ok(req, target.version):
                excluded[node.name] = (
                    f"requires {spec!r}, but {req.name!r} is version {target.version}: "
                    f"install a version matching {req.specifier}"
                )
                break
            deps[node.name].append(req.name)
            why[node.name].append(f"requires {req.name}")
        for spec in node.optional:
            try:
                opt = parse_requirement(spec).name
            except ValueError:
                continue
            if opt in by_name and opt not in deps[node.name]:
                deps[node.name].append(opt)
                why[node.name].append(f"optionally uses {opt}")

    # Exclusion spreads to dependants, naming the chain back to the root cause.
    changed = True
    while changed:
        changed = False
        for node in nodes:
            if node.name in excluded:
                continue
            for dep in deps[node.name]:
                if dep in excluded and f"requires {dep}" in why[node.name]:
                    excluded[node.name] = (
                        f"requires {dep!r}, which is not loaded: {dep} {excluded[dep]}"
                    )
                    changed = True
                    break

    live = [n for n in nodes if n.name not in excluded]
    live_names = {n.name for n in live}
    indegree = {n.name: sum(1 for d in deps[n.name] if d in live_names) for n in live}
    dependants: dict[str, list[str]] = {n.name: [] for n in live}
    for n in live:
        for d in deps[n.name]:
            if d in live_names:
                dependants[d].append(n.name)
    heap = [(by_name[name].position, name) for name, deg in indegree.items() if deg == 0]
    heapq.heapify(heap)
    order: list[str] = []
    while heap:
        _, name = heapq.heappop(heap)
        order.append(name)
        for child in dependants[name]:
            indegree[child] -= 1
            if indegree[child] == 0:
                heapq.heappush(heap, (by_name[child].position, child))

    stuck = live_names - set(order)
    if stuck:
        live_deps = {k: [d for d in v if d in stuck] for k, v in deps.items() if k in stuck}
        in_cycle: set[str] = set()
        remaining = set(stuck)
        while remaining:
            try:
                cycle = _find_cycle(live_deps, remaining)
            except ValueError:
                break
            chain = " -> ".join(cycle)
            for member in cycle[:-1]:
                excluded[member] = f"is part of a requirement cycle: {chain}"
                in_cycle.add(member)
            remaining -= set(cycle)
            # Whatever waits on an excluded plugin is reported as depending on it.
            progress = True
            while progress:
                progress = False
                for name in sorted(remaining):
                    blocker = next((d for d in live_deps[name] if d in in_cycle), None)
                    if blocker is not None:
                        excluded[name] = (
                            f"requires {blocker!r}, which is not loaded: {blocker} "
                            f"{excluded[blocker]}"
                        )
                        remaining.discard(name)
                        in_cycle.add(name)
                        progress = True

    reasons: dict[str, str] = {}
    for index, name in enumerate(order, 1):
        node = by_name[name]
        after = f"after {', '.join(sorted(set(deps[name]) & set(order)))} " if why[name] else ""
        detail = "; ".join(why[name]) if why[name] else "no requirements"
        reasons[name] = (
            f"{index}. {name}: {after}({detail}); ties broken by discovery position {node.position}"
        )
    return Ordering(order=order, reasons=reasons, excluded=excluded)
