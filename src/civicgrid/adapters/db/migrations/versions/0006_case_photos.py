"""case photos: which cases hold which photo, so a photo's readers are found by an index

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 12:40:00
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa
from alembic import op

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
    table = sa.table("case_photos", sa.column("name"), sa.column("case_id"))
    conn = op.get_bind()
    pending: set[tuple[str, int]] = set()
    for name, case_id in _held(conn):
        pending.add((name, case_id))
        if len(pending) >= BATCH:
            conn.execute(sa.insert(table), [{"name": n, "case_id": c} for n, c in sorted(pending)])
            pending.clear()
    if pending:
        conn.execute(sa.insert(table), [{"name": n, "case_id": c} for n, c in sorted(pending)])


def _held(conn: sa.Connection) -> Iterator[tuple[str, int]]:
    """(photo, case) of every case's photos and every step's attachments stored so far, once each."""
    seen: set[tuple[str, int]] = set()
    text = "::text" if conn.dialect.name == "postgresql" else ""  # JSON compared as its text
    for sql in (
        f"SELECT id, photos FROM cases WHERE photos{text} <> '[]'",
        f"SELECT case_id, attachments FROM case_events WHERE attachments{text} <> '[]'",
    ):
        for case_id, raw in conn.exec_driver_sql(sql):
            for name in _names(raw):
                if (name, case_id) not in seen:
                    seen.add((name, case_id))
                    yield name, case_id


def _names(raw: Any) -> list[str]:
    value = json.loads(raw) if isinstance(raw, str) else raw
    return [n for n in value or [] if isinstance(n, str) and len(n) <= 80]


def downgrade() -> None:
    op.drop_table("case_photos")
