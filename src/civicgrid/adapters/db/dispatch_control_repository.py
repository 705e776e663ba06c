"""Suggestions stored with their cases, operator overrides and per-category dispatch settings."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from civicgrid.adapters.db.dispatch_tables import (
    case_suggestions,
    category_dispatch_settings,
    dispatch_overrides,
)
from civicgrid.adapters.db.tables import cases, worker_grids, workers
from civicgrid.domain.case_types import AreaChain, Status
from civicgrid.domain.dispatch import Reason, Suggestion, reason
from civicgrid.domain.dispatch_control import AutoMode, CategorySettings, Taken
from civicgrid.domain.roles import Actor


@dataclass(frozen=True)
class StoredSuggestion:
    """A suggestion as stored with its case, and what became of it."""

    case_id: int
    created_at: datetime
    suggestion: Suggestion
    auto_dispatched: bool
    decided_at: datetime | None
    taken: Taken | None


@dataclass(frozen=True)
class NewCase:
    """What suggesting needs of a newly stored case."""

    id: int
    number: str
    status: str
    category_code: str
    description: str
    chain: AreaChain


@dataclass(frozen=True)
class Override:
    """An operator's decision that differs from the suggestion."""

    id: int
    case_number: str
    at: datetime
    action: str
    actor_role: str
    actor_name: str
    suggested: tuple[str, str | None, str | None]
    chosen: tuple[str, str | None, str | None]
    confidence: float | None
    model_version: int | None


_COUNTS = (
    "suggested",
    "auto_dispatched",
    "decided",
    "category_taken",
    "org_taken",
    "org_decided",
    "assignee_taken",
    "taken",
)


