"""Typed, validated, namespaced plugin settings.

A plugin declares its settings as a frozen dataclass whose fields are made with
:func:`setting`. At ``init_app`` every field is read once from ``app.config`` under the
plugin's prefix (``TIMER_SLOW_THRESHOLD`` for field ``slow_threshold`` of plugin
``timer``), or from an environment variable the way :meth:`flask.Config.from_prefixed_env`
reads one (``FLASK_TIMER_SLOW_THRESHOLD``, JSON-decoded when it parses), validated against
the field's type and constraints, and the resolved value is written back to
``app.config``. A wrong value fails at start-up naming the key, the value and what is
allowed; secret values never appear in any message.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import types
import typing
from collections.abc import Mapping, Sequence
from typing import Any, Literal, get_args, get_origin

from .errors import SettingsError

__all__ = [
    "REDACTED",
    "SettingSpec",
    "describe_settings",
    "env_keys_set",
    "load_settings",
    "load_url_prefix",
    "name_as_set",
    "setting",
    "url_prefix_spec",
]

REDACTED = "***"
_MISSING: Any = dataclasses.MISSING


@dataclasses.dataclass(frozen=True)
class SettingSpec:
    """What the host knows about one setting: for listings, docs and validation."""

    field: str
    key: str
    type_name: str
    default: Any
    doc: str
    secret: bool
    required: bool


def setting(
    default: Any = _MISSING,
    *,
    doc: str,
    secret: bool = False,
    choices: Sequence[Any] | None = None,
    min: float | None = None,
    max: float | None = None,
) -> Any:
    """Declare one field of a plugin's settings dataclass.

    ``doc`` is required: every setting is documented. Mutable defaults (lists, dicts)
    are copied per app. ``secret`` values are redacted everywhere Plugboard shows them.
    """
    meta = {"doc": doc, "secret": secret, "choices": choices, "min": min, "max": max}
    if isinstance(default, list | dict | set):
        frozen = default
        return dataclasses.field(
            default_factory=lambda: type(frozen)(frozen),
            metadata=meta,
            repr=not secret,
        )
    return dataclasses.field(default=default, metadata=meta, repr=not secret)


def _type_name(tp: Any) -> str:
    origin = get_origin(tp)
    if origin is Literal:
        return " | ".join(repr(a) for a in get_args(tp))
    if origin in (types.UnionType, typing.Union):
        return " | ".join(_type_name(a) for a in get_args(tp))
    if origin is not None:
        args = ", ".join(_type_name(a) for a in get_args(tp) if a is not Ellipsis)
        return f"{getattr(origin, '__name__', str(origin))}[{args}]"
    if tp is type(None):
        return "None"
    return getattr(tp, "__name__", str(tp))


class _Invalid(Exception):
    """Internal: the value does not fit; the message says what is allowed."""


def _coerce(value: Any, tp: Any) -> Any:
    """Return ``value`` checked (and minimally converted) against type ``tp``."""
    origin = get_origin(tp)
    if tp is Any:
        return value
    if origin is Literal:
        if value in get_args(tp):
            return value
        raise _Invalid(f"one of {', '.join(repr(a) for a in get_args(tp))}")
    if origin in (types.UnionType, typing.Union):
        for arg in get_args(tp):
            try:
                return _coerce(value, arg)
            except _Invalid:
                continue
        raise _Invalid(_type_name(tp))
    if tp is type(None):
        if value is None:
            return None
        raise _Invalid("None")
    if tp is bool:
        if isinstance(value, bool):
            return value
        raise _Invalid("a boolean (true or false)")
    if tp is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        raise _Invalid("an integer")
    if tp is float:
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
        raise _Invalid("a number")
    if tp is str:
        if isinstance(value, str):
            return value
        raise _Invalid("a string")
    if origin in (list, tuple, Sequence, frozenset, set):
        if isinstance(value, str) or not isinstance(value, list | tuple | set | frozenset):
            raise _Invalid(f"a list ({_type_name(tp)})")
        args = [a for a in get_args(tp) if a is not Ellipsis] or [Any]
        items = [_coerce(v, args[0]) for v in value]
        if origin is tuple:
            return tuple(items)
        if origin in (frozenset, set):
            return frozenset(items)
        return items
    if origin in (dict, Mapping):
        if not isinstance(value, Mapping):
            raise _Invalid(f"a mapping ({_type_name(tp)})")
        kt, vt = get_args(tp) or (Any, Any)
        return {_coerce(k, kt): _coerce(v, vt) for k, v in value.items()}
    if isinstance(tp, type):
        if isinstance(value, tp):
            return value
        raise _Invalid(_type_name(tp))
    return value


def _check_constraints(value: Any, meta: Mapping[str, Any]) -> None:
    choices = meta.get("choices")
    if choices is not None and value not in choices:
        raise _Invalid(f"one of {', '.join(repr(c) for c in choices)}")
    lo, hi = meta.get("min"), meta.get("max")
    if isinstance(value, int | float) and not isinstance(value, bool):
        if lo is not None and value < lo:
            raise _Invalid(f"a number >= {lo}")
        if hi is not None and value > hi:
            raise _Invalid(f"a number <= {hi}")


def _from_env(raw: str) -> Any:
    # Same rule as flask.Config.from_prefixed_env: JSON when it parses, else the string.
    try:
        return json.loads(raw)
    except ValueError:
        return raw


def _fields(schema: type[Any]) -> list[tuple[dataclasses.Field[Any], Any]]:
    hints = typing.get_type_hints(schema)
    return [(f, hints[f.name]) for f in dataclasses.fields(schema)]


def describe_settings(schema: type[Any] | None, prefix: str) -> list[SettingSpec]:
    """Describe every field of ``schema`` for listings and docs."""
    if schema is None:
        return []
    specs = []
    for f, tp in _fields(schema):
        required = f.default is _MISSING and f.default_factory is _MISSING
        if f.default is not _MISSING:
            default = f.default
        elif callable(f.default_factory):
            default = f.default_factory()
        else:
            default = None
        specs.append(
            SettingSpec(
                field=f.name,
                key=f"{prefix}_{f.name.upper()}",
                type_name=_type_name(tp),
                default=default,
                doc=f.metadata.get("doc", ""),
                secret=bool(f.metadata.get("secret")),
                required=required,
            )
        )
    return specs


def _shown(value: Any, secret: bool) -> str:
    return "(secret, not shown)" if secret else repr(value)


def name_as_set(message: str, env_keys: Mapping[str, str]) -> str:
    """``message`` with each config key of ``env_keys`` (``{key: variable}``) named as the
    environment variable the operator set (``RATELIMIT_DEFAULT`` becomes
    ``FLASK_RATELIMIT_DEFAULT``), so an error names what the operator can change."""
    for key, env_key in env_keys.items():
        message = re.sub(rf"(?<![A-Za-z0-9_]){re.escape(key)}(?![A-Za-z0-9_])", env_key, message)
    return message


def env_keys_set(keys: Sequence[str], env_prefix: str | None) -> dict[str, str]:
    """``{key: variable}`` for each of ``keys`` whose variable ``{env_prefix}_{key}`` is set."""
    if not env_prefix:
        return {}
    return {key: f"{env_prefix}_{key}" for key in keys if f"{env_prefix}_{key}" in os.environ}


def load_settings(
    schema: type[Any],
    prefix: str,
    config: dict[str, Any],
    *,
    owner: str,
    env_prefix: str | None = "FLASK",
    environ: Mapping[str, str] | None = None,
) -> Any:
    """Build a ``schema`` instance from ``config`` and the environment, or raise.

    Environment variables ``{env_prefix}_{KEY}`` override ``config`` (as
    ``from_prefixed_env`` would when called after loading a file). The resolved values
    are written back to ``config`` so ``app.config`` shows what is in force.
    """
    env = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    from_env: dict[str, str] = {}
    for f, tp in _fields(schema):
        key = f"{prefix}_{f.name.upper()}"
        secret = bool(f.metadata.get("secret"))
        env_key = f"{env_prefix}_{key}" if env_prefix else None
        source = key
        if env_key is not None and env_key in env:
            raw: Any = _from_env(env[env_key])
            source = f"{env_key} (environment)"
            from_env[key] = env_key
        elif key in config:
            raw = config[key]
        elif f.default is not _MISSING:
            raw = f.default
        elif callable(f.default_factory):
            raw = f.default_factory()
        else:
            raise SettingsError(
                f"{key} is required by {owner} and is not set: set it in app.config "
                f"or the environment variable {env_key or key} "
                f"({f.metadata.get('doc', '')})"
            )
        try:
            value = _coerce(raw, tp)
            _check_constraints(value, f.metadata)
        except _Invalid as exc:
            raise SettingsError(
                f"{source} = {_shown(raw, secret)} is not valid for {owner}: expected {exc}"
            ) from None
        values[f.name] = value
    try:
        instance = schema(**values)
    except SettingsError as exc:
        # __post_init__ names the config key; name the variable if that is what was set.
        renamed = name_as_set(str(exc), from_env)
        if renamed == str(exc):
            raise
        raise type(exc)(renamed) from None
    except (ValueError, TypeError) as exc:
        # A settings class may check fields against each other in __post_init__.
        raise SettingsError(
            f"settings of {owner} are not valid: {name_as_set(str(exc), from_env)}"
        ) from None
    for name, value in values.items():
        config[f"{prefix}_{name.upper()}"] = value
    return instance


def url_prefix_spec(prefix: str, default: str | None) -> SettingSpec:
    """The ``<NAME>_URL_PREFIX`` setting of a plugin with a blueprint."""
    return SettingSpec(
        field="url_prefix",
        key=f"{prefix}_URL_PREFIX",
        type_name="str | None",
        default=default,
        doc="URL prefix of the plugin's routes (its blueprint): a path starting with '/', "
        "or '' for the root. Default: the plugin's url_prefix.",
        secret=False,
        required=False,
    )


def load_url_prefix(
    prefix: str,
    default: str | None,
    config: dict[str, Any],
    *,
    owner: str,
    env_prefix: str | None = "FLASK",
    environ: Mapping[str, str] | None = None,
) -> str | None:
    """Read ``<prefix>_URL_PREFIX`` like any setting (environment, config, ``default``),
    check it is a path, and write it back to ``config``."""
    spec = url_prefix_spec(prefix, default)
    env = os.environ if environ is None else environ
    env_key = f"{env_prefix}_{spec.key}" if env_prefix else None
    if env_key is not None and env_key in env:
        value, source = _from_env(env[env_key]), f"{env_key} (environment)"
    else:
        value, source = config.get(spec.key, default), spec.key
    is_path = isinstance(value, str) and (value == "" or value.startswith("/"))
    if value is not None and not is_path:
        raise SettingsError(
            f"{source} = {value!r} is not valid for {owner}: expected a path starting with "
            f"'/' (like '/{prefix.lower()}'), or '' for the root"
        )
    config[spec.key] = value
    path: str | None = value
    return path


def redacted(schema_instance: Any) -> dict[str, Any]:
    """Return the settings as a dict with secret values replaced by ``***``."""
    out: dict[str, Any] = {}
    for f in dataclasses.fields(schema_instance):
        value = getattr(schema_instance, f.name)
        if f.metadata.get("secret") and value not in (None, ""):
            value = REDACTED
        out[f.name] = value
    return out


def secret_values(schema_instance: Any) -> list[str]:
    """The string values of secret settings, for log redaction."""
    return [
        str(getattr(schema_instance, f.name))
        for f in dataclasses.fields(schema_instance)
        if f.metadata.get("secret") and getattr(schema_instance, f.name) not in (None, "")
    ]
