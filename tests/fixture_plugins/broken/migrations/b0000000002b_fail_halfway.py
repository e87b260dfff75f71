"""fail halfway

Revision ID: b0000000002b
Revises: b0000000001a
Create Date: 2024-11-21 14:00:00.000000

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "b0000000002b"
down_revision: str | Sequence[str] | None = "b0000000001a"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table("broken_half", sa.Column("id", sa.Integer(), primary_key=True))
    op.execute("INSERT INTO broken_no_such_table VALUES (1)")


def downgrade() -> None:
    op.drop_table("broken_half")
