"""Reference data in the database: organisations, the category catalogue, time limits, workers, holidays."""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import asdict
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from civicgrid.adapters.calendar import YearSchedule
from civicgrid.adapters.db.tables import (
    areas,
    categories,
    holiday_schedules,
    major_categories,
    organisations,
    time_limits,
    worker_grids,
    workers,
)
from civicgrid.demo.people import WorkerKind, WorkerSpec
from civicgrid.domain.catalogue import (
    Catalogue,
    Category,
    UnknownCategory,
    Urgency,
    category_from_dict,
    parse_catalogue,
)
from civicgrid.domain.deadlines import TimeLimit

CATEGORY_CACHE_SECONDS = 5.0
_CATEGORY_CACHE: dict[tuple[str, str], tuple[float, Category]] = {}


class ReferenceRepository:
    """Reads and writes reference data. Never commits."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    # -------------------------------------------------------------- catalogue
    def save_catalogue(self, catalogue: Catalogue) -> None:
        """Insert organisations, major categories and categories that are not stored yet (by code)."""
        for table, items in (
            (organisations, catalogue.organisations),
            (major_categories, catalogue.majors),
            (categories, catalogue.categories),
        ):
            known = set(self.conn.execute(sa.select(table.c.code)).scalars())
            rows = [_row(item) for item in items if item.code not in known]
            if rows:
                self.conn.execute(sa.insert(table), rows)

    def catalogue(self) -> Catalogue:
        """The catalogue as stored (an administrator may have changed it since init)."""
        orgs = [_doc(r) for r in self.conn.execute(sa.select(organisations).order_by(organisations.c.code))]
        majors = [
            _doc(r) for r in self.conn.execute(sa.select(major_categories).order_by(major_categories.c.code))
        ]
        cats = [_doc(r) for r in self.conn.execute(sa.select(categories).order_by(categories.c.code))]
        return parse_catalogue({"organisations": orgs}, {"majors": majors, "categories": cats})

    def category(self, code: str) -> Category:
        """One active category by code; ``UnknownCategory`` otherwise.

        Every report looks its category up, and the catalogue changes a few times a year: answers are kept
        for a few seconds per database, so an administrator's edit is seen everywhere within that time.
        """
        key = (self.conn.engine.url.render_as_string(), code)
        now = time.monotonic()
        hit = _CATEGORY_CACHE.get(key)
        if hit is not None and now - hit[0] < CATEGORY_CACHE_SECONDS:
            return hit[1]
        row = self.conn.execute(
            sa.select(categories).where(categories.c.code == code, categories.c.active.is_(True))
        ).first()
        if row is None:
            raise UnknownCategory(code=code)
        category = category_from_dict(_doc(row))
        if len(_CATEGORY_CACHE) > 10_000:
            _CATEGORY_CACHE.clear()
        _CATEGORY_CACHE[key] = (now, category)
        return category

    def organisation_exists(self, code: str) -> bool:
        """Whether an active department or utility unit has this code."""
        q = sa.select(organisations.c.code).where(
            organisations.c.code == code, organisations.c.active.is_(True)
        )
        return self.conn.execute(q).first() is not None

    def unknown_areas(self, codes: Iterable[str]) -> list[str]:
        """Those of ``codes`` that no area of the map has, sorted; none before a map is imported (accounts
        may be made first, and the map brings their areas)."""
        wanted = set(codes)
        if not wanted or self.conn.execute(sa.select(areas.c.code).limit(1)).first() is None:
            return []
        known = set(self.conn.scalars(sa.select(areas.c.code).where(areas.c.code.in_(sorted(wanted)))))
        return sorted(wanted - known)

    def worker_exists(self, code: str) -> bool:
        """Whether an active grid worker has this code."""
        q = sa.select(workers.c.code).where(workers.c.code == code, workers.c.active.is_(True))
        return self.conn.execute(q).first() is not None

    def save_time_limits(
        self, limits: dict[tuple[str, Urgency], TimeLimit], *, replace: bool = False
    ) -> None:
        """Store category x urgency limits; existing pairs are kept unless ``replace``."""
        known = {
            (c, u)
            for c, u in self.conn.execute(sa.select(time_limits.c.category_code, time_limits.c.urgency))
        }
        for (code, urgency), limit in limits.items():
            values = {"category_code": code, "urgency": urgency.value, "limit": str(limit)}
            if (code, urgency.value) not in known:
                self.conn.execute(sa.insert(time_limits).values(**values))
            elif replace:
                self.conn.execute(
                    sa.update(time_limits)
                    .where(time_limits.c.category_code == code, time_limits.c.urgency == urgency.value)
                    .values(limit=str(limit))
                )

    def time_limit(self, category_code: str, urgency: Urgency) -> TimeLimit | None:
        """The configured limit of a category x urgency pair."""
        text = self.conn.execute(
            sa.select(time_limits.c.limit).where(
                time_limits.c.category_code == category_code, time_limits.c.urgency == urgency.value
            )
        ).scalar()
        return TimeLimit.parse(text) if text else None

    def time_limits(self) -> dict[tuple[str, str], TimeLimit]:
        """Every configured limit."""
        q = sa.select(time_limits.c.category_code, time_limits.c.urgency, time_limits.c.limit)
        return {(c, u): TimeLimit.parse(text) for c, u, text in self.conn.execute(q)}

    def organisation_codes(self, *, active_only: bool = True) -> set[str]:
        """Codes of the departments and utility units."""
        q = sa.select(organisations.c.code)
        if active_only:
            q = q.where(organisations.c.active.is_(True))
        return set(self.conn.execute(q).scalars())

    def organisation_rows(self) -> list[dict[str, Any]]:
        """Every organisation as stored, active or not, by kind and code."""
        q = sa.select(organisations).order_by(organisations.c.kind, organisations.c.code)
        return [dict(r._mapping) for r in self.conn.execute(q)]

    def organisation_row(self, code: str) -> dict[str, Any] | None:
        """One organisation as stored, active or not."""
        row = self.conn.execute(sa.select(organisations).where(organisations.c.code == code)).first()
        return dict(row._mapping) if row else None

    def update_organisation(self, code: str, values: dict[str, Any]) -> None:
        """Change an organisation's names or whether it is active."""
        self.conn.execute(sa.update(organisations).where(organisations.c.code == code).values(**values))

    def category_row(self, code: str) -> dict[str, Any] | None:
        """One category as stored, active or not."""
        row = self.conn.execute(sa.select(categories).where(categories.c.code == code)).first()
        return dict(row._mapping) if row else None

    def update_category(self, code: str, values: dict[str, Any]) -> None:
        """Change a category's department, anonymity or whether it is active."""
        self.conn.execute(sa.update(categories).where(categories.c.code == code).values(**values))
        _CATEGORY_CACHE.clear()

    # ---------------------------------------------------------------- workers
    def save_workers(self, specs: Sequence[WorkerSpec]) -> None:
        """Insert workers with the grids they serve."""
        if not specs:
            return
        self.conn.execute(
            sa.insert(workers),
            [
                {
                    "code": w.code,
                    "name": w.name,
                    "phone": w.phone,
                    "kind": str(w.kind),
                    "org_code": w.org_code,
                    "active": True,
                }
                for w in specs
            ],
        )
        self.conn.execute(
            sa.insert(worker_grids),
            [{"worker_code": w.code, "grid_code": g} for w in specs for g in w.grid_codes],
        )

    def worker_row(self, code: str) -> dict[str, Any] | None:
        """One worker as stored (active or not), with its grids."""
        row = self.conn.execute(sa.select(workers).where(workers.c.code == code)).first()
        if row is None:
            return None
        doc = dict(row._mapping)
        doc["grid_codes"] = sorted(
            self.conn.execute(
                sa.select(worker_grids.c.grid_code).where(worker_grids.c.worker_code == code)
            ).scalars()
        )
        return doc

    def save_worker(self, values: dict[str, Any], grid_codes: Sequence[str]) -> None:
        """Insert or replace one worker and the grids it serves."""
        code = values["code"]
        exists = self.conn.execute(sa.select(workers.c.code).where(workers.c.code == code)).first()
        if exists:
            self.conn.execute(sa.update(workers).where(workers.c.code == code).values(**values))
            self.conn.execute(sa.delete(worker_grids).where(worker_grids.c.worker_code == code))
        else:
            self.conn.execute(sa.insert(workers).values(**values))
        if grid_codes:
            self.conn.execute(
                sa.insert(worker_grids), [{"worker_code": code, "grid_code": g} for g in grid_codes]
            )

    def workers(self, *, grid_code: str | None = None, org_code: str | None = None) -> list[dict[str, Any]]:
        """Active workers with the grids they serve, optionally of one grid or organisation."""
        q = sa.select(
            workers.c.code, workers.c.name, workers.c.phone, workers.c.kind, workers.c.org_code
        ).where(workers.c.active.is_(True))
        if grid_code is not None:
            q = q.where(
                workers.c.code.in_(
                    sa.select(worker_grids.c.worker_code).where(worker_grids.c.grid_code == grid_code)
                )
            )
        if org_code is not None:
            q = q.where(workers.c.org_code == org_code)
        rows = [dict(r._mapping) for r in self.conn.execute(q.order_by(workers.c.code).limit(2000))]
        grids: dict[str, list[str]] = {}
        codes = [r["code"] for r in rows]
        for chunk in range(0, len(codes), 500):
            part = codes[chunk : chunk + 500]
            for w, g in self.conn.execute(
                sa.select(worker_grids.c.worker_code, worker_grids.c.grid_code).where(
                    worker_grids.c.worker_code.in_(part)
                )
            ):
                grids.setdefault(w, []).append(g)
        for r in rows:
            r["grid_codes"] = sorted(grids.get(r["code"], []))
        return rows

    def worker(self, code: str) -> dict[str, Any] | None:
        """One active worker's code, name, phone, kind and organisation; None if there is none."""
        q = sa.select(
            workers.c.code, workers.c.name, workers.c.phone, workers.c.kind, workers.c.org_code
        ).where(workers.c.code == code, workers.c.active.is_(True))
        row = self.conn.execute(q).first()
        return dict(row._mapping) if row is not None else None

    def worker_specs(self) -> list[WorkerSpec]:
        """Every active worker with the grids they serve, by code (what the workload simulator needs)."""
        grids: dict[str, list[str]] = {}
        for w, g in self.conn.execute(sa.select(worker_grids.c.worker_code, worker_grids.c.grid_code)):
            grids.setdefault(w, []).append(g)
        q = sa.select(workers.c.code, workers.c.name, workers.c.phone, workers.c.kind, workers.c.org_code)
        return [
            WorkerSpec(
                r.code, r.name, r.phone, WorkerKind(r.kind), r.org_code, tuple(sorted(grids.get(r.code, ())))
            )
            for r in self.conn.execute(q.where(workers.c.active.is_(True)).order_by(workers.c.code))
        ]

    def workers_of_grid(self, grid_code: str) -> list[dict[str, Any]]:
        """Active workers serving a grid: full-time first."""
        q = (
            sa.select(workers.c.code, workers.c.name, workers.c.kind, workers.c.org_code)
            .join(worker_grids, worker_grids.c.worker_code == workers.c.code)
            .where(worker_grids.c.grid_code == grid_code, workers.c.active.is_(True))
            .order_by(workers.c.kind, workers.c.code)
        )
        return [dict(r._mapping) for r in self.conn.execute(q)]

    # --------------------------------------------------------------- calendar
    def save_holiday_schedule(self, schedule: YearSchedule, now: datetime) -> None:
        """Store (or replace) one year's official schedule."""
        self.conn.execute(sa.delete(holiday_schedules).where(holiday_schedules.c.year == schedule.year))
        self.conn.execute(
            sa.insert(holiday_schedules).values(
                year=schedule.year,
                holidays=sorted(d.isoformat() for d in schedule.holidays),
                workdays=sorted(d.isoformat() for d in schedule.workdays),
                loaded_at=now,
            )
        )

    def holiday_schedules(self) -> dict[int, YearSchedule]:
        """Every loaded official schedule by year."""
        return {
            r.year: YearSchedule(r.year, _dates(r.holidays), _dates(r.workdays))
            for r in self.conn.execute(sa.select(holiday_schedules))
        }


def _row(item: Any) -> dict[str, Any]:
    row = asdict(item)
    for key, value in row.items():
        if isinstance(value, tuple):
            row[key] = list(value)
    return row


def _doc(row: Any) -> dict[str, Any]:
    doc = dict(row._mapping)
    doc.pop("active", None)
    return doc


def _dates(values: Iterable[str]) -> frozenset[date]:
    return frozenset(date.fromisoformat(v) for v in values)
