"""Keeping secret setting values out of log lines."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from flask import Flask

from ._settings import REDACTED

__all__ = ["SecretFilter"]

# Values this short would redact ordinary words; a real secret is never this short.
_MIN_SECRET_LENGTH = 6


class SecretFilter(logging.Filter):
    """Replaces known secret values in log records with ``***``.

    Installed on the app's logger and on ``flask_plugboard``'s. It costs nothing unless
    something is logged.
    """

    def __init__(self) -> None:
        super().__init__("plugboard-secrets")
        self.secrets: set[str] = set()
        self.loggers = ["flask_plugboard"]

    def add(self, values: Iterable[str]) -> None:
        self.secrets.update(v for v in values if len(v) >= _MIN_SECRET_LENGTH)

    def filter(self, record: logging.LogRecord) -> bool:
        if not self.secrets:
            return True
        message = record.getMessage()
        redacted = message
        for secret in self.secrets:
            if secret in redacted:
                redacted = redacted.replace(secret, REDACTED)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True

    def add_logger(self, name: str) -> None:
        """Also redact records logged to ``name`` (a plugin's module logger)."""
        self.loggers.append(name)

    def install(self, app: Flask) -> None:
        if not self.secrets:
            return
        app.logger.addFilter(self)
        for name in self.loggers:
            logging.getLogger(name).addFilter(self)
