"""case photos: which cases hold which photo, so a photo's readers are found by an index

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 12:40:00
"""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql, sqlite

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

BATCH = 5000


def upgrade() -> None:
    op.create_table(
        "case_photos",
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_case_photos_case_id_cases")),
        sa.PrimaryKeyConstraint("name", "case_id", name=op.f("pk_case_photos")),
    )
    conn = op.get_bind()
    dialect_insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    table = sa.table("case_photos", sa.column("name"), sa.column("case_id"))
    link = dialect_insert(table).on_conflict_do_nothing()  # a photo both reported and attached: once
    text = "::text" if conn.dialect.name == "postgresql" else ""  # JSON compared as its text
    for sql in (
        f"SELECT id, photos FROM cases WHERE photos{text} <> '[]'",
        f"SELECT case_id, attachments FROM case_events WHERE attachments{text} <> '[]'",
    ):
        # Streamed (a server-side cursor on PostgreSQL) for this statement only, not the connection's others.
        rows = conn.exec_driver_sql(sql, execution_options={"stream_results": True, "yield_per": BATCH})
        for part in rows.partitions(BATCH):
            found = {(name, case_id) for case_id, raw in part for name in _names(raw)}
            if found:
                conn.execute(link, [{"name": n, "case_id": c} for n, c in sorted(found)])


def _names(raw: Any) -> list[str]:
    value = json.loads(raw) if isinstance(raw, str) else raw
    return [n for n in value or [] if isinstance(n, str) and len(n) <= 80]


def downgrade() -> None:
    op.drop_table("case_photos")
