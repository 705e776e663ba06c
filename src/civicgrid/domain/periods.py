"""The bounds of a search period (from/to of a listing, a figure or an Open311 query)."""

from __future__ import annotations

from datetime import UTC, datetime

# No record predates the first or outlives the second; both stay far from the calendar's ends (years 1 and
# 9999), where a change of time zone or a 90-day window would step outside what a datetime can hold.
EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
LATEST = datetime(9000, 1, 1, tzinfo=UTC)


def search_bound(moment: datetime) -> datetime:
    """An aware ``moment`` held within EARLIEST..LATEST: a bound beyond them selects the same records."""
    return min(max(moment, EARLIEST), LATEST)
