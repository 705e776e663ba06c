"""``civicgrid simulate``: years of realistic case history added to a district's database in one go.

The cases live through the domain's own lifecycle methods (``civicgrid.demo``), in pieces generated in
parallel, and are stored by the bulk path (``civicgrid.adapters.db.bulk``) in ONE transaction: a
simulation that is interrupted, even by SIGKILL, leaves the database exactly as it was before, and one
that finishes leaves all of it. ``simulate_through_repository`` stores the same history through the
repository the services use, batch by batch; the tests prove both give the same rows.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from civicgrid.adapters.db.bulk import BulkWriter, RowEncoder, bulk_transaction, reserve_ids
from civicgrid.adapters.db.tables import meta
from civicgrid.bootstrap import App
from civicgrid.demo.history import PIECE, District, Piece, piece_cases, plan
from civicgrid.demo.workload import crews_of, sites_of
from civicgrid.domain.cases import Case
from civicgrid.domain.catalogue import Urgency
from civicgrid.domain.deadlines import TimeLimit
from civicgrid.domain.errors import N_, DomainError
from civicgrid.domain.geography import Level
from civicgrid.domain.time_limits import default_limit
from civicgrid.services.simulation_workers import generate

RUNS_KEY = "simulations"  # meta: every simulation stored, with its spec and id range
REPOSITORY_BATCH = 1000

Progress = Callable[[int, int], None]  # (cases stored, cases in all)


class NoDistrict(DomainError):
    code = "no_district"
    message = N_(
        "This database has no district to simulate (no micro-grids or no catalogue): import a grid map "
        "with 'civicgrid grids import' after 'civicgrid init', or build the demo district with "
        "'civicgrid demo --no-serve --cases 0'."
    )


@dataclass(frozen=True)
class SimulationSpec:
    """What to simulate: ``cases`` submitted in the ``days`` before ``end``, drawn from ``seed``."""

    cases: int
    days: int
    seed: int
    end: datetime
    piece: int = PIECE  # cases per independently generated piece (part of what the seed means)


@dataclass(frozen=True)
class SimulationResult:
    """What a simulation stored: how many cases, their ids, and how long it took."""

    cases: int
    events: int
    first_id: int | None
    last_id: int | None
    seconds: float


def load_district(app: App, spec: SimulationSpec) -> District:
    """The map, catalogue, time limits and grid workers the simulation draws on; ``NoDistrict`` if none."""
    with app.reader() as u:
        areas = u.areas.all()
        catalogue = u.reference.catalogue()
        limits = u.reference.time_limits()
        people = u.reference.worker_specs()
    sites = sites_of(areas)
    if not any(a.level is Level.MICROGRID for a in areas) or not catalogue.categories:
        raise NoDistrict()

    def limit_of(code: str, urgency: Urgency) -> TimeLimit:
        found = limits.get((code, urgency.value))
        return found or default_limit(catalogue.category(code).limit_class, urgency)

    return District(
        seed=spec.seed,
        end=spec.end,
        days=spec.days,
        sites=sites,
        catalogue=catalogue,
        limits=limit_of,
        deadlines=app.deadlines,
        crews=crews_of(people),
    )


def simulate_history(
    *, app: App, spec: SimulationSpec, workers: int | None = None, progress: Progress | None = None
) -> SimulationResult:
    """Add ``spec.cases`` cases of history in one transaction: all of them, or (interrupted) none."""
    began = time.monotonic()
    district = load_district(app, spec)
    pieces = plan(count=spec.cases, days=spec.days, end=spec.end, seed=spec.seed, piece=spec.piece)
    workers = workers if workers is not None else min(2, os.cpu_count() or 1)
    stored = events = 0
    with bulk_transaction(app.engine) as conn:
        first_id = reserve_ids(conn, spec.cases)
        writer = BulkWriter(conn)
        encoder = RowEncoder(conn.dialect)
        if progress is not None:
            progress(0, spec.cases)
        for case_rows, event_rows, rollups in generate(district, encoder, pieces, first_id, workers):
            writer.write(case_rows, event_rows, rollups)
            stored += len(case_rows)
            events += len(event_rows)
            if progress is not None:
                progress(stored, spec.cases)
        writer.finish()
        result = _result(spec, stored, events, first_id, began)
        _record_run(conn, spec, result)
    return _result(spec, stored, events, first_id, began)


def simulate_through_repository(*, app: App, spec: SimulationSpec) -> SimulationResult:
    """The same history stored through ``CaseRepository.add_many``, one unit of work per batch."""
    began = time.monotonic()
    district = load_district(app, spec)
    pieces = plan(count=spec.cases, days=spec.days, end=spec.end, seed=spec.seed, piece=spec.piece)
    with app.reader() as u:
        first_id = u.cases.next_id()
    stored = events = 0
    for piece in pieces:
        batch: list[Case] = []
        for case in _cases(district, piece, first_id):
            events += len(case.new_events)
            batch.append(case)
            if len(batch) >= REPOSITORY_BATCH:
                stored += store_cases(app, batch)
                batch = []
        stored += store_cases(app, batch)
    result = _result(spec, stored, events, first_id, began)
    with app.uow() as u:
        _record_run(u.conn, spec, result)
        u.commit()
    return result


def _cases(district: District, piece: Piece, first_id: int) -> list[Case]:
    return list(piece_cases(district, piece, first_id))


def store_cases(app: App, batch: list[Case]) -> int:
    """Store finished histories whose ids were chosen in advance, in one unit of work; how many."""
    if not batch:
        return 0
    with app.uow() as u:
        u.cases.add_many(batch)
        u.commit()
    return len(batch)


def _result(spec: SimulationSpec, stored: int, events: int, first_id: int, began: float) -> SimulationResult:
    return SimulationResult(
        cases=stored,
        events=events,
        first_id=first_id if stored else None,
        last_id=first_id + stored - 1 if stored else None,
        seconds=round(time.monotonic() - began, 3),
    )


def _record_run(conn: sa.Connection, spec: SimulationSpec, result: SimulationResult) -> None:
    """Note the run in ``meta`` (in the same transaction as its cases): what was simulated, which ids."""
    raw = conn.execute(sa.select(meta.c.value).where(meta.c.key == RUNS_KEY)).scalar()
    runs = json.loads(raw) if raw else []
    runs.append(
        {
            "cases": spec.cases,
            "days": spec.days,
            "seed": spec.seed,
            "piece": spec.piece,
            "end": spec.end.isoformat(),
            "first_id": result.first_id,
            "last_id": result.last_id,
        }
    )
    conn.execute(sa.delete(meta).where(meta.c.key == RUNS_KEY))
    conn.execute(sa.insert(meta).values(key=RUNS_KEY, value=json.dumps(runs)))


def simulation_runs(app: App) -> list[dict[str, object]]:
    """Every simulation stored in this database, oldest first."""
    with app.reader() as u:
        raw = u.conn.execute(sa.select(meta.c.value).where(meta.c.key == RUNS_KEY)).scalar()
    runs: list[dict[str, object]] = json.loads(raw) if raw else []
    return runs
