"""failed logins counted per login name, known or not

Revision ID: b7d1e2f3a4c5
Revises: 1c2a59d96d05
Create Date: 2026-12-08 00:10:00.000000

The counter moves from auth_user to auth_login_failure, keyed by the normalised name
tried, so that a wrong password and an unknown name write alike. Counts in progress are
not carried over (at worst a locked account is unlocked by the upgrade).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "b7d1e2f3a4c5"
down_revision: str | Sequence[str] | None = "1c2a59d96d05"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "auth_login_failure",
        sa.Column("key", sa.String(length=254), nullable=False),
        sa.Column("failures", sa.Integer(), server_default="0", nullable=False),
        sa.Column("last_failed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_auth_login_failure")),
    )
    with op.batch_alter_table("auth_login_failure", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_auth_login_failure_last_failed_at"), ["last_failed_at"], unique=False
        )
    # SQLite rebuilds the table: keep its AUTOINCREMENT (ids of deleted users never return).
    with op.batch_alter_table(
        "auth_user", schema=None, table_kwargs={"sqlite_autoincrement": True}
    ) as batch_op:
        batch_op.drop_column("locked_until")
        batch_op.drop_column("last_failed_at")
        batch_op.drop_column("failed_logins")


def downgrade() -> None:
    with op.batch_alter_table(
        "auth_user", schema=None, table_kwargs={"sqlite_autoincrement": True}
    ) as batch_op:
        batch_op.add_column(
            sa.Column("failed_logins", sa.Integer(), server_default="0", nullable=False)
        )
        batch_op.add_column(sa.Column("last_failed_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("auth_login_failure", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_auth_login_failure_last_failed_at"))
    op.drop_table("auth_login_failure")
