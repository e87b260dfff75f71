"""Keeping secret setting values out of log lines."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from flask import Flask

from ._settings import REDACTED

__all__ = ["SecretFilter"]

# Values this short would redact ordinary words; a real secret is never this short.
_MIN_SECRET_LENGTH = 6

_formatter = logging.Formatter()


class SecretFilter(logging.Filter):
    """Replaces known secret values in log records, tracebacks included, with ``***``.

    The host adds secrets as it validates settings, before any plugin is initialised;
    from the first secret on, the filter watches the app's logger, ``flask_plugboard``'s
    and the module logger of each plugin with a secret. It costs nothing unless
    something is logged.
    """

    def __init__(self, app: Flask) -> None:
        super().__init__("plugboard-secrets")
        self.secrets: set[str] = set()
        self._app_logger = app.logger
        self._installed: list[logging.Logger] = []

    def add(self, values: Iterable[str], logger_name: str) -> None:
        """Redact ``values`` from now on, in the app's, the host's and ``logger_name``'s logs.

        Loggers are watched only once there is a secret to hide, so apps without secrets
        never carry the filter.
        """
        fresh = {v for v in values if len(v) >= _MIN_SECRET_LENGTH}
        if not fresh:
            return
        self.secrets.update(fresh)
        for logger in (self._app_logger, logging.getLogger("flask_plugboard")):
            self.watch(logger)
        self.watch(logging.getLogger(logger_name))

    def redact(self, text: str) -> str:
        for secret in self.secrets:
            if secret in text:
                text = text.replace(secret, REDACTED)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        if not self.secrets:
            return True
        message = record.getMessage()
        if record.exc_info:
            # The traceback's text can hold a secret too (an exception's message): render
            # it here, redacted, so handlers print this text instead of the raw one.
            message = f"{message}\n{_formatter.formatException(record.exc_info)}"
            record.exc_info, record.exc_text = None, None
        redacted = self.redact(message)
        if redacted != message or record.args:
            record.msg, record.args = redacted, None
        return True

    def watch(self, logger: logging.Logger) -> None:
        """Redact what is logged to ``logger`` (idempotent)."""
        if logger not in self._installed:
            logger.addFilter(self)
            self._installed.append(logger)
