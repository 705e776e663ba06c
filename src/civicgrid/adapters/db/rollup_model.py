"""What one case contributes to the rollups: a pure function of its row, and the cubes it lands in.

The same function serves the maintenance (old contribution out, new one in, at every case write) and the
rebuild from raw cases, so the two cannot drift apart; ``civicgrid figures check`` compares them.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from civicgrid.adapters.db.rollup_tables import DIMENSIONS
from civicgrid.domain.case_types import OPEN_STATUSES

DAY, MONTH, YEAR = "d", "m", "y"
# Histogram slot widths: time to accept in tenths of an hour (6 minutes), time to close in whole hours.
SLOT_SECONDS = {"accept": 360, "close": 3600}
# The columns of ``cases`` a contribution is computed from.
ROW_COLUMNS = (
    *DIMENSIONS,
    "status",
    "outcome",
    "submitted_at",
    "registered_at",
    "dispatched_at",
    "accepted_at",
    "closed_at",
    "due",
    "rework_count",
    "reopen_count",
    "callback_valid",
    "callback_contacted",
    "callback_resolved",
    "satisfaction",
)
_OPEN = frozenset(s.value for s in OPEN_STATUSES)
_FINISHED = frozenset({"closed", "evaluated"})


@dataclass(frozen=True)
class Cube:
    """A rollup keyed by some of the case dimensions (the others are ''), per day and maybe month and year."""

    name: str
    dims: frozenset[str]
    grains: tuple[str, ...]
    # The dimension whose value fixes the cube's others (a micro-grid lies in one grid, community and
    # street), if any: grouped by it, one bucket holds one row per group.
    finest: str | None = None

    def project(self, dims: tuple[str, ...]) -> tuple[str, ...]:
        """The key of a case in this cube: its values of the cube's dimensions, '' for the others."""
        return tuple(v if name in self.dims else "" for name, v in zip(DIMENSIONS, dims, strict=True))


_AREA = frozenset({"street_code", "community_code", "grid_code", "microgrid_code"})
# Smallest first: a query takes the first cube holding every dimension it groups or filters by. Each has
# day rows. The area cube also has year rows: its thousands of micro-grids over a year read one or two rows
# each instead of twelve (bench/dashboard.py's micro-grid year); a grain costs one more upsert per change.
CUBES = (
    Cube("community", frozenset({"street_code", "community_code"}), (DAY, MONTH), "community_code"),
    Cube("area", _AREA, (DAY, MONTH, YEAR), "microgrid_code"),
    Cube("org", frozenset({"org_code", "assignee_code"}), (DAY, MONTH)),
    Cube("kind", frozenset({"org_code", "category_code", "urgency", "source"}), (DAY, MONTH)),
    Cube("full", frozenset(DIMENSIONS), (DAY,)),
)
CUBE_BY_NAME = {c.name: c for c in CUBES}


@lru_cache(maxsize=1)
def rollup_zone() -> ZoneInfo:
    """The district's time zone (CIVICGRID_TIMEZONE): rollup days are local days."""
    return ZoneInfo(os.environ.get("CIVICGRID_TIMEZONE") or "Asia/Shanghai")


@dataclass(frozen=True)
class Contribution:
    """One case's share of the figures: its local submission day, key, counts and duration slots."""

    day: date
    dims: tuple[str, ...]
    counts: tuple[int, ...]
    accept_slot: int | None
    close_slot: int | None

    def row_keys(self) -> list[tuple[Any, ...]]:
        """(cube, grain, bucket, *dims) of every rollup row this case is counted in."""
        bucket = {DAY: self.day, MONTH: self.day.replace(day=1), YEAR: self.day.replace(month=1, day=1)}
        return [
            (cube.name, grain, bucket[grain], *cube.project(self.dims))
            for cube in CUBES
            for grain in cube.grains
        ]


def _aware(value: Any) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value if value is None or value.tzinfo else value.replace(tzinfo=UTC)
    return datetime.fromisoformat(str(value)).replace(tzinfo=UTC)  # raw SQLite text is UTC


def driver_time(dialect: str, moment: datetime) -> Any:
    """A moment as the driver compares it with stored ones: SQLite holds UTC text as SQLAlchemy wrote it."""
    if dialect == "postgresql":
        return moment
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def slot(measure: str, duration: timedelta) -> int:
    """The histogram slot of a duration (never negative)."""
    return max(0, duration // timedelta(seconds=SLOT_SECONDS[measure]))


def contribution(row: Mapping[Any, Any], zone: ZoneInfo | None = None) -> Contribution:
    """The contribution of a case row (the columns of ``cases``; raw driver values are accepted too)."""
    status, outcome = row["status"], row["outcome"]
    submitted = _aware(row["submitted_at"])
    closed_at, due = _aware(row["closed_at"]), _aware(row["due"])
    dispatched, accepted = _aware(row["dispatched_at"]), _aware(row["accepted_at"])
    assert submitted is not None
    closed = status in _FINISHED and outcome == "resolved"
    valid = bool(row["callback_valid"])
    satisfaction = row["satisfaction"] if valid else None
    counts = (
        1,
        row["registered_at"] is not None,
        closed,
        closed and closed_at is not None and due is not None and closed_at <= due,
        # Reached 'handled' at least once: a rejected report never did, a reworked or reopened one did.
        status == "handled" or closed or row["rework_count"] > 0 or row["reopen_count"] > 0,
        row["rework_count"] > 0,
        status in _OPEN,
        valid,
        valid and bool(row["callback_contacted"]),
        valid and bool(row["callback_resolved"]),
        satisfaction == "satisfied",
        satisfaction == "basically_satisfied",
    )
    return Contribution(
        day=submitted.astimezone(zone or rollup_zone()).date(),
        dims=tuple(row[name] or "" for name in DIMENSIONS),
        counts=tuple(int(c) for c in counts),
        accept_slot=slot("accept", accepted - dispatched) if dispatched and accepted else None,
        close_slot=slot("close", closed_at - submitted) if closed_at and outcome == "resolved" else None,
    )
