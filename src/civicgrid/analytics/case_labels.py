"""Names for the codes a case carries (category and its major class, organisation, worker, areas).

Pages show names, not codes; one query per kind of code for a whole page of cases, never one per row.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from civicgrid.adapters.db.tables import (
    areas,
    categories,
    major_categories,
    organisations,
    time_limits,
    workers,
)


@dataclass(frozen=True)
class Labels:
    """Code -> name in the reader's language (Chinese names where the map and roster have only those)."""

    categories: dict[str, str] = field(default_factory=dict)
    majors: dict[str, str] = field(default_factory=dict)  # category code -> its major class's name
    organisations: dict[str, str] = field(default_factory=dict)
    workers: dict[str, str] = field(default_factory=dict)
    areas: dict[str, str] = field(default_factory=dict)
    # (category, urgency) -> its time limit as stored, e.g. "7d working"
    time_limits: dict[tuple[str, str], str] = field(default_factory=dict)

    def category(self, code: str | None) -> str:
        """The category's name, or its code when it is no longer in the catalogue."""
        return self.categories.get(code or "", code or "")

    def organisation(self, code: str | None) -> str:
        """The organisation's name, or its code."""
        return self.organisations.get(code or "", code or "")

    def worker(self, code: str | None) -> str:
        """The worker's name, or their code."""
        return self.workers.get(code or "", code or "")

    def area(self, code: str | None) -> str:
        """The area's name, or its code."""
        return self.areas.get(code or "", code or "")


def labels_for(
    conn: Connection,
    *,
    locale: str,
    category_codes: Iterable[str | None] = (),
    org_codes: Iterable[str | None] = (),
    worker_codes: Iterable[str | None] = (),
    area_codes: Iterable[str | None] = (),
    short_organisations: bool = False,
    with_time_limits: bool = False,
) -> Labels:
    """The names of the given codes (unknown ones are absent); lists use organisations' short names.

    ``with_time_limits`` also reads the categories' time limits (the queues show them).
    """
    en = locale == "en"
    cats = _codes(category_codes)
    cat_names: dict[str, str] = {}
    major_names: dict[str, str] = {}
    if cats:
        q = (
            sa.select(
                categories.c.code,
                categories.c.name_en if en else categories.c.name_zh,
                major_categories.c.name_en if en else major_categories.c.name_zh,
            )
            .join(major_categories, major_categories.c.code == categories.c.major)
            .where(categories.c.code.in_(cats))
        )
        for code, name, major in conn.execute(q):
            cat_names[code], major_names[code] = name, major
    if short_organisations:
        org_name = organisations.c.short_name_en if en else organisations.c.short_name_zh
    else:
        org_name = organisations.c.name_en if en else organisations.c.name_zh
    return Labels(
        categories=cat_names,
        majors=major_names,
        organisations=_names(conn, organisations.c.code, org_name, _codes(org_codes)),
        workers=_names(conn, workers.c.code, workers.c.name, _codes(worker_codes)),
        areas=_names(conn, areas.c.code, areas.c.name, _codes(area_codes)),
        time_limits=_time_limits(conn, cats) if with_time_limits else {},
    )


def every_label(conn: Connection, *, locale: str) -> Labels:
    """The names of every category, organisation (short), worker and area: for an export of many cases,
    whose codes are not known before its rows stream (a few thousand names, read once)."""
    en = locale == "en"
    org_name = organisations.c.short_name_en if en else organisations.c.short_name_zh
    cat_name = categories.c.name_en if en else categories.c.name_zh
    return Labels(
        categories=_every_name(conn, categories.c.code, cat_name),
        organisations=_every_name(conn, organisations.c.code, org_name),
        workers=_every_name(conn, workers.c.code, workers.c.name),
        areas=_every_name(conn, areas.c.code, areas.c.name),
    )


def choices(conn: Connection, *, locale: str) -> dict[str, list[dict[str, Any]]]:
    """What a case search form offers: streets and communities, organisations, categories by major class."""
    en = locale == "en"
    places = conn.execute(
        sa.select(areas.c.code, areas.c.name, areas.c.level, areas.c.parent_code)
        .where(areas.c.level.in_(["street", "community"]))
        .order_by(areas.c.code)
    )
    orgs = conn.execute(
        sa.select(organisations.c.code, organisations.c.name_en if en else organisations.c.name_zh)
        .where(organisations.c.active.is_(True))
        .order_by(organisations.c.code)
    )
    cats = conn.execute(
        sa.select(
            categories.c.code,
            categories.c.name_en if en else categories.c.name_zh,
            major_categories.c.name_en if en else major_categories.c.name_zh,
        )
        .join(major_categories, major_categories.c.code == categories.c.major)
        .where(categories.c.active.is_(True))
        .order_by(categories.c.major, categories.c.code)
    )
    return {
        "areas": [{"code": c, "name": n, "level": lv, "parent": p} for c, n, lv, p in places],
        "organisations": [{"code": c, "name": n} for c, n in orgs],
        "categories": [{"code": c, "name": n, "major": m} for c, n, m in cats],
    }


def _codes(values: Iterable[str | None]) -> list[str]:
    return sorted({v for v in values if v})


def _time_limits(conn: Connection, category_codes: list[str]) -> dict[tuple[str, str], str]:
    if not category_codes:
        return {}
    q = sa.select(time_limits.c.category_code, time_limits.c.urgency, time_limits.c.limit).where(
        time_limits.c.category_code.in_(category_codes)
    )
    return {(str(c), str(u)): str(limit) for c, u, limit in conn.execute(q)}


def _every_name(conn: Connection, key: sa.ColumnElement[Any], name: sa.ColumnElement[Any]) -> dict[str, str]:
    return {code: label for code, label in conn.execute(sa.select(key, name))}


def _names(
    conn: Connection, key: sa.ColumnElement[Any], name: sa.ColumnElement[Any], codes: list[str]
) -> dict[str, str]:
    if not codes:
        return {}
    return {code: label for code, label in conn.execute(sa.select(key, name).where(key.in_(codes)))}
