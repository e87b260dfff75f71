"""create survey tables

Revision ID: 28c32d3700e5
Revises:
Create Date: 2026-12-02 07:36:33.322034

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

#: JSON on every database, JSONB on PostgreSQL (as the models say).
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")

# revision identifiers, used by Alembic.
revision: str = "28c32d3700e5"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "surveys_imported_row",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=500), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("old_id", sa.String(length=200), nullable=False),
        sa.Column("new_id", sa.Integer(), nullable=True),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_surveys_imported_row")),
        sa.UniqueConstraint(
            "source", "kind", "old_id", name=op.f("uq_surveys_imported_row_source_kind_old_id")
        ),
    )
    op.create_table(
        "surveys_survey",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("one_per_respondent", sa.Boolean(), nullable=False),
        sa.Column("submission_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["owner_id"],
            ["auth_user.id"],
            name=op.f("fk_surveys_survey_owner_id_auth_user"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_surveys_survey")),
        # Ids of deleted surveys and questions are never given again: clients keep them.
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("surveys_survey", schema=None) as batch_op:
        batch_op.create_index("ix_surveys_survey_active_due", ["is_active", "due_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_surveys_survey_owner_id"), ["owner_id"], unique=False)

    op.create_table(
        "surveys_question",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("survey_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("legacy_type", sa.String(length=50), nullable=True),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("required", sa.Boolean(), nullable=False),
        sa.Column("options", JSON, nullable=True),
        sa.Column("settings", JSON, nullable=False),
        sa.ForeignKeyConstraint(
            ["survey_id"],
            ["surveys_survey.id"],
            name=op.f("fk_surveys_question_survey_id_surveys_survey"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_surveys_question")),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("surveys_question", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_surveys_question_survey_id"), ["survey_id"], unique=False
        )

    op.create_table(
        "surveys_submission",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("survey_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("respondent_key", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["survey_id"],
            ["surveys_survey.id"],
            name=op.f("fk_surveys_submission_survey_id_surveys_survey"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["auth_user.id"],
            name=op.f("fk_surveys_submission_user_id_auth_user"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_surveys_submission")),
        sa.UniqueConstraint(
            "survey_id",
            "respondent_key",
            name=op.f("uq_surveys_submission_survey_id_respondent_key"),
        ),
    )
    with op.batch_alter_table("surveys_submission", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_surveys_submission_survey_id"), ["survey_id"], unique=False
        )

    op.create_table(
        "surveys_answer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("submission_id", sa.Integer(), nullable=False),
        sa.Column("question_id", sa.Integer(), nullable=False),
        sa.Column("value", JSON, nullable=True),
        sa.Column("number", sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(
            ["question_id"],
            ["surveys_question.id"],
            name=op.f("fk_surveys_answer_question_id_surveys_question"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["submission_id"],
            ["surveys_submission.id"],
            name=op.f("fk_surveys_answer_submission_id_surveys_submission"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_surveys_answer")),
    )
    with op.batch_alter_table("surveys_answer", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_surveys_answer_question_id"), ["question_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_surveys_answer_submission_id"), ["submission_id"], unique=False
        )

    op.create_table(
        "surveys_choice",
        sa.Column("answer_id", sa.Integer(), nullable=False),
        sa.Column("option", sa.Integer(), nullable=False),
        sa.Column("question_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["answer_id"],
            ["surveys_answer.id"],
            name=op.f("fk_surveys_choice_answer_id_surveys_answer"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["question_id"],
            ["surveys_question.id"],
            name=op.f("fk_surveys_choice_question_id_surveys_question"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("answer_id", "option", name=op.f("pk_surveys_choice")),
    )
    with op.batch_alter_table("surveys_choice", schema=None) as batch_op:
        batch_op.create_index(
            "ix_surveys_choice_question_option", ["question_id", "option"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("surveys_choice", schema=None) as batch_op:
        batch_op.drop_index("ix_surveys_choice_question_option")

    op.drop_table("surveys_choice")
    with op.batch_alter_table("surveys_answer", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_surveys_answer_submission_id"))
        batch_op.drop_index(batch_op.f("ix_surveys_answer_question_id"))

    op.drop_table("surveys_answer")
    with op.batch_alter_table("surveys_submission", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_surveys_submission_survey_id"))

    op.drop_table("surveys_submission")
    with op.batch_alter_table("surveys_question", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_surveys_question_survey_id"))

    op.drop_table("surveys_question")
    with op.batch_alter_table("surveys_survey", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_surveys_survey_owner_id"))
        batch_op.drop_index("ix_surveys_survey_active_due")

    op.drop_table("surveys_survey")
    op.drop_table("surveys_imported_row")
