"""legacy ids: the surveys and questions an import renumbered; old logins looked up

Revision ID: 3d4e5f6a7b8c
Revises: 28c32d3700e5
Create Date: 2026-12-08 00:00:00.000000

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "3d4e5f6a7b8c"
down_revision: str | Sequence[str] | None = "28c32d3700e5"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "surveys_legacy_id",
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("old_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("new_id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("kind", "old_id", name=op.f("pk_surveys_legacy_id")),
    )
    # Old tokens name their user by login: looked up by kind and old login, any source.
    with op.batch_alter_table("surveys_imported_row", schema=None) as batch_op:
        batch_op.create_index(
            "ix_surveys_imported_row_kind_old_id", ["kind", "old_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("surveys_imported_row", schema=None) as batch_op:
        batch_op.drop_index("ix_surveys_imported_row_kind_old_id")
    op.drop_table("surveys_legacy_id")
