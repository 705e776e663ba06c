"""Cases in and out of the database: an explicit data mapper between rows and the ``Case`` aggregate."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from types import MappingProxyType
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection

from civicgrid.adapters.db.rollup_model import Contribution, contribution
from civicgrid.adapters.db.rollup_writer import RollupDelta
from civicgrid.adapters.db.tables import case_events, case_photos, cases
from civicgrid.domain.case_types import (
    OPEN_STATUSES,
    Action,
    AreaChain,
    Callback,
    CaseEvent,
    Escalation,
    Location,
    Outcome,
    PendingRequest,
    Reporter,
    Satisfaction,
    Source,
    Status,
    Warning,
)
from civicgrid.domain.cases import Case, StaleVersion
from civicgrid.domain.catalogue import Urgency
from civicgrid.domain.deadlines import TimeLimit
from civicgrid.domain.errors import NotFound
from civicgrid.domain.roles import Role

LOCAL = ZoneInfo("Asia/Shanghai")


def case_number(case_id: int, submitted_at: datetime) -> str:
    """The public number: local submission date and the row id, e.g. 20261128000123."""
    return f"{submitted_at.astimezone(LOCAL):%Y%m%d}{case_id:06d}"


@dataclass(frozen=True)
class SweepCandidate:
    """The columns the sweep's cheap pre-check needs (``civicgrid.domain.escalation.Timed``), no history."""

    id: int
    status: Status
    due: datetime | None
    accept_due: datetime | None
    limit: TimeLimit | None
    warning: Warning
    escalation: Escalation


# Built once: building an INSERT of 50 columns costs ten times more than running it (bench/intake.py).
_INSERT_CASE = sa.insert(cases)
_INSERT_EVENT = sa.insert(case_events)
_LINK_PHOTOS = {
    "sqlite": sqlite_insert(case_photos).on_conflict_do_nothing(),
    "postgresql": postgresql_insert(case_photos).on_conflict_do_nothing(),
}
_NEXT_SQLITE_ID = sa.select(sa.func.coalesce(sa.func.max(cases.c.id), 0) + 1)
_NEXT_PG_ID = sa.text("SELECT nextval(pg_get_serial_sequence('cases', 'id'))")


