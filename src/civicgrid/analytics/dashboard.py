"""The command centre's panels, each one ``analytics.figures.figures`` call (one GROUP BY) shaped for a panel.

- ``summary``: the district's (or the desk's) figures for a period and the period before, with the changes;
- ``ranking``: streets, communities, departments or workers by the score or any rate, best and worst;
- ``categories``: 大类 with their 小类, counts and rates (a 大类's rates come from its summed counts);
- ``area_map``: the children of an area (or a whole level) as GeoJSON with their figures, and the breadcrumb.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from datetime import datetime
from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from civicgrid.adapters.db.tables import areas, categories, major_categories, organisations
from civicgrid.analytics.figures import figures
from civicgrid.domain.access import CaseScope
from civicgrid.domain.dashboard_periods import Period
from civicgrid.domain.errors import N_, InvalidInput, NotFound
from civicgrid.domain.geography import Level
from civicgrid.domain.metrics import Counts, rates

RATES = ("score", "response", "resolution", "satisfaction", "on_time", "closure", "rework")
COUNTS = ("submitted", "open", "overdue", "closed")
Figure = Literal[
    "score",
    "response",
    "resolution",
    "satisfaction",
    "on_time",
    "closure",
    "rework",
    "submitted",
    "open",
    "overdue",
    "closed",
]
RankGroup = Literal["street", "community", "org", "worker"]
_CHILD = {
    Level.DISTRICT: Level.STREET,
    Level.STREET: Level.COMMUNITY,
    Level.COMMUNITY: Level.GRID,
    Level.GRID: Level.MICROGRID,
}


class UnknownArea(NotFound):
    code = "unknown_area"
    message = N_("There is no area {code} to show children of.")


class LevelMismatch(InvalidInput):
    code = "invalid_level"
    message = N_("The children of {code} are at level {expected}, not {level}.")


def value_of(group: dict[str, Any], figure: str) -> float | None:
    """One figure of a group: a rate (0-1, the score 0-100) or a count."""
    if figure in RATES:
        value: float | None = group["rates"][figure]
        return value
    return float(group["counts"][figure])


def previous_figures(
    conn: Connection, *, period: Period, group: str | None, now: datetime, scope: CaseScope | None
) -> list[dict[str, Any]]:
    """The figures of the period before: a second call now; the rollups' ``previous`` can replace it here."""
    return figures(
        conn, start=period.previous_start, end=period.previous_end, group=group, now=now, scope=scope
    )


def _total(rows: list[dict[str, Any]]) -> dict[str, Any]:
    if rows:
        return rows[0]
    empty = Counts()
    return {"key": "all", "name": "all", "counts": asdict(empty), "rates": asdict(rates(empty)), "hours": {}}


