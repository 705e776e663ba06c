"""Read side of the administrator's desk: the overview's counts, and the audit log and the worker roster,
filtered and paged in SQL."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from civicgrid.adapters.db.account_tables import api_keys, audit_log, users
from civicgrid.adapters.db.tables import areas, categories, organisations, worker_grids, workers
from civicgrid.analytics.case_queries import Page, escape_like
from civicgrid.domain.case_types import mask_phone


@dataclass(frozen=True)
class DeskCounts:
    """The overview's figures: what each administration page lists."""

    organisations: int
    active_workers: int  # as many as the roster shows unfiltered
    categories: int
    accounts: int  # active or not, as the accounts page lists them
    active_api_keys: int


def desk_counts(conn: Connection) -> DeskCounts:
    """The overview's figures in one SELECT of counts.

    The overview shows numbers only: loading the catalogue, every account or a page of the roster to
    count them reads rows for a figure the database gives by itself.
    """

    def count(table: sa.Table, *where: sa.ColumnElement[bool]) -> sa.ScalarSelect[int]:
        return sa.select(sa.func.count()).select_from(table).where(*where).scalar_subquery()

    row = conn.execute(
        sa.select(
            count(organisations),
            count(workers, *_worker_where(WorkerFilters())),  # the roster's own default: active workers
            count(categories),
            count(users),
            count(api_keys, api_keys.c.revoked_at.is_(None)),
        )
    ).one()
    return DeskCounts(*(int(n) for n in row))


@dataclass(frozen=True)
class AuditFilters:
    actor: str | None = None  # the actor's name, or part of it
    action: str | None = None  # an action, or its prefix ("case." matches every case action)
    since: datetime | None = None
    until: datetime | None = None


def _audit_where(f: AuditFilters) -> list[sa.ColumnElement[bool]]:
    where: list[sa.ColumnElement[bool]] = []
    if f.actor:
        where.append(audit_log.c.actor_name.like(f"%{escape_like(f.actor)}%", escape="\\"))
    if f.action:
        where.append(audit_log.c.action.like(f"{escape_like(f.action)}%", escape="\\"))
    if f.since:
        where.append(audit_log.c.at >= f.since)
    if f.until:
        where.append(audit_log.c.at < f.until)
    return where


def audit_page(conn: Connection, f: AuditFilters, *, page: int, page_size: int = 50) -> Page:
    """The newest audit lines first."""
    where = _audit_where(f)
    total = conn.execute(sa.select(sa.func.count()).select_from(audit_log).where(*where)).scalar_one()
    q = (
        sa.select(audit_log)
        .where(*where)
        .order_by(audit_log.c.id.desc())
        .limit(page_size)
        .offset((max(1, page) - 1) * page_size)
    )
    return Page([dict(r._mapping) for r in conn.execute(q)], int(total), page, page_size)


def audit_actions(conn: Connection) -> list[str]:
    """The actions the log holds, for the filter's choices."""
    return [a for (a,) in conn.execute(sa.select(audit_log.c.action).distinct().order_by(audit_log.c.action))]


def audit_rows(conn: Connection, f: AuditFilters) -> tuple[int, Iterator[dict[str, Any]]]:
    """Every matching line (for an export): the count, and the rows newest first."""
    where = _audit_where(f)
    total = conn.execute(sa.select(sa.func.count()).select_from(audit_log).where(*where)).scalar_one()
    rows = conn.execute(sa.select(audit_log).where(*where).order_by(audit_log.c.id.desc()))
    return int(total), (dict(r._mapping) for r in rows)


@dataclass(frozen=True)
class WorkerFilters:
    text: str | None = None  # code or name
    org_code: str | None = None
    kind: str | None = None
    grid_code: str | None = None
    include_inactive: bool = False


def _worker_where(f: WorkerFilters) -> list[sa.ColumnElement[bool]]:
    where: list[sa.ColumnElement[bool]] = []
    if not f.include_inactive:
        where.append(workers.c.active.is_(True))
    if f.text:
        like = f"%{escape_like(f.text.strip())}%"
        where.append(sa.or_(workers.c.code.like(like, escape="\\"), workers.c.name.like(like, escape="\\")))
    if f.org_code:
        where.append(workers.c.org_code == f.org_code)
    if f.kind:
        where.append(workers.c.kind == f.kind)
    if f.grid_code:
        where.append(
            workers.c.code.in_(
                sa.select(worker_grids.c.worker_code).where(worker_grids.c.grid_code == f.grid_code)
            )
        )
    return where


def worker_page(conn: Connection, f: WorkerFilters, *, page: int, page_size: int = 50) -> Page:
    """Workers by code, with the grids each serves (phones masked)."""
    where = _worker_where(f)
    total = conn.execute(sa.select(sa.func.count()).select_from(workers).where(*where)).scalar_one()
    q = (
        sa.select(workers)
        .where(*where)
        .order_by(workers.c.code)
        .limit(page_size)
        .offset((max(1, page) - 1) * page_size)
    )
    rows = [dict(r._mapping) for r in conn.execute(q)]
    _as_roster(conn, rows)
    return Page(rows, int(total), page, page_size)


def worker_rows(conn: Connection, f: WorkerFilters) -> tuple[int, list[dict[str, Any]]]:
    """Every matching worker, as ``worker_page`` shows them (for an export)."""
    where = _worker_where(f)
    rows = [dict(r._mapping) for r in conn.execute(sa.select(workers).where(*where).order_by(workers.c.code))]
    _as_roster(conn, rows)
    return len(rows), rows


def _as_roster(conn: Connection, rows: list[dict[str, Any]]) -> None:
    # Each worker's grids, and phones masked: the roster is not a phone book (the edit form has the number).
    grids: dict[str, list[str]] = {}
    codes = [r["code"] for r in rows]
    for chunk in range(0, len(codes), 500):
        q = sa.select(worker_grids.c.worker_code, worker_grids.c.grid_code).where(
            worker_grids.c.worker_code.in_(codes[chunk : chunk + 500])
        )
        for w, g in conn.execute(q):
            grids.setdefault(w, []).append(g)
    for r in rows:
        r["grid_codes"] = sorted(grids.get(r["code"], []))
        r["phone"] = mask_phone(r["phone"])


# The levels a routing rule is usually written for (a micro-grid may be typed by its code).
RULE_LEVELS = ("district", "street", "community", "grid")


def area_choices(conn: Connection) -> list[dict[str, str]]:
    """The areas a routing rule form offers: code, name and level, the district and its streets first."""
    order = sa.case({level: i for i, level in enumerate(RULE_LEVELS)}, value=areas.c.level)
    q = (
        sa.select(areas.c.code, areas.c.name, areas.c.level)
        .where(areas.c.level.in_(RULE_LEVELS))
        .order_by(order, areas.c.code)
    )
    return [dict(r._mapping) for r in conn.execute(q)]
