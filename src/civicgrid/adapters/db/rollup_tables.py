"""Tables of the figures' rollups: additive counts and duration histograms per period bucket and key.

Every case adds its contribution (``rollup_model.contribution``) to one row of each cube; the case
repository moves it in the same transaction as the case change. ``''`` stands for "not part of this
cube" and for "none" (a case not yet sent to any organisation or worker), so keys never hold NULL and the
primary key is the upsert's conflict target on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from civicgrid.adapters.db.tables import cases, metadata

# The case columns a rollup may be keyed by, in key order.
DIMENSIONS = (
    "street_code",
    "community_code",
    "grid_code",
    "microgrid_code",
    "org_code",
    "assignee_code",
    "category_code",
    "urgency",
    "source",
)
# The additive counts of ``civicgrid.domain.metrics.Counts``; 'overdue' depends on the clock and is not here.
COUNTS = (
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
KEY = ("cube", "grain", "bucket", *DIMENSIONS)


def _key_columns() -> list[sa.Column[Any]]:
    return [
        sa.Column("cube", sa.String(12), primary_key=True),
        sa.Column("grain", sa.String(1), primary_key=True),  # 'd' a local day, 'm' its month, 'y' its year
        sa.Column("bucket", sa.Date, primary_key=True),  # the day, or the first day of the month or year
        *(sa.Column(name, sa.String(32), primary_key=True) for name in DIMENSIONS),
    ]


case_rollups = sa.Table(
    "case_rollups",
    metadata,
    *_key_columns(),
    *(sa.Column(name, sa.Integer, nullable=False) for name in COUNTS),
    # SQLite: stored in key order, so a period's rows are one contiguous range (PostgreSQL ignores this).
    sqlite_with_rowid=False,
)

# Hours to accept and to close as histograms of fixed-width slots (rollup_model.SLOT_SECONDS): a quantile
# is read off the summed histograms, exact to the slot.
case_rollup_hours = sa.Table(
    "case_rollup_hours",
    metadata,
    *_key_columns(),
    sa.Column("measure", sa.String(8), primary_key=True),  # 'accept' | 'close'
    sa.Column("slot", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("n", sa.Integer, nullable=False),
    sqlite_with_rowid=False,
)

# The overdue counts and lists: running cases past their deadline (overdue depends on the clock, so no
# rollup can hold it). This partial index holds only the running cases (a few per cent of all) with every
# column the figures group by, and the status: the overdue counts of any grouping are read from it alone.
# Queries must spell its condition as RUNNING_SQL, literally, for SQLite to use it.
RUNNING_SQL = "status IN ('accepted', 'dispatched', 'handled', 'in_progress')"
sa.Index(
    "ix_cases_running_due",
    cases.c.due,
    cases.c.submitted_at,
    *(cases.c[name] for name in DIMENSIONS),
    cases.c.status,
    sqlite_where=sa.text(RUNNING_SQL),
    postgresql_where=sa.text(RUNNING_SQL),
)
