"""create kept

Revision ID: b0000000001a
Revises:
Create Date: 2024-11-21 13:00:00.000000

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "b0000000001a"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table("broken_kept", sa.Column("id", sa.Integer(), primary_key=True))


def downgrade() -> None:
    op.drop_table("broken_kept")
