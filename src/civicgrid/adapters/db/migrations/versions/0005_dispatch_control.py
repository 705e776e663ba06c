"""dispatch control: suggestions stored at intake, operator overrides, per-category dispatch settings

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 08:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "case_suggestions",
        sa.Column("case_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("model_version", sa.Integer(), nullable=True),
        sa.Column("category_code", sa.String(length=32), nullable=False),
        sa.Column("org_code", sa.String(length=32), nullable=True),
        sa.Column("assignee_code", sa.String(length=32), nullable=True),
        sa.Column("confidence", sa.Float(), nullable=True),
        sa.Column("alternatives", sa.JSON(), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("auto_dispatched", sa.Boolean(), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("category_taken", sa.Boolean(), nullable=True),
        sa.Column("org_taken", sa.Boolean(), nullable=True),
        sa.Column("assignee_taken", sa.Boolean(), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_case_suggestions_case_id_cases")),
        sa.PrimaryKeyConstraint("case_id", name=op.f("pk_case_suggestions")),
    )
    with op.batch_alter_table("case_suggestions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_case_suggestions_created_at"), ["created_at"], unique=False)

    op.create_table(
        "dispatch_overrides",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("actor_role", sa.String(length=16), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("actor_name", sa.String(length=100), nullable=False),
        sa.Column("suggested_category", sa.String(length=32), nullable=False),
        sa.Column("chosen_category", sa.String(length=32), nullable=False),
        sa.Column("suggested_org", sa.String(length=32), nullable=True),
        sa.Column("chosen_org", sa.String(length=32), nullable=True),
        sa.Column("suggested_assignee", sa.String(length=32), nullable=True),
        sa.Column("chosen_assignee", sa.String(length=32), nullable=True),
        sa.Column("confidence", sa.Float(), nullable=True),
        sa.Column("model_version", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_dispatch_overrides_case_id_cases")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dispatch_overrides")),
    )
    with op.batch_alter_table("dispatch_overrides", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_dispatch_overrides_at"), ["at"], unique=False)
        batch_op.create_index(batch_op.f("ix_dispatch_overrides_case_id"), ["case_id"], unique=False)

    op.create_table(
        "category_dispatch_settings",
        sa.Column("category_code", sa.String(length=32), nullable=False),
        sa.Column("auto_mode", sa.String(length=8), nullable=False),
        sa.Column("auto_min_confidence", sa.Float(), nullable=True),
        sa.Column("duplicate_radius_m", sa.Float(), nullable=True),
        sa.Column("duplicate_window_days", sa.Float(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(
            ["category_code"],
            ["categories.code"],
            name=op.f("fk_category_dispatch_settings_category_code_categories"),
        ),
        sa.PrimaryKeyConstraint("category_code", name=op.f("pk_category_dispatch_settings")),
    )


def downgrade() -> None:
    op.drop_table("category_dispatch_settings")
    with op.batch_alter_table("dispatch_overrides", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_dispatch_overrides_case_id"))
        batch_op.drop_index(batch_op.f("ix_dispatch_overrides_at"))
    op.drop_table("dispatch_overrides")
    with op.batch_alter_table("case_suggestions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_suggestions_created_at"))
    op.drop_table("case_suggestions")