class DispatchControlRepository:
    """Reads and writes suggestions, overrides and category settings. Never commits."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    # ------------------------------------------------------------ suggestions
    def new_cases(self, ids: Sequence[int]) -> list[NewCase]:
        """These cases with what suggesting needs, those without a stored suggestion only."""
        if not ids:
            return []
        q = (
            sa.select(
                cases.c.id,
                cases.c.number,
                cases.c.status,
                cases.c.category_code,
                cases.c.description,
                cases.c.microgrid_code,
                cases.c.grid_code,
                cases.c.community_code,
                cases.c.street_code,
            )
            .where(
                cases.c.id.in_(list(ids)),
                ~sa.exists().where(case_suggestions.c.case_id == cases.c.id),
            )
            .order_by(cases.c.id)
        )
        return [
            NewCase(
                r.id,
                r.number,
                r.status,
                r.category_code,
                r.description,
                AreaChain(r.microgrid_code, r.grid_code, r.community_code, r.street_code),
            )
            for r in self.conn.execute(q)
        ]

    def unsuggested_ids(self, *, before: datetime, limit: int) -> list[int]:
        """Submitted cases stored before ``before`` that have no suggestion yet (oldest first)."""
        q = (
            sa.select(cases.c.id)
            .where(
                cases.c.status == Status.SUBMITTED.value,
                cases.c.submitted_at < before,
                ~sa.exists().where(case_suggestions.c.case_id == cases.c.id),
            )
            .order_by(cases.c.id)
            .limit(limit)
        )
        return [int(x) for x in self.conn.execute(q).scalars()]

    def existing(self, ids: Sequence[int]) -> set[int]:
        """Which of these cases already have a stored suggestion."""
        if not ids:
            return set()
        q = sa.select(case_suggestions.c.case_id).where(case_suggestions.c.case_id.in_(list(ids)))
        return {int(x) for x in self.conn.execute(q).scalars()}

    def add_suggestions(self, rows: Iterable[tuple[int, Suggestion, bool]], now: datetime) -> None:
        """Store (case id, suggestion, dispatched automatically) rows."""
        values = [
            {
                "case_id": case_id,
                "created_at": now,
                "model_version": s.model_version,
                "category_code": s.category_code,
                "org_code": s.org_code,
                "assignee_code": s.assignee_code,
                "confidence": s.confidence,
                "alternatives": [[c, p] for c, p in s.alternatives],
                "reasons": [{"message": r.message, "params": dict(r.params)} for r in s.reasons],
                "auto_dispatched": auto,
                "decided_at": now if auto else None,
                "category_taken": True if auto else None,
                "org_taken": True if auto else None,
                "assignee_taken": True if auto else None,
            }
            for case_id, s, auto in rows
        ]
        if values:
            self.conn.execute(sa.insert(case_suggestions), values)

    def suggestion(self, case_id: int) -> StoredSuggestion | None:
        """The suggestion stored with a case, if any."""
        row = self.conn.execute(
            sa.select(case_suggestions).where(case_suggestions.c.case_id == case_id)
        ).first()
        return _stored(row) if row is not None else None

    def mark_decided(self, case_id: int, taken: Taken, at: datetime) -> None:
        """Record what the first dispatch kept of the suggestion (later ones do not change it)."""
        self.conn.execute(
            sa.update(case_suggestions)
            .where(case_suggestions.c.case_id == case_id, case_suggestions.c.decided_at.is_(None))
            .values(
                decided_at=at,
                category_taken=taken.category,
                org_taken=taken.org,
                assignee_taken=taken.assignee,
            )
        )

    def acceptance(self, since: datetime | None = None) -> dict[str, int]:
        """Suggestions made, dispatched automatically, decided by people, taken whole and in part."""
        return self.acceptance_by_model(since, per_model=False).get(None, dict.fromkeys(_COUNTS, 0))

    def acceptance_by_model(
        self, since: datetime | None = None, *, per_model: bool = True
    ) -> dict[int | None, dict[str, int]]:
        """The acceptance counts per model version (None: made without a model), or of all together."""
        s = case_suggestions.c
        human = s.decided_at.is_not(None) & s.auto_dispatched.is_(False)

        def count(condition: sa.ColumnElement[bool]) -> sa.ColumnElement[Any]:
            return sa.func.coalesce(sa.func.sum(sa.case((condition, 1), else_=0)), 0)

        columns = [s.model_version.label("key")] if per_model else []
        q = sa.select(
            *columns,
            sa.func.count().label("suggested"),
            count(s.auto_dispatched.is_(True)).label("auto_dispatched"),
            count(human).label("decided"),
            count(human & s.category_taken.is_(True)).label("category_taken"),
            count(human & s.org_taken.is_(True)).label("org_taken"),
            count(human & s.org_taken.is_not(None)).label("org_decided"),
            count(human & s.assignee_taken.is_(True)).label("assignee_taken"),
            count(
                human
                & s.category_taken.is_(True)
                & s.org_taken.is_not(False)
                & s.assignee_taken.is_not(False)
            ).label("taken"),
        )
        if per_model:
            q = q.group_by(s.model_version)
        if since is not None:
            q = q.where(s.created_at >= since)
        return {
            (r.key if per_model else None): {k: int(getattr(r, k) or 0) for k in _COUNTS}
            for r in self.conn.execute(q)
        }

    # -------------------------------------------------------------- overrides
    def add_override(
        self,
        *,
        case_id: int,
        at: datetime,
        action: str,
        actor: Actor,
        suggested: Suggestion,
        chosen: tuple[str, str | None, str | None],
    ) -> None:
        """Append an override."""
        self.conn.execute(
            sa.insert(dispatch_overrides).values(
                case_id=case_id,
                at=at,
                action=action,
                actor_role=actor.role.value,
                actor_id=actor.id,
                actor_name=actor.name or actor.role.value,
                suggested_category=suggested.category_code,
                suggested_org=suggested.org_code,
                suggested_assignee=suggested.assignee_code,
                chosen_category=chosen[0],
                chosen_org=chosen[1],
                chosen_assignee=chosen[2],
                confidence=suggested.confidence,
                model_version=suggested.model_version,
            )
        )

    def overrides(
        self,
        *,
        since: datetime | None = None,
        until: datetime | None = None,
        area_codes: frozenset[str] = frozenset(),
        limit: int = 50,
        offset: int = 0,
    ) -> tuple[list[Override], int]:
        """Overrides, newest first, with the total; ``area_codes`` limits them to cases in those areas."""
        o = dispatch_overrides.c
        where: list[Any] = []
        if since is not None:
            where.append(o.at >= since)
        if until is not None:
            where.append(o.at < until)
        if area_codes:
            codes = list(area_codes)
            where.append(
                sa.or_(
                    cases.c.street_code.in_(codes),
                    cases.c.community_code.in_(codes),
                    cases.c.grid_code.in_(codes),
                    cases.c.microgrid_code.in_(codes),
                )
            )
        joined = dispatch_overrides.join(cases, cases.c.id == o.case_id)
        total = self.conn.execute(sa.select(sa.func.count()).select_from(joined).where(*where)).scalar_one()
        q = (
            sa.select(dispatch_overrides, cases.c.number)
            .select_from(joined)
            .where(*where)
            .order_by(o.at.desc(), o.id.desc())
            .limit(limit)
            .offset(offset)
        )
        rows = [
            Override(
                id=r.id,
                case_number=r.number,
                at=r.at,
                action=r.action,
                actor_role=r.actor_role,
                actor_name=r.actor_name,
                suggested=(r.suggested_category, r.suggested_org, r.suggested_assignee),
                chosen=(r.chosen_category, r.chosen_org, r.chosen_assignee),
                confidence=r.confidence,
                model_version=r.model_version,
            )
            for r in self.conn.execute(q)
        ]
        return rows, int(total)

    # --------------------------------------------------------------- settings
    def settings(self) -> dict[str, CategorySettings]:
        """Every category that has its own dispatch settings."""
        return {
            r.category_code: CategorySettings(
                category_code=r.category_code,
                auto_mode=AutoMode(r.auto_mode),
                auto_min_confidence=r.auto_min_confidence,
                duplicate_radius_m=r.duplicate_radius_m,
                duplicate_window_days=r.duplicate_window_days,
                updated_at=r.updated_at,
                updated_by=r.updated_by,
            )
            for r in self.conn.execute(sa.select(category_dispatch_settings))
        }

    def put_settings(self, s: CategorySettings) -> None:
        """Replace one category's settings."""
        t = category_dispatch_settings
        self.conn.execute(sa.delete(t).where(t.c.category_code == s.category_code))
        self.conn.execute(
            sa.insert(t).values(
                category_code=s.category_code,
                auto_mode=s.auto_mode.value,
                auto_min_confidence=s.auto_min_confidence,
                duplicate_radius_m=s.duplicate_radius_m,
                duplicate_window_days=s.duplicate_window_days,
                updated_at=s.updated_at,
                updated_by=s.updated_by,
            )
        )

    # ---------------------------------------------------- routing, in batches
    def workers_of(self, area_codes: Sequence[str]) -> dict[str, list[dict[str, Any]]]:
        """Active workers serving each of these grids or micro-grids (without their loads)."""
        if not area_codes:
            return {}
        q = (
            sa.select(
                worker_grids.c.grid_code, workers.c.code, workers.c.name, workers.c.kind, workers.c.org_code
            )
            .join(workers, workers.c.code == worker_grids.c.worker_code)
            .where(workers.c.active.is_(True), worker_grids.c.grid_code.in_(list(set(area_codes))))
            .order_by(workers.c.code)
        )
        out: dict[str, list[dict[str, Any]]] = {}
        for r in self.conn.execute(q):
            out.setdefault(r.grid_code, []).append(
                {"code": r.code, "name": r.name, "kind": r.kind, "org_code": r.org_code}
            )
        return out


def _stored(row: Any) -> StoredSuggestion:
    reasons: tuple[Reason, ...] = tuple(reason(r["message"], **r.get("params", {})) for r in row.reasons)
    suggestion = Suggestion(
        category_code=row.category_code,
        org_code=row.org_code,
        assignee_code=row.assignee_code,
        confidence=row.confidence,
        alternatives=tuple((str(c), float(p)) for c, p in row.alternatives),
        reasons=reasons,
        auto_dispatch=bool(row.auto_dispatched),
        model_version=row.model_version,
    )
    taken = (
        Taken(bool(row.category_taken), row.org_taken, row.assignee_taken)
        if row.decided_at is not None and row.category_taken is not None
        else None
    )
    return StoredSuggestion(
        row.case_id, row.created_at, suggestion, bool(row.auto_dispatched), row.decided_at, taken
    )
