"""create tags

Revision ID: c4d5e6f7a803
Revises:
Create Date: 2024-11-21 12:00:00.000000

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "c4d5e6f7a803"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "tags_tag",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=50), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tags_tag")),
        sa.UniqueConstraint("name", name=op.f("uq_tags_tag_name")),
    )
    op.create_table(
        "tags_note_tag",
        sa.Column("note_id", sa.Integer(), nullable=False),
        sa.Column("tag_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["note_id"],
            ["notes_note.id"],
            name=op.f("fk_tags_note_tag_note_id_notes_note"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tag_id"],
            ["tags_tag.id"],
            name=op.f("fk_tags_note_tag_tag_id_tags_tag"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("note_id", "tag_id", name=op.f("pk_tags_note_tag")),
    )


def downgrade() -> None:
    op.drop_table("tags_note_tag")
    op.drop_table("tags_tag")