def summary(
    conn: Connection,
    *,
    period: Period,
    now: datetime,
    scope: CaseScope | None,
    current: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Totals of the period and of the one before, and the change of each figure (None without data).

    ``current`` may be given when the caller already has the period's totals (``total_of`` its groups).
    """
    if current is None:
        current = _total(figures(conn, start=period.start, end=period.end, group=None, now=now, scope=scope))
    previous = _total(previous_figures(conn, period=period, group=None, now=now, scope=scope))
    change = {}
    for figure in (*RATES, *COUNTS):
        a, b = value_of(current, figure), value_of(previous, figure)
        change[figure] = None if a is None or b is None else round(a - b, 6)
    return {
        "current": current,
        "previous": previous,
        "change": change,
        "previous_from": period.previous_start,
        "previous_to": period.previous_end,
    }


def total_of(groups: list[dict[str, Any]]) -> dict[str, Any]:
    """The total of a partition of the cases (e.g. every category): summed counts, their rates, no hours."""
    total = Counts()
    for g in groups:
        total = Counts(**{f: getattr(total, f) + g["counts"][f] for f in g["counts"]})
    return {"key": "all", "name": "all", "counts": asdict(total), "rates": asdict(rates(total)), "hours": {}}


def ranking(
    conn: Connection,
    *,
    period: Period,
    group: RankGroup,
    by: str,
    now: datetime,
    scope: CaseScope | None,
    limit: int = 10,
    locale: str = "zh_CN",
) -> dict[str, Any]:
    """Groups by one figure, highest first ('top') and lowest first ('bottom'); no data is unranked."""
    rows = figures(conn, start=period.start, end=period.end, group=group, now=now, scope=scope)
    _english_names(conn, group, rows, locale)
    ranked = [r for r in rows if r["key"] is not None and value_of(r, by) is not None]
    ranked.sort(key=lambda r: (-(value_of(r, by) or 0.0), str(r["key"])))
    # Competition ranking: equal values share a rank (1, 1, 3); the bottom list is the ranking reversed.
    slim, rank, last = [], 0, None
    for i, r in enumerate(ranked):
        value = value_of(r, by)
        if value != last:
            rank, last = i + 1, value
        slim.append(_slim(r, rank))
    return {
        "group": group,
        "by": by,
        "top": slim[:limit],
        "bottom": slim[::-1][:limit],
        "ranked": len(ranked),
        "no_data": len(rows) - len(ranked),
    }


def _slim(row: dict[str, Any], rank: int) -> dict[str, Any]:
    return {
        "rank": rank,
        "key": row["key"],
        "name": row["name"],
        "counts": row["counts"],
        "rates": row["rates"],
    }


def categories_breakdown(
    conn: Connection, *, period: Period, now: datetime, scope: CaseScope | None, locale: str = "zh_CN"
) -> list[dict[str, Any]]:
    """大类 (most cases first) with their 小类: counts and rates (a 大类's from its summed counts)."""
    rows = figures(conn, start=period.start, end=period.end, group="category", now=now, scope=scope)
    english = locale == "en"
    name = categories.c.name_en if english else categories.c.name_zh
    major_name = major_categories.c.name_en if english else major_categories.c.name_zh
    q = sa.select(categories.c.code, name.label("name"), categories.c.major, major_name.label("major_name"))
    q = q.join_from(categories, major_categories, categories.c.major == major_categories.c.code)
    info = {r.code: r for r in conn.execute(q)}
    majors: dict[str, dict[str, Any]] = {}
    for row in rows:
        meta = info.get(row["key"])
        major_code = meta.major if meta else "?"
        major = majors.setdefault(
            major_code,
            {
                "key": major_code,
                "name": meta.major_name if meta else major_code,
                "minors": [],
                "sum": Counts(),
            },
        )
        major["minors"].append(
            {
                "key": row["key"],
                "name": meta.name if meta else row["key"],
                "counts": row["counts"],
                "rates": row["rates"],
            }
        )
        major["sum"] = Counts(**{f: getattr(major["sum"], f) + row["counts"][f] for f in row["counts"]})
    out = []
    for major in majors.values():
        total: Counts = major.pop("sum")
        major["counts"], major["rates"] = asdict(total), asdict(rates(total))
        major["minors"].sort(key=lambda m: (-m["counts"]["submitted"], m["key"]))
        out.append(major)
    out.sort(key=lambda m: (-m["counts"]["submitted"], m["key"]))
    return out


def _english_names(conn: Connection, group: str, rows: list[dict[str, Any]], locale: str) -> None:
    # Departments have English names; areas and people have only the names they were given.
    if locale != "en" or group != "org" or not rows:
        return
    q = sa.select(organisations.c.code, organisations.c.short_name_en)
    names = {
        code: name for code, name in conn.execute(q.where(organisations.c.code.in_([r["key"] for r in rows])))
    }
    for r in rows:
        r["name"] = names.get(r["key"], r["name"])


def area_map(
    conn: Connection,
    *,
    period: Period,
    now: datetime,
    scope: CaseScope | None,
    parent: str | None = None,
    level: Level | None = None,
) -> dict[str, Any]:
    """GeoJSON of the children of ``parent`` (or every area of ``level``; the streets by default).

    Each feature carries its counts and rates, or ``null`` ones when no case of the period is there: an
    area without data is not an area at 0 %.
    """
    trail = _breadcrumb(conn, parent) if parent else []
    if parent:
        parent_level = Level(trail[-1]["level"])
        child = _CHILD.get(parent_level)
        if child is None or (level is not None and level is not child):
            raise LevelMismatch(code=parent, expected=child.value if child else "-", level=level or "-")
        level = child
    level = level or Level.STREET
    if level is Level.DISTRICT:
        raise LevelMismatch(code="-", expected=Level.STREET.value, level=level.value)
    q = sa.select(areas.c.code, areas.c.name, areas.c.parent_code, areas.c.geometry).where(
        areas.c.level == level.value
    )
    if parent:
        q = q.where(areas.c.parent_code == parent)
    shapes = list(conn.execute(q.order_by(areas.c.code)))
    data = {
        r["key"]: r
        for r in figures(conn, start=period.start, end=period.end, group=level.value, now=now, scope=scope)
    }
    features = []
    for s in shapes:
        found = data.get(s.code)
        features.append(
            {
                "type": "Feature",
                "id": s.code,
                "geometry": s.geometry,
                "properties": {
                    "code": s.code,
                    "name": s.name,
                    "level": level.value,
                    "parent_code": s.parent_code,
                    "has_children": level is not Level.MICROGRID,
                    "counts": found["counts"] if found else None,
                    "rates": found["rates"] if found else None,
                },
            }
        )
    return {"type": "FeatureCollection", "level": level.value, "breadcrumb": trail, "features": features}


def _breadcrumb(conn: Connection, code: str) -> list[dict[str, str]]:
    """The area and its ancestors, from the district down (at most five rows, one query per level)."""
    trail: list[dict[str, str]] = []
    current: str | None = code
    while current is not None and len(trail) < 6:
        row = conn.execute(
            sa.select(areas.c.code, areas.c.name, areas.c.level, areas.c.parent_code).where(
                areas.c.code == current
            )
        ).first()
        if row is None:
            raise UnknownArea(code=code)
        trail.append({"code": row.code, "name": row.name, "level": row.level})
        current = row.parent_code
    return list(reversed(trail))


def overview(
    conn: Connection,
    *,
    period: Period,
    now: datetime,
    scope: CaseScope | None,
    rankings: Sequence[tuple[RankGroup, str]] = (("street", "score"),),
    limit: int = 10,
    locale: str = "zh_CN",
) -> dict[str, Any]:
    """What the desk and the wall show as numbers: the summary, rankings and the category breakdown.

    Every case has one category, so the period's totals are the sum of the categories' counts: one
    GROUP BY fewer on every page view and refresh.
    """
    breakdown = categories_breakdown(conn, period=period, now=now, scope=scope, locale=locale)
    return {
        "from": period.start,
        "to": period.end,
        "summary": summary(conn, period=period, now=now, scope=scope, current=total_of(breakdown)),
        "rankings": [
            ranking(conn, period=period, group=g, by=by, now=now, scope=scope, limit=limit, locale=locale)
            for g, by in rankings
        ],
        "categories": breakdown,
    }
