"""Deleting what has expired: browser sessions, reset links, revoked and refresh tokens,
failed-login counts whose window and lock are over.

Nothing here is needed for correctness (every check compares expiry times itself); it
keeps the tables small. ``flask auth prune`` runs it; schedule it daily (cron, a systemd
timer) on deployments with many users.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from flask_plugboard.db import session

from ._failures import prune_failures
from ._models import AuthSession, ResetToken, utcnow
from ._state import get_auth_state
from ._tokens import prune_tokens

__all__ = ["prune"]


def prune(now: dt.datetime | None = None) -> dict[str, int]:
    """Delete expired rows; return how many of each kind went (one transaction)."""
    now = now or utcnow()
    db = session()
    statements = {
        "sessions": sa.delete(AuthSession).where(AuthSession.expires_at <= now),
        "reset links": sa.delete(ResetToken).where(
            sa.or_(ResetToken.expires_at <= now, ResetToken.used_at.is_not(None))
        ),
    }
    try:
        counts = {}
        for what, statement in statements.items():
            result = db.execute(statement, execution_options={"synchronize_session": False})
            counts[what] = int(getattr(result, "rowcount", 0))  # a CursorResult's
        window = get_auth_state().settings.lockout_window
        counts["login failures"] = prune_failures(db, now, window)
        db.commit()
    except BaseException:
        db.rollback()
        raise
    counts["tokens"] = prune_tokens(now)
    return counts
