"""Smart dispatch in the database: model versions, routing rules, worker loads, training and nearby cases."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import ColumnElement
from sqlalchemy.engine import Connection

from civicgrid.adapters.db.dispatch_tables import dispatch_models, routing_rules
from civicgrid.adapters.db.tables import areas, cases, categories, organisations, worker_grids, workers
from civicgrid.domain.case_types import OPEN_STATUSES, Outcome, Status
from civicgrid.domain.dispatch import ModelInfo, RoutingRule
from civicgrid.i18n import both

FINISHED = (Status.CLOSED.value, Status.EVALUATED.value)
_OPEN = [s.value for s in OPEN_STATUSES]
_INFO = [c for c in dispatch_models.c if c.name != "payload"]


@dataclass(frozen=True)
class TrainingCase:
    """A finished case as training data: its words and what people finally decided."""

    id: int
    description: str
    category_code: str
    org_code: str | None


@dataclass(frozen=True)
class NearbyCase:
    """An open case found near a point (for duplicate detection)."""

    id: int
    number: str
    category_code: str
    status: str
    description: str
    lon: float
    lat: float
    submitted_at: datetime


class DispatchRepository:
    """Reads and writes what smart dispatch needs. Never commits."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    # ----------------------------------------------------------------- models
    def next_version(self) -> int:
        """The version number the next stored model gets."""
        q = sa.select(sa.func.coalesce(sa.func.max(dispatch_models.c.version), 0))
        return int(self.conn.execute(q).scalar_one()) + 1

    def add_model(
        self,
        *,
        created_at: datetime,
        version: int,
        kind: str,
        n_train: int,
        metrics: dict[str, Any],
        payload: bytes,
    ) -> int:
        """Store a trained model, inactive; returns its id."""
        values = {
            "created_at": created_at,
            "version": version,
            "kind": kind,
            "n_train": n_train,
            "metrics": metrics,
            "payload": payload,
            "active": False,
        }
        key = self.conn.execute(sa.insert(dispatch_models).values(**values)).inserted_primary_key
        assert key is not None
        return int(key[0])

    def activate(self, model_id: int) -> None:
        """Make this model the one in use (and no other)."""
        self.conn.execute(
            sa.update(dispatch_models).where(dispatch_models.c.active.is_(True)).values(active=False)
        )
        self.conn.execute(
            sa.update(dispatch_models).where(dispatch_models.c.id == model_id).values(active=True)
        )

    def newest_active_id(self) -> int | None:
        """The id of the model servers should use (cheap: servers poll it)."""
        q = sa.select(sa.func.max(dispatch_models.c.id)).where(dispatch_models.c.active.is_(True))
        found = self.conn.execute(q).scalar()
        return int(found) if found is not None else None

    def model(self, model_id: int) -> tuple[ModelInfo, bytes] | None:
        """A model's description and its serialised weights."""
        row = self.conn.execute(sa.select(dispatch_models).where(dispatch_models.c.id == model_id)).first()
        return (_info(row), bytes(row.payload)) if row is not None else None

    def models(self) -> list[ModelInfo]:
        """Every stored model, newest first (without weights)."""
        q = sa.select(*_INFO).order_by(dispatch_models.c.version.desc())
        return [_info(r) for r in self.conn.execute(q)]

    # ---------------------------------------------------------- training data
    def finished_cases(self) -> list[TrainingCase]:
        """Resolved, closed or evaluated cases in submission order, with their final category."""
        q = (
            sa.select(cases.c.id, cases.c.description, cases.c.category_code, cases.c.org_code)
            .where(cases.c.status.in_(FINISHED), cases.c.outcome == Outcome.RESOLVED.value)
            .order_by(cases.c.submitted_at, cases.c.id)
        )
        return [TrainingCase(r.id, r.description, r.category_code, r.org_code) for r in self.conn.execute(q)]

    # ------------------------------------------------------------------ rules
    def rules(self, category_code: str | None = None) -> list[RoutingRule]:
        """Routing rules, of one category or all, by category and area."""
        q = sa.select(routing_rules).order_by(routing_rules.c.category_code, routing_rules.c.area_code)
        if category_code is not None:
            q = q.where(routing_rules.c.category_code == category_code)
        return [
            RoutingRule(r.category_code, r.area_code, r.org_code, r.id, r.created_at, r.created_by)
            for r in self.conn.execute(q)
        ]

    def add_rule(self, rule: RoutingRule) -> int:
        """Store a rule; the caller checked that its category and area have none yet."""
        values = {
            "category_code": rule.category_code,
            "area_code": rule.area_code,
            "org_code": rule.org_code,
            "created_at": rule.created_at,
            "created_by": rule.created_by,
        }
        key = self.conn.execute(sa.insert(routing_rules).values(**values)).inserted_primary_key
        assert key is not None
        return int(key[0])

    def remove_rule(self, rule_id: int) -> RoutingRule | None:
        """Delete a rule; returns it, or None if there was none."""
        found = [r for r in self.rules() if r.id == rule_id]
        if found:
            self.conn.execute(sa.delete(routing_rules).where(routing_rules.c.id == rule_id))
        return found[0] if found else None

    # --------------------------------------------------------------- routing
    def organisation_names(self) -> dict[str, dict[str, str]]:
        """Active organisations: code -> short name in both languages (``i18n.both``)."""
        q = sa.select(
            organisations.c.code, organisations.c.short_name_zh, organisations.c.short_name_en
        ).where(organisations.c.active.is_(True))
        return {r.code: both(r.short_name_zh, r.short_name_en) for r in self.conn.execute(q)}

    def area_levels(self, codes: Sequence[str]) -> dict[str, str]:
        """code -> level of the given areas that exist."""
        q = sa.select(areas.c.code, areas.c.level).where(areas.c.code.in_(list(codes)))
        return {r.code: r.level for r in self.conn.execute(q)}

    def district_code(self) -> str | None:
        """The code of the map's root (the district)."""
        q = sa.select(areas.c.code).where(areas.c.parent_code.is_(None)).order_by(areas.c.code).limit(1)
        found = self.conn.execute(q).scalar()
        return str(found) if found is not None else None

    def workers_serving(self, area_codes: Sequence[str]) -> list[dict[str, Any]]:
        """Active workers serving any of these grids or micro-grids, each with their open cases."""
        q = (
            sa.select(workers.c.code, workers.c.name, workers.c.kind, workers.c.org_code)
            .where(
                workers.c.active.is_(True),
                workers.c.code.in_(
                    sa.select(worker_grids.c.worker_code).where(
                        worker_grids.c.grid_code.in_(list(area_codes))
                    )
                ),
            )
            .order_by(workers.c.code)
        )
        found = [dict(r._mapping) for r in self.conn.execute(q)]
        load = self.open_counts([w["code"] for w in found])
        for w in found:
            w["open_cases"] = load.get(w["code"], 0)
        return found

    def open_counts(self, worker_codes: Sequence[str]) -> dict[str, int]:
        """Open cases assigned to each of these workers."""
        if not worker_codes:
            return {}
        q = (
            sa.select(cases.c.assignee_code, sa.func.count())
            .where(cases.c.assignee_code.in_(list(worker_codes)), cases.c.status.in_(_OPEN))
            .group_by(cases.c.assignee_code)
        )
        return {code: int(n) for code, n in self.conn.execute(q)}

    # ------------------------------------------------------------ duplicates
    def category_majors(self) -> dict[str, str]:
        """category code -> its major category (大类), active categories only."""
        q = sa.select(categories.c.code, categories.c.major).where(categories.c.active.is_(True))
        return {r.code: r.major for r in self.conn.execute(q)}

    def open_cases_in_box(
        self,
        box: tuple[float, float, float, float],
        *,
        since: datetime,
        category_codes: Sequence[str],
        exclude_id: int | None = None,
        limit: int = 500,
        scope: ColumnElement[bool] | None = None,
    ) -> list[NearbyCase]:
        """Open cases of these categories submitted since ``since`` inside the lon/lat box (newest first).

        ``scope`` limits them to what a member of staff may see (the SQL of their case scope).
        """
        min_lon, min_lat, max_lon, max_lat = box
        q = sa.select(
            cases.c.id,
            cases.c.number,
            cases.c.category_code,
            cases.c.status,
            cases.c.description,
            cases.c.lon,
            cases.c.lat,
            cases.c.submitted_at,
        ).where(
            cases.c.status.in_(_OPEN),
            cases.c.submitted_at >= since,
            cases.c.category_code.in_(list(category_codes)),
            cases.c.lon.between(min_lon, max_lon),
            cases.c.lat.between(min_lat, max_lat),
        )
        if exclude_id is not None:
            q = q.where(cases.c.id != exclude_id)
        if scope is not None:
            q = q.where(scope)
        q = q.order_by(cases.c.submitted_at.desc()).limit(limit)
        return [
            NearbyCase(r.id, r.number, r.category_code, r.status, r.description, r.lon, r.lat, r.submitted_at)
            for r in self.conn.execute(q)
        ]


def _info(row: Any) -> ModelInfo:
    return ModelInfo(
        id=row.id,
        version=row.version,
        kind=row.kind,
        created_at=row.created_at,
        n_train=row.n_train,
        metrics=dict(row.metrics or {}),
        active=bool(row.active),
    )
