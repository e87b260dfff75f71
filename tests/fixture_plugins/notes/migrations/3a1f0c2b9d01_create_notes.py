"""create notes

Revision ID: 3a1f0c2b9d01
Revises:
Create Date: 2024-11-21 10:00:00.000000

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "3a1f0c2b9d01"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "notes_note",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notes_note")),
    )
    with op.batch_alter_table("notes_note", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_notes_note_title"), ["title"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("notes_note", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_notes_note_title"))
    op.drop_table("notes_note")
