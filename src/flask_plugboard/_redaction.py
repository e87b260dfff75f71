"""Keeping secret setting values out of every log record, whoever logs it.

Where to redact: a filter on a logger sees only records logged on that very logger (not
those propagating from ``myplugin.client`` or werkzeug), and a filter on each handler
would have to be added to handlers created later (nothing in :mod:`logging` says when
one is). The one place every record passes is its creation, so the host installs, once
per process, a log record factory (:func:`logging.setLogRecordFactory`) that wraps the
one in place. It is complete (root, child loggers, werkzeug, handlers added later) and
cheap: a logger builds a record only for a level it lets through, and the factory does
nothing more than one tuple check while no app has secrets; with secrets it formats the
message once (a formatter would anyway) and searches it.

The factory is process-wide because logging is; the secrets it hides are kept per app,
weakly, so an app's secrets go with it. Values passed as ``extra=`` fields are set on a
record after the factory ran: they are not redacted.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
import weakref
from collections.abc import Iterable
from typing import Any

from flask import Flask

from ._settings import REDACTED
from .errors import UnsafeToStartError

__all__ = ["MIN_SECRET_LENGTH", "SecretRedactor", "redact_in_logs"]

logger = logging.getLogger("flask_plugboard")

#: Shorter values would redact ordinary words, and are guessable: in production the
#: host refuses them (see :class:`SecretRedactor`).
MIN_SECRET_LENGTH = 6

_formatter = logging.Formatter()


class _Secrets:
    """The secrets of every live app, merged longest first (a secret holding another is
    replaced whole). Read without a lock by the factory: ``merged`` is swapped whole."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.by_app: weakref.WeakKeyDictionary[Flask, frozenset[str]] = (
            weakref.WeakKeyDictionary()
        )
        self.merged: tuple[str, ...] = ()

    def add(self, app: Flask, values: Iterable[str]) -> None:
        fresh = frozenset(v for v in values if v)
        if not fresh:
            return
        with self.lock:
            self.by_app[app] = self.by_app.get(app, frozenset()) | fresh
            # Secrets of apps gone since the last call leave here.
            every = set().union(*self.by_app.values())
            self.merged = tuple(sorted(every, key=len, reverse=True))


_SECRETS = _Secrets()


def _replace(text: str, secrets: tuple[str, ...]) -> str:
    for secret in secrets:
        if secret in text:
            text = text.replace(secret, REDACTED)
    return text


def _redact_record(record: logging.LogRecord, secrets: tuple[str, ...]) -> None:
    try:
        message = record.getMessage()
    except Exception:  # noqa: S110 - a bad format string: the handler reports it, as ever
        return
    clean = _replace(message, secrets)
    if clean != message:
        record.msg, record.args = clean, None
    exc_info = record.exc_info
    # Formatted here to be searched, not cached as exc_text when clean: a handler's own
    # formatter may render the exception its way.
    if exc_info and exc_info[1] is not None:
        text = _formatter.formatException(exc_info)
        clean = _replace(text, secrets)
        if clean != text:
            # The traceback stays, redacted, as the text every Formatter prints
            # (exc_text); the exception object goes, so no handler renders it raw.
            record.exc_info, record.exc_text = None, clean
    if record.stack_info:
        record.stack_info = _replace(record.stack_info, secrets)


class _RedactingFactory:
    """Wraps the log record factory in place and redacts each record it builds."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner

    def __call__(self, *args: Any, **kwargs: Any) -> logging.LogRecord:
        record: logging.LogRecord = self.inner(*args, **kwargs)
        secrets = _SECRETS.merged
        if secrets:
            _redact_record(record, secrets)
        return record


def _install_factory() -> None:
    # Again when someone set a factory of their own over ours since.
    if not isinstance(logging.getLogRecordFactory(), _RedactingFactory):
        logging.setLogRecordFactory(_RedactingFactory(logging.getLogRecordFactory()))


def redact_in_logs(app: Flask, values: Iterable[str]) -> None:
    """Replace ``values`` with ``***`` in every log record from now on, while ``app`` lives."""
    values = list(values)
    if values:
        _install_factory()
        _SECRETS.add(app, values)


def _secret_items(settings: Any, prefix: str) -> list[tuple[str, Any]]:
    return [
        (f"{prefix}_{f.name.upper()}", getattr(settings, f.name))
        for f in dataclasses.fields(settings)
        if f.metadata.get("secret") and getattr(settings, f.name) not in (None, "")
    ]


def _strings_in(value: Any) -> list[str]:
    """The strings a container secret holds (the keys of AUTH_JWT_KEYS), and its text."""
    found = [str(value)]
    items = value.values() if isinstance(value, dict) else value
    if isinstance(items, Iterable):
        found += [item for item in items if isinstance(item, str)]
    # Only long ones: "{}" or "[]" must not turn into *** in every log line.
    return [s for s in found if len(s) >= MIN_SECRET_LENGTH]


class SecretRedactor:
    """The host's side of redaction on one app: checks secret settings, then hides them.

    In production a secret setting shorter than :data:`MIN_SECRET_LENGTH` stops start-up
    (:class:`~flask_plugboard.UnsafeToStartError`); in development it is redacted anyway,
    with a warning.
    """

    def __init__(self, app: Flask, *, production: bool) -> None:
        self.app = app
        self.production = production
        self.secrets: set[str] = set()

    def add(self, settings: Any, prefix: str) -> None:
        """Check and redact the secret settings of ``settings`` (keys ``<prefix>_<FIELD>``)."""
        values: list[str] = []
        for key, value in _secret_items(settings, prefix):
            if not isinstance(value, str):
                values += _strings_in(value)
                continue
            values.append(value)
            if len(value) >= MIN_SECRET_LENGTH:
                continue
            problem = (
                f"{key} is {len(value)} characters long: a secret setting needs at least "
                f"{MIN_SECRET_LENGTH}"
            )
            if self.production:
                raise UnsafeToStartError(
                    f"{problem} in production (a value that short is guessable); set a "
                    "longer one, or PLUGBOARD_ENVIRONMENT = 'development' on a developer "
                    "machine"
                )
            logger.warning(
                "%s; fine in development, refused in production. It is redacted anyway, "
                "so '***' may replace ordinary text in log lines",
                problem,
            )
        self.secrets.update(values)
        redact_in_logs(self.app, values)

    def redact(self, text: str) -> str:
        """``text`` with this app's secrets replaced by ``***``."""
        return _replace(text, tuple(sorted(self.secrets, key=len, reverse=True)))
