"""Build the demo district into a database: map, catalogue, people and simulated case history."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from civicgrid.adapters.db.tables import meta
from civicgrid.bootstrap import App
from civicgrid.domain.cases import Case
from civicgrid.domain.catalogue import Urgency
from civicgrid.domain.deadlines import TimeLimit
from civicgrid.domain.geography import Level
from civicgrid.domain.roles import Actor
from civicgrid.domain.time_limits import default_limit

DEMO_KEY = "demo"
BATCH = 1000
MODEL_MIN_CASES = 200  # below this the demo has too little finished history to learn categories from

Progress = Callable[[str, int, int], None]  # (step, done, total)


@dataclass(frozen=True)
class DemoSpec:
    """What a demo database was built from; a rerun with the same spec reuses it."""

    seed: int
    cases: int

    def to_json(self) -> str:
        return json.dumps({"seed": self.seed, "cases": self.cases})


def existing_demo(app: App) -> DemoSpec | None:
    """The spec of the demo already in this database, if any."""
    with app.engine.connect() as conn:
        raw = conn.execute(sa.select(meta.c.value).where(meta.c.key == DEMO_KEY)).scalar()
    if raw is None:
        return None
    data = json.loads(raw)
    return DemoSpec(seed=int(data["seed"]), cases=int(data["cases"]))


def build_demo(
    app: App, spec: DemoSpec, progress: Progress, *, end: datetime | None = None
) -> dict[str, int]:
    """Fill an empty database with the demo district and ``spec.cases`` cases of history."""
    from civicgrid.demo.district import generate_district
    from civicgrid.demo.people import generate_people
    from civicgrid.demo.workload import crews_of, simulate, sites_of
    from civicgrid.services.accounts import ensure_demo_accounts
    from civicgrid.services.grids import import_areas
    from civicgrid.services.reference import seed_reference_data
    from civicgrid.services.simulation import store_cases

    progress("map", 0, 1)
    areas = generate_district(seed=spec.seed)
    import_areas(uow=app.uow, areas=areas, actor=Actor.system(), now=app.clock())
    progress("map", 1, 1)

    seed_reference_data(uow=app.uow)
    with app.uow() as u:
        catalogue = u.reference.catalogue()
        limits = u.reference.time_limits()
    grid_codes = [a.code for a in areas if a.level is Level.GRID]
    people = generate_people(grid_codes, catalogue.organisations, seed=spec.seed)
    with app.uow() as u:
        u.reference.save_workers(people)
        u.commit()
    ensure_demo_accounts(uow=app.uow, people=people, catalogue=catalogue, now=app.clock())
    progress("people", len(people), len(people))

    sites = sites_of(areas)
    workers_by_grid = crews_of(people)

    def limit_of(code: str, urgency: Urgency) -> TimeLimit:
        found = limits.get((code, urgency.value))
        return found or default_limit(catalogue.category(code).limit_class, urgency)

    end = end or app.clock()
    with app.reader() as u:
        first_id = u.cases.next_id()
    stream = simulate(
        first_id=first_id,
        count=spec.cases,
        seed=spec.seed,
        end=end,
        days=365,
        sites=sites,
        catalogue=catalogue,
        limits=limit_of,
        deadlines=app.deadlines,
        workers_by_grid=workers_by_grid,
    )
    stored = 0
    batch: list[Case] = []
    progress("cases", 0, spec.cases)
    for case in stream:
        batch.append(case)
        if len(batch) >= BATCH:
            stored += store_cases(app, batch)
            batch = []
            progress("cases", stored, spec.cases)
    stored += store_cases(app, batch)
    progress("cases", stored, spec.cases)
    trained = _train_model(app, progress)
    with app.uow() as u:
        u.conn.execute(sa.delete(meta).where(meta.c.key == DEMO_KEY))
        u.conn.execute(sa.insert(meta).values(key=DEMO_KEY, value=spec.to_json()))
        u.commit()
    return {"areas": len(areas), "workers": len(people), "cases": stored, "model": trained}


def _train_model(app: App, progress: Progress) -> int:
    """Smart dispatch learns from the demo's own history, as a deployment's would (0: too little of it)."""
    from civicgrid.services.dispatch import NotEnoughHistory, train

    progress("model", 0, 1)
    try:
        info = train(uow=app.uow, now=app.clock(), min_cases=MODEL_MIN_CASES)
    except NotEnoughHistory:
        return 0
    finally:
        progress("model", 1, 1)
    return info.version
