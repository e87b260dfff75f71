"""Deleting what has expired: browser sessions, reset links, revoked and refresh tokens.

Nothing here is needed for correctness (every check compares expiry times itself); it
keeps the tables small. ``flask auth prune`` runs it; schedule it daily (cron, a systemd
timer) on deployments with many users.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from flask_plugboard.db import session

from ._models import AuthSession, ResetToken, utcnow

__all__ = ["prune"]


def prune(now: dt.datetime | None = None) -> dict[str, int]:
    """Delete expired rows; return how many of each kind went (one transaction)."""
    now = now or utcnow()
    db = session()
    try:
        counts = {
            "sessions": db.execute(
                sa.delete(AuthSession).where(AuthSession.expires_at <= now),
                execution_options={"synchronize_session": False},
            ).rowcount,
            "reset links": db.execute(
                sa.delete(ResetToken).where(
                    sa.or_(ResetToken.expires_at <= now, ResetToken.used_at.is_not(None))
                ),
                execution_options={"synchronize_session": False},
            ).rowcount,
        }
        db.commit()
    except BaseException:
        db.rollback()
        raise
    from ._tokens import prune_tokens  # noqa: PLC0415 - TODO(merge): top-level import

    counts["tokens"] = prune_tokens(now)
    return counts
