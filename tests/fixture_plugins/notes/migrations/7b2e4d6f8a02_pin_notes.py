"""pin notes

Revision ID: 7b2e4d6f8a02
Revises: 3a1f0c2b9d01
Create Date: 2024-11-21 11:00:00.000000

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "7b2e4d6f8a02"
down_revision: str | Sequence[str] | None = "3a1f0c2b9d01"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("notes_note", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("pinned", sa.Boolean(), server_default=sa.false(), nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("notes_note", schema=None) as batch_op:
        batch_op.drop_column("pinned")
