"""Figures per group for a period: the cohort of cases submitted in the period, and the one before it.

``figures`` answers from the rollups (``civicgrid.analytics.rollups``): any period, any grouping, with the
previous period of equal length beside each group and the change. ``figures_from_cases`` is the reference
it is checked against: one GROUP BY over the raw cases, durations exact. The formulas of both are
``civicgrid.domain.metrics``. Durations (time to accept, time to close) are summarised as median and 90th
percentile; from the rollups they are exact to half a histogram slot (3 minutes to accept, 30 minutes to
close).
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import asdict
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from civicgrid.adapters.db.rollup_tables import COUNTS
from civicgrid.adapters.db.tables import areas, cases, categories, organisations, workers
from civicgrid.analytics.case_queries import scope_condition
from civicgrid.analytics.rollups.query import Tally, quantiles, tallies
from civicgrid.domain.access import CaseScope
from civicgrid.domain.case_types import ASSIGNED_STATUSES, OPEN_STATUSES
from civicgrid.domain.metrics import DEFAULT_WEIGHTS, Counts, Weights, rates
from civicgrid.domain.periods import EARLIEST

GROUPS = {
    "street": cases.c.street_code,
    "community": cases.c.community_code,
    "grid": cases.c.grid_code,
    "microgrid": cases.c.microgrid_code,
    "org": cases.c.org_code,
    "worker": cases.c.assignee_code,
    "category": cases.c.category_code,
    "urgency": cases.c.urgency,
    "source": cases.c.source,
}

# Counts' fields are COUNTS with 'overdue' (not in the rollups: it depends on the clock) at this place.
_COUNT_NAMES = tuple(Counts.__dataclass_fields__)
_OVERDUE_AT = _COUNT_NAMES.index("overdue")
assert (*COUNTS[:_OVERDUE_AT], "overdue", *COUNTS[_OVERDUE_AT:]) == _COUNT_NAMES

_CLOSED = cases.c.status.in_(["closed", "evaluated"]) & (cases.c.outcome == "resolved")


def _count(condition: sa.ColumnElement[bool]) -> sa.ColumnElement[int]:
    return sa.func.sum(sa.case((condition, 1), else_=0))


def figures(
    conn: Connection,
    *,
    start: datetime,
    end: datetime,
    group: str | None,
    now: datetime,
    scope: CaseScope | None = None,
    weights: Weights = DEFAULT_WEIGHTS,
    previous: bool = True,
    hours: bool = True,
    zone: ZoneInfo | None = None,
) -> list[dict[str, Any]]:
    """Counts, rates, score, grade and hours per group for cases submitted in [start, end), from the rollups.

    With ``previous``, each group also carries ``previous`` (the same figures for the period of equal
    length just before) and ``delta`` (this period minus that one; None where either has no data). Without
    ``hours`` the durations are left out (None), which spares reading their histograms: the counts and rates
    of many groups over a long period then come from a few thousand rollup rows.
    """
    current = tallies(conn, start=start, end=end, group=group, now=now, scope=scope, zone=zone, hours=hours)
    before: dict[Any, Tally] = {}
    if previous:
        a, b = previous_period(start, end)
        before = tallies(conn, start=a, end=b, group=group, now=now, scope=scope, zone=zone, hours=hours)
    names = group_names(conn, group, [k for k in current if k is not None])
    out = []
    for k, tally in current.items():
        entry: dict[str, Any] = {"key": k, "name": names.get(k, k), **_figures_of(tally, weights, hours)}
        if previous:
            entry["previous"] = _figures_of(before.get(k) or Tally(), weights, hours)
            entry["delta"] = _delta(entry, entry["previous"])
        out.append(entry)
    out.sort(key=lambda g: (-(g["rates"]["score"] or -1), str(g["key"])))
    return out


def previous_period(start: datetime, end: datetime) -> tuple[datetime, datetime]:
    """The period of equal length that ends where [start, end) begins (never before any record can be)."""
    # An empty or reversed period has an empty previous one (start - a negative span could overflow).
    span = max(timedelta(0), min(end - start, max(start - EARLIEST, timedelta(0))))
    return start - span, start


_NO_HOURS = {"accept_median": None, "accept_p90": None, "close_median": None, "close_p90": None}


def _hours(tally: Tally) -> dict[str, float | None]:
    accept_median, accept_p90 = quantiles(tally.accept, "accept", (0.5, 0.9))
    close_median, close_p90 = quantiles(tally.close, "close", (0.5, 0.9))
    return {
        "accept_median": accept_median,
        "accept_p90": accept_p90,
        "close_median": close_median,
        "close_p90": close_p90,
    }


def _figures_of(tally: Tally, weights: Weights, hours: bool = True) -> dict[str, Any]:
    values = (*tally.counts[:_OVERDUE_AT], tally.overdue, *tally.counts[_OVERDUE_AT:])
    counts = Counts(*values)
    # Without hours the raw edges of a period did count their durations: without the rest they mean nothing.
    return {
        "counts": dict(zip(_COUNT_NAMES, values, strict=True)),  # asdict() deep-copies: ten times slower
        "rates": dict(vars(rates(counts, weights))),
        "hours": _hours(tally) if hours else dict(_NO_HOURS),
    }


def _delta(now: dict[str, Any], before: dict[str, Any]) -> dict[str, Any]:
    def minus(a: float | None, b: float | None) -> float | None:
        return None if a is None or b is None else round(a - b, 6)

    out: dict[str, Any] = {
        name: now["counts"][name] - before["counts"][name] for name in ("submitted", "closed", "overdue")
    }
    out.update({name: minus(v, before["rates"][name]) for name, v in now["rates"].items() if name != "grade"})
    return out


def figures_from_cases(
    conn: Connection,
    *,
    start: datetime,
    end: datetime,
    group: str | None,
    now: datetime,
    scope: CaseScope | None = None,
    weights: Weights = DEFAULT_WEIGHTS,
) -> list[dict[str, Any]]:
    """The reference: the figures per group for cases submitted in [start, end), from the raw cases."""
    key = GROUPS[group] if group else sa.literal("all")
    running = cases.c.status.in_([s.value for s in ASSIGNED_STATUSES])
    where = [cases.c.submitted_at >= start, cases.c.submitted_at < end]
    if scope is not None:
        where.append(scope_condition(scope))
    q = (
        sa.select(
            key.label("key"),
            sa.func.count().label("submitted"),
            _count(cases.c.registered_at.is_not(None)).label("registered"),
            _count(_CLOSED).label("closed"),
            _count(_CLOSED & (cases.c.closed_at <= cases.c.due)).label("closed_on_time"),
            # Reached 'handled' at least once: a rejected report never did, a reworked or reopened one did.
            _count(
                (cases.c.status == "handled")
                | _CLOSED
                | (cases.c.rework_count > 0)
                | (cases.c.reopen_count > 0)
            ).label("handled"),
            _count(cases.c.rework_count > 0).label("reworked"),
            _count(cases.c.status.in_([s.value for s in OPEN_STATUSES])).label("open"),
            _count(running & (cases.c.due < now)).label("overdue"),
            _count(cases.c.callback_valid.is_(True)).label("valid_callbacks"),
            _count(cases.c.callback_valid.is_(True) & cases.c.callback_contacted.is_(True)).label(
                "contacted"
            ),
            _count(cases.c.callback_valid.is_(True) & cases.c.callback_resolved.is_(True)).label("resolved"),
            _count(cases.c.callback_valid.is_(True) & (cases.c.satisfaction == "satisfied")).label(
                "satisfied"
            ),
            _count(cases.c.callback_valid.is_(True) & (cases.c.satisfaction == "basically_satisfied")).label(
                "basically_satisfied"
            ),
        )
        .where(*where)
        .group_by(key)
    )
    rows = {r.key: r for r in conn.execute(q)}
    durations = _durations(conn, key, where)
    names = group_names(conn, group, [k for k in rows if k is not None])
    out = []
    for k, r in rows.items():
        counts = Counts(**{f: int(getattr(r, f) or 0) for f in Counts.__dataclass_fields__})
        out.append(
            {
                "key": k,
                "name": names.get(k, k),
                "counts": asdict(counts),
                "rates": asdict(rates(counts, weights)),
                "hours": durations.get(k, {}),
            }
        )
    out.sort(key=lambda g: (-(g["rates"]["score"] or -1), str(g["key"])))
    return out


def _durations(conn: Connection, key: sa.ColumnElement[Any], where: list[Any]) -> dict[Any, dict[str, Any]]:
    q = sa.select(
        key.label("key"),
        cases.c.dispatched_at,
        cases.c.accepted_at,
        cases.c.submitted_at,
        cases.c.closed_at,
        cases.c.outcome,
    ).where(*where)
    accept: dict[Any, list[float]] = defaultdict(list)
    close: dict[Any, list[float]] = defaultdict(list)
    for r in conn.execute(q):
        if r.dispatched_at and r.accepted_at:
            accept[r.key].append((r.accepted_at - r.dispatched_at).total_seconds() / 3600)
        if r.closed_at and r.outcome == "resolved":
            close[r.key].append((r.closed_at - r.submitted_at).total_seconds() / 3600)
    keys = set(accept) | set(close)
    return {
        k: {
            "accept_median": _quantile(accept.get(k), 0.5),
            "accept_p90": _quantile(accept.get(k), 0.9),
            "close_median": _quantile(close.get(k), 0.5),
            "close_p90": _quantile(close.get(k), 0.9),
        }
        for k in keys
    }


def _quantile(values: list[float] | None, q: float) -> float | None:
    if not values:
        return None
    if len(values) == 1:
        return round(values[0], 2)
    cuts = statistics.quantiles(sorted(values), n=100, method="inclusive")
    return round(cuts[int(q * 100) - 1], 2)


def group_names(conn: Connection, group: str | None, keys: list[Any]) -> dict[Any, str]:
    """Display names (Chinese) of group keys: area, organisation, worker or category names."""
    if not keys or group in (None, "urgency", "source"):
        return {}
    table, name = {
        "street": (areas, areas.c.name),
        "community": (areas, areas.c.name),
        "grid": (areas, areas.c.name),
        "microgrid": (areas, areas.c.name),
        "org": (organisations, organisations.c.short_name_zh),
        "worker": (workers, workers.c.name),
        "category": (categories, categories.c.name_zh),
    }[group or ""]
    wanted = set(keys)
    if table is areas and len(wanted) > 500:  # e.g. every micro-grid: one read of the areas, no IN lists
        return {c: n for c, n in conn.execute(sa.select(table.c.code, name)) if c in wanted}
    out: dict[Any, str] = {}
    for chunk in range(0, len(keys), 500):
        part = keys[chunk : chunk + 500]
        out.update(
            {c: n for c, n in conn.execute(sa.select(table.c.code, name).where(table.c.code.in_(part)))}
        )
    return out
