"""Hook implementations checked against the hook specifications, before a plugin runs.

pluggy registers an implementation of a hook that nothing declares without a word: a
misspelt ``@hookimpl`` loads, is listed, and never runs. Only
:meth:`pluggy.PluginManager.check_pending` notices, after registration, naming the first
one it meets. The host makes the same check per plugin once every hookspec is in (the
host's and the plugins'), before the plugin's ``init_app``, so that the failure names the
plugin, the hook and the hook it was probably meant to be. Like ``check_pending``, it
lets ``@hookimpl(optionalhook=True)`` through: an implementation of a hook of a plugin
that may not be installed.
"""

from __future__ import annotations

import difflib
import inspect
from collections.abc import Callable, Iterator
from typing import Any

import pluggy

__all__ = ["hook_implementations", "known_hooks", "unknown_hooks"]


def known_hooks(pm: pluggy.PluginManager) -> list[str]:
    """The names of the hooks ``pm`` has a specification for, sorted."""
    return sorted(
        name
        for name, caller in vars(pm.hook).items()
        if not name.startswith("_") and caller.has_spec()
    )


def hook_implementations(
    pm: pluggy.PluginManager, plugin: object
) -> Iterator[tuple[str, Callable[..., Any], pluggy.HookimplOpts]]:
    """``(attribute, method, options)`` of each hook implementation of ``plugin``, read
    the way pluggy reads them when it registers the plugin."""
    for attr in dir(plugin):
        if attr.startswith("__"):
            continue
        try:
            value = getattr(plugin, attr)
        except Exception:  # noqa: S112 - a property that raises is not a hook implementation
            continue
        if not inspect.isroutine(value):
            continue
        opts = pm.parse_hookimpl_opts(plugin, attr)
        if opts is not None:
            yield attr, value, opts


def unknown_hooks(pm: pluggy.PluginManager, plugin: object) -> list[str]:
    """One line per hook implementation of ``plugin`` that no specification of ``pm``
    declares and that is not marked ``optionalhook``, naming the closest known hook."""
    known = known_hooks(pm)
    problems = []
    for attr, _value, opts in hook_implementations(pm, plugin):
        if opts.get("optionalhook"):
            continue
        hook = opts.get("specname") or attr
        if hook in known:
            continue
        problems.append(_describe(attr, hook, known))
    return problems


def _describe(attr: str, hook: str, known: list[str]) -> str:
    what = f"{attr!r}" if attr == hook else f"{attr!r} (specname {hook!r})"
    close = difflib.get_close_matches(hook, known, n=1)
    if close:
        hint = f"did you mean {close[0]!r}?"
    else:
        hint = f"no hook has a close name (the hooks: {', '.join(known)})."
    return (
        f"hook implementation {what} matches no hookspec of the host or of a loaded plugin, "
        f"so it would never run: {hint} Fix the name, or mark it "
        "@hookimpl(optionalhook=True) if it implements a hook of a plugin that may be absent"
    )