class CaseRepository:
    """Loads and stores cases with their events. Never commits: the unit of work does."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self._last_id: int | None = None  # SQLite: ids handed out in this transaction (write lock held)
        # The rollups move with every case write; the unit of work flushes them just before it commits.
        self.rollups = RollupDelta()
        self._contributions: dict[tuple[int, int], Contribution] = {}  # (id, version) as loaded or saved
        # Intake's group commit holds new cases, their events and photo links back for one executemany each.
        self._held: tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]] | None = None

    # ------------------------------------------------------------------ write
    def add(self, case: Case, *, tracking_hash: str | None = None) -> Case:
        """Insert a new case with its id, number and first events: one INSERT for the case itself."""
        case.id = self._next_id()
        case.number = case_number(case.id, case.submitted_at)
        case.version = 1
        row = _to_row(case)
        row.update(id=case.id, version=1, tracking_hash=tracking_hash)
        self._counted(case.id, 1, None, row)
        if self._held is not None:
            self._held[0].append(row)
            self._held[1].extend(_event_row(case.id, e) for e in case.new_events)
            self._held[2].extend(_photo_links(case, own=True))
            case.with_events_saved()
            return case
        self.conn.execute(_INSERT_CASE, row)
        self._store_events(case, own_photos=True)
        return case

    def hold_new_cases(self) -> None:
        """From now on ``add`` keeps new cases (events, photo links) in memory; ``flush_held`` inserts them.

        For a unit of work that files many reports and reads none of them back before committing (intake's
        group commit): one ``executemany`` instead of two statements per report, inside the write lock.
        """
        self._held = ([], [], [])

    def flush_held(self) -> None:
        """Insert the cases held back, their events and photo links (the unit of work, before it commits)."""
        if self._held is None:
            return
        rows, events, photos = self._held
        self._held = ([], [], [])
        if rows:
            self.conn.execute(_INSERT_CASE, rows)
        if events:
            self.conn.execute(_INSERT_EVENT, events)
        self._link_photos(photos)

    def discard_held(self) -> None:
        """Forget the cases held back (the transaction was rolled back)."""
        if self._held is not None:
            self._held = ([], [], [])

    def _next_id(self) -> int:
        # The number shows the id, so the id is taken first. SQLite: the unit of work holds the write lock
        # (BEGIN IMMEDIATE), so max + 1 cannot race; PostgreSQL: the column's own sequence.
        if self.conn.dialect.name == "postgresql":
            return int(self.conn.execute(_NEXT_PG_ID).scalar_one())
        if self._last_id is None:  # once per transaction: a batch of reports asks max(id) once
            self._last_id = int(self.conn.execute(_NEXT_SQLITE_ID).scalar_one()) - 1
        self._last_id += 1
        return self._last_id

    def add_many(self, batch: Sequence[Case]) -> None:
        """Bulk insert of finished histories whose ids the simulator chose (so merges can point at them).

        The rows are the ones ``add`` would write; on PostgreSQL the id sequence is moved past them.
        """
        rows: list[dict[str, Any]] = []
        events: list[dict[str, Any]] = []
        for case in batch:
            assert case.id is not None, "add_many needs ids chosen in advance"
            case.number = case_number(case.id, case.submitted_at)
            case.version = 1
            row = _to_row(case)
            row.update(id=case.id, version=1)
            rows.append(row)
            self.rollups.add(contribution(row))
            events.extend(_event_row(case.id, e) for e in case.new_events)
        if not rows:
            return
        self._last_id = None
        self.conn.execute(sa.insert(cases), rows)
        self.conn.execute(sa.insert(case_events), events)
        self._link_photos([link for case in batch for link in _photo_links(case, own=True)])
        for case in batch:
            case.with_events_saved()
        if self.conn.dialect.name == "postgresql":
            self.conn.exec_driver_sql(
                "SELECT setval(pg_get_serial_sequence('cases', 'id'), (SELECT max(id) FROM cases))"
            )

    def next_id(self) -> int:
        """The id the next stored case would get if ids are chosen in advance (bulk loading)."""
        return (
            int(self.conn.execute(sa.select(sa.func.coalesce(sa.func.max(cases.c.id), 0))).scalar_one()) + 1
        )

    def save(self, case: Case) -> None:
        """Write the changed case; a concurrent change since it was loaded raises ``StaleVersion``."""
        assert case.id is not None
        old = self._contributions.pop((case.id, case.version), None)
        if old is None:  # not loaded through this repository: read what the row counts for now
            stored = (
                self.conn.execute(
                    sa.select(cases).where(cases.c.id == case.id, cases.c.version == case.version)
                )
                .mappings()
                .first()
            )
            old = contribution(stored) if stored is not None else None
        row = _to_row(case)
        row["version"] = case.version + 1
        result = self.conn.execute(
            sa.update(cases).where(cases.c.id == case.id, cases.c.version == case.version).values(**row)
        )
        if result.rowcount != 1:
            actual = self.conn.execute(sa.select(cases.c.version).where(cases.c.id == case.id)).scalar()
            raise StaleVersion(expected=case.version, actual=actual)
        case.version += 1
        self._counted(case.id, case.version, old, row)
        self._store_events(case)

    def flush_rollups(self) -> None:
        """Write the rollup changes gathered in this transaction (called by the unit of work)."""
        self.rollups.flush(self.conn)

    def _counted(self, case_id: int, version: int, old: Contribution | None, row: dict[str, Any]) -> None:
        new = contribution(row)
        self.rollups.move(old, new)
        self._contributions[(case_id, version)] = new

    def _store_events(self, case: Case, *, own_photos: bool = False) -> None:
        """Insert the new events and link their attachments (and, for a new case, its own photos)."""
        if case.new_events:
            self.conn.execute(_INSERT_EVENT, [_event_row(case.id, e) for e in case.new_events])
        self._link_photos(_photo_links(case, own=own_photos))
        case.with_events_saved()

    def _link_photos(self, links: list[dict[str, Any]]) -> None:
        if links:
            self.conn.execute(_LINK_PHOTOS[self.conn.dialect.name], links)

    # ------------------------------------------------------------------- read
    def get(self, case_id: int) -> Case:
        """The case with this id, with its full history."""
        row = self.conn.execute(sa.select(cases).where(cases.c.id == case_id)).mappings().first()
        if row is None:
            raise NotFound(what=f"case {case_id}")
        return self._load(row)

    def get_by_number(self, number: str) -> Case:
        """The case with this public number."""
        row = self.conn.execute(sa.select(cases).where(cases.c.number == number)).mappings().first()
        if row is None:
            raise NotFound(what=f"case {number}")
        return self._load(row)

    def id_by_tracking_hash(self, token_hash: str) -> int | None:
        """The case a tracking link points at."""
        return self.conn.execute(sa.select(cases.c.id).where(cases.c.tracking_hash == token_hash)).scalar()

    def id_by_number(self, number: str) -> int | None:
        """The id of the case with this public number."""
        return self.conn.execute(sa.select(cases.c.id).where(cases.c.number == number)).scalar()

    def open_count(self, *, assignee_code: str | None = None, org_code: str | None = None) -> int:
        """Open cases held by a worker or an organisation."""
        q = (
            sa.select(sa.func.count())
            .select_from(cases)
            .where(cases.c.status.in_([s.value for s in OPEN_STATUSES]))
        )
        if assignee_code is not None:
            q = q.where(cases.c.assignee_code == assignee_code)
        if org_code is not None:
            q = q.where(cases.c.org_code == org_code)
        return int(self.conn.execute(q).scalar_one())

    def ids_with_provisional_deadline(self) -> list[int]:
        """Open cases whose deadline was counted on a calendar year not yet published."""
        q = sa.select(cases.c.id).where(
            cases.c.due_provisional.is_(True), cases.c.status.in_([s.value for s in OPEN_STATUSES])
        )
        return list(self.conn.execute(q.order_by(cases.c.id)).scalars())

    def sweep_candidates(self, after_id: int, limit: int, statuses: Iterable[Status]) -> list[SweepCandidate]:
        """The next ``limit`` cases past ``after_id`` in these statuses with a deadline, by id."""
        # Keyset pagination by id over the cases being worked on; a case already red at the district has
        # nothing left to gain, so the ever-growing tail of old overdue cases is not read again and again.
        done = sa.and_(cases.c.warning == Warning.RED.value, cases.c.escalation == Escalation.DISTRICT.value)
        query = (
            sa.select(
                cases.c.id,
                cases.c.status,
                cases.c.due,
                cases.c.accept_due,
                cases.c.time_limit,
                cases.c.warning,
                cases.c.escalation,
            )
            .where(
                cases.c.status.in_(sorted(s.value for s in statuses)),
                cases.c.due.is_not(None),
                cases.c.id > after_id,
                sa.not_(done),
            )
            .order_by(cases.c.id)
            .limit(limit)
        )
        return [
            SweepCandidate(
                id=r.id,
                status=Status(r.status),
                due=r.due,
                accept_due=r.accept_due,
                limit=TimeLimit.parse(r.time_limit) if r.time_limit else None,
                warning=Warning(r.warning),
                escalation=Escalation(r.escalation),
            )
            for r in self.conn.execute(query)
        ]

    def _load(self, row: Any) -> Case:
        case = _from_row(row)
        assert case.id is not None
        self._contributions[(case.id, case.version)] = contribution(row)
        ev = self.conn.execute(
            sa.select(case_events).where(case_events.c.case_id == case.id).order_by(case_events.c.seq)
        ).mappings()
        case.events = [_event_from_row(r) for r in ev]
        return case


def _to_row(c: Case) -> dict[str, Any]:
    cb = c.callback
    p = c.pending
    return {
        "number": c.number,
        "source": c.source.value,
        "category_code": c.category_code,
        "urgency": c.urgency.value,
        "description": c.description,
        "lon": c.location.lon,
        "lat": c.location.lat,
        "address": c.location.address,
        "microgrid_code": c.areas.microgrid,
        "grid_code": c.areas.grid,
        "community_code": c.areas.community,
        "street_code": c.areas.street,
        "reporter_name": c.reporter.name,
        "reporter_phone": c.reporter.phone,
        "anonymous": c.reporter.anonymous,
        "status": c.status.value,
        "time_limit": str(c.limit) if c.limit else None,
        "org_code": c.org_code,
        "assignee_code": c.assignee_code,
        "submitted_at": c.submitted_at,
        "registered_at": c.registered_at,
        "dispatched_at": c.dispatched_at,
        "accepted_at": c.accepted_at,
        "handled_at": c.handled_at,
        "closed_at": c.closed_at,
        "evaluated_at": c.evaluated_at,
        "suspended_at": c.suspended_at,
        "accept_due": c.accept_due,
        "due": c.due,
        "due_provisional": c.due_provisional,
        "outcome": c.outcome.value if c.outcome else None,
        "merged_into": c.merged_into,
        "escalation": c.escalation.value,
        "warning": c.warning.value,
        "pending": None
        if p is None
        else {
            "kind": p.kind,
            "requested_by": p.requested_by,
            "at": p.at.isoformat(),
            "reason": p.reason,
            "new_due": p.new_due.isoformat() if p.new_due else None,
        },
        "callback_valid": cb.valid if cb else None,
        "callback_contacted": cb.contacted if cb else None,
        "callback_resolved": cb.resolved if cb else None,
        "satisfaction": cb.satisfaction.value if cb and cb.satisfaction else None,
        "callback_comment": cb.comment if cb else None,
        "return_count": c.return_count,
        "rework_count": c.rework_count,
        "reopen_count": c.reopen_count,
        "extension_count": c.extension_count,
        "supervision_count": c.supervision_count,
        "photos": list(c.photos),
        "attributes": c.attributes,
        "reporter_email": c.reporter.email,
        "reporter_user_id": c.reporter.user_id,
    }


def _from_row(r: Any) -> Case:
    p = r["pending"]
    pending = (
        None
        if not p
        else PendingRequest(
            kind=p["kind"],
            requested_by=p["requested_by"],
            at=datetime.fromisoformat(p["at"]),
            reason=p["reason"],
            new_due=datetime.fromisoformat(p["new_due"]) if p.get("new_due") else None,
        )
    )
    callback = (
        None
        if r["callback_valid"] is None
        else Callback(
            valid=r["callback_valid"],
            contacted=bool(r["callback_contacted"]),
            resolved=bool(r["callback_resolved"]),
            satisfaction=Satisfaction(r["satisfaction"]) if r["satisfaction"] else None,
            comment=r["callback_comment"] or "",
        )
    )
    return Case(
        id=r["id"],
        number=r["number"],
        version=r["version"],
        source=Source(r["source"]),
        category_code=r["category_code"],
        urgency=Urgency(r["urgency"]),
        description=r["description"],
        location=Location(r["lon"], r["lat"], r["address"]),
        areas=AreaChain(r["microgrid_code"], r["grid_code"], r["community_code"], r["street_code"]),
        reporter=Reporter(
            r["reporter_name"],
            r["reporter_phone"],
            r["anonymous"],
            r["reporter_email"],
            r["reporter_user_id"],
        ),
        status=Status(r["status"]),
        limit=TimeLimit.parse(r["time_limit"]) if r["time_limit"] else None,
        org_code=r["org_code"],
        assignee_code=r["assignee_code"],
        submitted_at=r["submitted_at"],
        registered_at=r["registered_at"],
        dispatched_at=r["dispatched_at"],
        accepted_at=r["accepted_at"],
        handled_at=r["handled_at"],
        closed_at=r["closed_at"],
        evaluated_at=r["evaluated_at"],
        suspended_at=r["suspended_at"],
        accept_due=r["accept_due"],
        due=r["due"],
        due_provisional=r["due_provisional"],
        outcome=Outcome(r["outcome"]) if r["outcome"] else None,
        merged_into=r["merged_into"],
        escalation=Escalation(r["escalation"]),
        warning=Warning(r["warning"]),
        pending=pending,
        callback=callback,
        return_count=r["return_count"],
        rework_count=r["rework_count"],
        reopen_count=r["reopen_count"],
        extension_count=r["extension_count"],
        supervision_count=r["supervision_count"],
        photos=tuple(r["photos"] or ()),
        attributes=dict(r["attributes"] or {}),
    )


def _photo_links(case: Case, *, own: bool) -> list[dict[str, Any]]:
    """(photo, case) rows for ``case_photos``: the new events' attachments, and with ``own`` its photos."""
    names = {*case.photos} if own else set()
    names.update(name for e in case.new_events for name in e.attachments)
    return [{"name": name, "case_id": case.id} for name in sorted(names)]


def _event_row(case_id: int | None, e: CaseEvent) -> dict[str, Any]:
    return {
        "case_id": case_id,
        "seq": e.seq,
        "action": e.action.value,
        "at": e.at,
        "actor_role": e.actor_role.value,
        "actor_id": e.actor_id,
        "actor_name": e.actor_name,
        "from_status": e.from_status.value if e.from_status else None,
        "to_status": e.to_status.value,
        "note": e.note,
        "data": dict(e.data),
        "attachments": list(e.attachments),
    }


def _event_from_row(r: Any) -> CaseEvent:
    return CaseEvent(
        seq=r["seq"],
        action=Action(r["action"]),
        at=r["at"],
        actor_role=Role(r["actor_role"]),
        actor_id=r["actor_id"],
        actor_name=r["actor_name"],
        from_status=Status(r["from_status"]) if r["from_status"] else None,
        to_status=Status(r["to_status"]),
        note=r["note"],
        data=MappingProxyType(dict(r["data"] or {})),
        attachments=tuple(r["attachments"] or ()),
    )
