"""Column types and clocks shared by plugins' models (public in :mod:`flask_plugboard.db`)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa

__all__ = ["UTCDateTime", "utcnow"]


def utcnow() -> dt.datetime:
    """The current time, timezone-aware, in UTC: the value :class:`UTCDateTime` stores."""
    return dt.datetime.now(dt.UTC)


class UTCDateTime(sa.types.TypeDecorator[dt.datetime]):
    """A timestamp kept in UTC; naive values from SQLite come back marked as UTC.

    Binding a naive datetime raises ``ValueError``: a time without its zone is ambiguous.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(
                f"naive datetime {value!r}: a UTCDateTime column stores timezone-aware "
                "times (use flask_plugboard.db.utcnow() or pass tzinfo)"
            )
        value = value.astimezone(dt.UTC)
        # SQLite compares timestamps as text: store them all the same way, without offset.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)
