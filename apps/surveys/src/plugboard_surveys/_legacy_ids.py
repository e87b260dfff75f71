"""The ids legacy requests carry: an old id of a survey or question the import renumbered
means that row (see :class:`._models.LegacyId`), any other id the row's own.

New rows never get an id equal to an old id of their table (``_ids``), so the two
readings never meet, except for rows the service held before the import whose ids an
old row had: legacy clients reach those only through ``/api``.
"""

from __future__ import annotations

from typing import Literal

import sqlalchemy as sa

from flask_plugboard.db import session

from ._models import LegacyId, storable_id

__all__ = ["current_id"]


def current_id(kind: Literal["surveys", "questions"], legacy_id: int) -> int:
    """The id of the survey or question a legacy client means by ``legacy_id``."""
    if not storable_id(legacy_id):
        return legacy_id  # names no row, and the database could not compare it
    new_id = session().scalar(
        sa.select(LegacyId.new_id).where(LegacyId.kind == kind, LegacyId.old_id == legacy_id)
    )
    return legacy_id if new_id is None else int(new_id)
