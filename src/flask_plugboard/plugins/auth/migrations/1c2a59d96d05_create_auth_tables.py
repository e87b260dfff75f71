"""create auth tables

Revision ID: 1c2a59d96d05
Revises:
Create Date: 2026-12-01 21:50:21.533759

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "1c2a59d96d05"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "auth_role",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_auth_role")),
        sa.UniqueConstraint("name", name=op.f("uq_auth_role_name")),
    )
    op.create_table(
        "auth_user",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=150), nullable=False),
        sa.Column("username_key", sa.String(length=150), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("email_key", sa.String(length=254), nullable=True),
        sa.Column("password_hash", sa.String(length=512), nullable=False),
        sa.Column("is_active", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_login_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("password_changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("failed_logins", sa.Integer(), server_default="0", nullable=False),
        sa.Column("last_failed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("token_version", sa.Integer(), server_default="0", nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_auth_user")),
        sa.UniqueConstraint("email_key", name=op.f("uq_auth_user_email_key")),
        sa.UniqueConstraint("username_key", name=op.f("uq_auth_user_username_key")),
        # Ids of deleted users are never given again: their tokens carry the id.
        sqlite_autoincrement=True,
    )
    op.create_table(
        "auth_refresh_token",
        sa.Column("jti", sa.String(length=64), nullable=False),
        sa.Column("family", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["auth_user.id"],
            name=op.f("fk_auth_refresh_token_user_id_auth_user"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("jti", name=op.f("pk_auth_refresh_token")),
    )
    with op.batch_alter_table("auth_refresh_token", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_auth_refresh_token_expires_at"), ["expires_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_auth_refresh_token_family"), ["family"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_auth_refresh_token_user_id"), ["user_id"], unique=False
        )

    op.create_table(
        "auth_reset_token",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["auth_user.id"],
            name=op.f("fk_auth_reset_token_user_id_auth_user"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_auth_reset_token")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_auth_reset_token_token_hash")),
    )
    with op.batch_alter_table("auth_reset_token", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_auth_reset_token_expires_at"), ["expires_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_auth_reset_token_user_id"), ["user_id"], unique=False)

    op.create_table(
        "auth_revoked_token",
        sa.Column("key", sa.String(length=80), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.String(length=32), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["auth_user.id"],
            name=op.f("fk_auth_revoked_token_user_id_auth_user"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_auth_revoked_token")),
    )
    with op.batch_alter_table("auth_revoked_token", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_auth_revoked_token_expires_at"), ["expires_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_auth_revoked_token_user_id"), ["user_id"], unique=False
        )

    op.create_table(
        "auth_session",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("remember", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("user_agent", sa.String(length=255), nullable=True),
        sa.Column("address", sa.String(length=45), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["auth_user.id"],
            name=op.f("fk_auth_session_user_id_auth_user"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_auth_session")),
        sa.UniqueConstraint("key_hash", name=op.f("uq_auth_session_key_hash")),
    )
    with op.batch_alter_table("auth_session", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_auth_session_expires_at"), ["expires_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_auth_session_user_id"), ["user_id"], unique=False)

    op.create_table(
        "auth_user_role",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("role_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["role_id"],
            ["auth_role.id"],
            name=op.f("fk_auth_user_role_role_id_auth_role"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["auth_user.id"],
            name=op.f("fk_auth_user_role_user_id_auth_user"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", "role_id", name=op.f("pk_auth_user_role")),
    )
    with op.batch_alter_table("auth_user_role", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_auth_user_role_role_id"), ["role_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("auth_user_role", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_auth_user_role_role_id"))

    op.drop_table("auth_user_role")
    with op.batch_alter_table("auth_session", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_auth_session_user_id"))
        batch_op.drop_index(batch_op.f("ix_auth_session_expires_at"))

    op.drop_table("auth_session")
    with op.batch_alter_table("auth_revoked_token", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_auth_revoked_token_user_id"))
        batch_op.drop_index(batch_op.f("ix_auth_revoked_token_expires_at"))

    op.drop_table("auth_revoked_token")
    with op.batch_alter_table("auth_reset_token", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_auth_reset_token_user_id"))
        batch_op.drop_index(batch_op.f("ix_auth_reset_token_expires_at"))

    op.drop_table("auth_reset_token")
    with op.batch_alter_table("auth_refresh_token", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_auth_refresh_token_user_id"))
        batch_op.drop_index(batch_op.f("ix_auth_refresh_token_family"))
        batch_op.drop_index(batch_op.f("ix_auth_refresh_token_expires_at"))

    op.drop_table("auth_refresh_token")
    op.drop_table("auth_user")
    op.drop_table("auth_role")
