"""year rows of the area cube (rollup_model.CUBES), summed from its month rows

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 15:00:00
"""

from __future__ import annotations

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

_DIMENSIONS = ", ".join(
    [
        "street_code",
        "community_code",
        "grid_code",
        "microgrid_code",
        "org_code",
        "assignee_code",
        "category_code",
        "urgency",
        "source",
    ]
)
_COUNTS = (
    "submitted",
    "registered",
    "closed",
    "closed_on_time",
    "handled",
    "reworked",
    "open",
    "valid_callbacks",
    "contacted",
    "resolved",
    "satisfied",
    "basically_satisfied",
)


def upgrade() -> None:
    # A year is the sum of its months (integer counts: exact). Year rows already there were made by
    # migration 0004's rebuild with today's code; they are replaced, so the result is the same either way.
    conn = op.get_bind()
    year = (
        "CAST(date_trunc('year', bucket) AS DATE)"
        if conn.dialect.name == "postgresql"
        else "date(bucket, 'start of year')"
    )
    downgrade()
    sums = ", ".join(f"sum({c})" for c in _COUNTS)
    conn.exec_driver_sql(
        f"INSERT INTO case_rollups (cube, grain, bucket, {_DIMENSIONS}, {', '.join(_COUNTS)})"
        f" SELECT cube, 'y', {year}, {_DIMENSIONS}, {sums} FROM case_rollups"
        f" WHERE cube = 'area' AND grain = 'm' GROUP BY cube, {year}, {_DIMENSIONS}"
    )
    conn.exec_driver_sql(
        f"INSERT INTO case_rollup_hours (cube, grain, bucket, {_DIMENSIONS}, measure, slot, n)"
        f" SELECT cube, 'y', {year}, {_DIMENSIONS}, measure, slot, sum(n) FROM case_rollup_hours"
        f" WHERE cube = 'area' AND grain = 'm' GROUP BY cube, {year}, {_DIMENSIONS}, measure, slot"
    )


def downgrade() -> None:
    for table in ("case_rollups", "case_rollup_hours"):
        op.execute(f"DELETE FROM {table} WHERE cube = 'area' AND grain = 'y'")
