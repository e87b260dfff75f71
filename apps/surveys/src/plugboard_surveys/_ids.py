"""The ids an import gives its rows: the old ones where they are free, and the sequences
moved past them.

Every imported row gets its id here, explicitly, rather than from the database's
sequence: a dry run then consumes no sequence value (PostgreSQL's ``nextval`` is not
rolled back), and the sequences move once, by :meth:`Ids.finish`, only when the import is
committed.

The rule, per table: an old id above every id the table has handed out (its *high-water
mark*: the largest id, and the sequence's last value, which counts deleted rows too)
is kept; an old id at or below it is taken, or was a deleted row's, so the row gets a
new id above both the mark and every old id of the table. Into an empty database every
id is kept. New ids are thus never equal to an old id of the same table, which is what
lets :mod:`._legacy_ids` read an id of a legacy request as an old one when it was
renumbered and as the row's own id otherwise.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

__all__ = ["Ids", "high_water"]


def high_water(db: Session, table: sa.Table) -> int:
    """The largest id ``table`` has handed out (0 for a new table), changing nothing."""
    top = int(db.scalar(sa.select(sa.func.max(table.c.id))) or 0)
    dialect = db.get_bind(clause=sa.select(table)).dialect.name
    if dialect == "postgresql":
        last = db.scalar(
            sa.text(
                "SELECT pg_sequence_last_value(CAST(pg_get_serial_sequence(:t, 'id') AS regclass))"
            ),
            {"t": table.name},
        )
        return max(top, int(last or 0))
    if dialect == "sqlite":
        # AUTOINCREMENT tables never reuse an id below sqlite_sequence's.
        exists = db.scalar(
            sa.text("SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_sequence'")
        )
        if exists:
            seq = db.scalar(
                sa.text("SELECT seq FROM sqlite_sequence WHERE name = :t"), {"t": table.name}
            )
            return max(top, int(seq or 0))
    return top


class Ids:
    """The ids of one table's imported rows (see the module's docstring)."""

    def __init__(self, db: Session, table: sa.Table, top_old: int = 0) -> None:
        self.table = table
        self.mark = high_water(db, table)
        self._next = max(self.mark, top_old) + 1
        #: The sequence is moved to this: past every id given out, and every old id (a
        #: row skipped now may come with a later run, and its id must be free then).
        self.top = max(self.mark, top_old)

    def keeps(self, old_id: int) -> bool:
        """Whether the row of ``old_id`` keeps it."""
        return old_id > self.mark

    def for_old(self, old_id: int) -> int:
        """The id of the row whose old id is ``old_id``."""
        new_id = old_id if self.keeps(old_id) else self.fresh()
        self.top = max(self.top, new_id)
        return new_id

    def fresh(self) -> int:
        """An id for a row with no old id of its own."""
        new_id = self._next
        self._next += 1
        self.top = max(self.top, new_id)
        return new_id

    def finish(self, db: Session) -> None:
        """Move the table's sequence to :attr:`top` (PostgreSQL: at once, whatever the
        transaction does; SQLite: in the transaction). Other databases: not moved."""
        if self.top <= self.mark:
            return
        dialect = db.get_bind(clause=sa.select(self.table)).dialect.name
        params = {"t": self.table.name, "v": self.top}
        if dialect == "postgresql":
            db.execute(sa.text("SELECT setval(pg_get_serial_sequence(:t, 'id'), :v)"), params)
        elif dialect == "sqlite" and self.table.dialect_options["sqlite"]["autoincrement"]:
            # Inserting an id moves sqlite_sequence only up to that id; an old id above
            # them all (a row skipped this run) must stay free too.
            db.execute(sa.text("UPDATE sqlite_sequence SET seq = :v WHERE name = :t"), params)
            db.execute(
                sa.text(
                    "INSERT INTO sqlite_sequence (name, seq) SELECT :t, :v WHERE NOT EXISTS "
                    "(SELECT 1 FROM sqlite_sequence WHERE name = :t)"
                ),
                params,
            )
