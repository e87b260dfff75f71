"""user aliases: other names users log in with (renamed by an import)

Revision ID: c8e2f3a4b5d6
Revises: 1c2a59d96d05
Create Date: 2026-12-08 00:00:00.000000

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "c8e2f3a4b5d6"
down_revision: str | Sequence[str] | None = "b7d1e2f3a4c5"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "auth_user_alias",
        sa.Column("alias", sa.String(length=150), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["auth_user.id"],
            name=op.f("fk_auth_user_alias_user_id_auth_user"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("alias", name=op.f("pk_auth_user_alias")),
    )
    with op.batch_alter_table("auth_user_alias", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_auth_user_alias_user_id"), ["user_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("auth_user_alias", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_auth_user_alias_user_id"))
    op.drop_table("auth_user_alias")
