"""The database: migrations, cases round-trip with their history, concurrency, grid import all-or-nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from civicgrid.adapters.db import schema
from civicgrid.adapters.db.tables import areas as areas_table
from civicgrid.adapters.db.unit_of_work import UnitOfWork
from civicgrid.domain.case_types import AreaChain, Callback, Location, Reporter, Satisfaction, Source, Status
from civicgrid.domain.cases import Case, StaleVersion
from civicgrid.domain.catalogue import Urgency
from civicgrid.domain.deadlines import LimitMode, LimitUnit, TimeLimit
from civicgrid.domain.geography import Level, MapRejected
from civicgrid.domain.geojson import to_feature_collection
from civicgrid.domain.roles import Actor, Role
from civicgrid.services import grids
from civicgrid.services.locating import Locator, OutsideDistrict
from support import tiny_map

T0 = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)
OPERATOR = Actor(role=Role.OPERATOR, id=1, name="王受理")
WORKER = Actor(role=Role.GRID_WORKER, id=3, name="张网格", worker_code="F0001")
ADMIN = Actor(role=Role.SYSTEM, name="cli:test")


class Clock:
    accept_limit = TimeLimit(2, LimitUnit.HOURS, LimitMode.NATURAL)

    def due(self, start, limit):  # type: ignore[no-untyped-def]
        from civicgrid.domain.deadlines import Deadline

        return Deadline(start + timedelta(days=limit.amount), provisional=True)

    def shift(self, due, a, b, limit):  # type: ignore[no-untyped-def]
        from civicgrid.domain.deadlines import Deadline

        return Deadline(due + (b - a), provisional=True)


def new_case() -> Case:
    return Case.submit(
        actor=Actor(role=Role.RESIDENT),
        at=T0,
        source=Source.WEB,
        category_code="C0101",
        urgency=Urgency.URGENT,
        description="井盖缺失 <script>alert(1)</script> ' OR 1=1 --",
        location=Location(116.605, 35.405, "东苑小区"),
        areas=AreaChain("D1111", "D111", "D11", "D1"),
        reporter=Reporter("张三", "13812341234"),
        photos=("a.jpg",),
    )


def test_schema_is_at_head_after_migration(engine: Engine) -> None:
    assert schema.current_revision(engine) == schema.head_revision()


def test_postgresql_plans_every_statement_for_its_values(engine: Engine) -> None:
    # A generic plan of a prepared statement made the overdue counts 30 times slower (engine.make_engine).
    if engine.dialect.name != "postgresql":
        pytest.skip("a PostgreSQL setting")
    with engine.connect() as conn:
        for _ in range(7):  # past psycopg's prepare threshold (5) and PostgreSQL's five custom plans
            conn.exec_driver_sql("SELECT count(*) FROM cases WHERE due < %s", (datetime.now(UTC),)).scalar()
        assert conn.exec_driver_sql("SHOW plan_cache_mode").scalar() == "force_custom_plan"


def test_a_case_and_its_history_survive_a_round_trip(engine: Engine) -> None:
    with UnitOfWork(engine) as u:
        case = u.cases.add(new_case())
        u.commit()
    assert case.id is not None and case.number is not None and case.number.startswith("20261102")
    limit = TimeLimit(7, LimitUnit.DAYS, LimitMode.WORKING)
    with UnitOfWork(engine) as u:
        loaded = u.cases.get(case.id)
        loaded.register(actor=OPERATOR, at=T0 + timedelta(minutes=5), limit=limit)
        loaded.dispatch(
            actor=OPERATOR,
            at=T0 + timedelta(minutes=6),
            org_code="chengguan",
            assignee_code="F0001",
            deadlines=Clock(),
        )
        loaded.accept(actor=WORKER, at=T0 + timedelta(minutes=30))
        loaded.start(actor=WORKER, at=T0 + timedelta(minutes=31))
        loaded.report(actor=WORKER, at=T0 + timedelta(hours=3), note="已补装", photos=("b.jpg",))
        loaded.verify(actor=OPERATOR, at=T0 + timedelta(hours=4), ok=True)
        loaded.record_callback(
            actor=OPERATOR,
            at=T0 + timedelta(days=1),
            callback=Callback(True, True, True, Satisfaction.BASICALLY, "还行"),
        )
        u.cases.save(loaded)
        u.commit()
    with UnitOfWork(engine) as u:
        again = u.cases.get_by_number(case.number)
    assert again.status is Status.EVALUATED
    assert again.limit == limit
    assert again.description == new_case().description
    assert again.reporter == Reporter("张三", "13812341234")
    assert again.photos == ("a.jpg", "b.jpg")
    assert again.callback == Callback(True, True, True, Satisfaction.BASICALLY, "还行")
    assert again.due == T0 + timedelta(minutes=6) + timedelta(days=7)
    assert again.due is not None and again.due.tzinfo is not None
    assert again.due_provisional is True
    assert [e.seq for e in again.events] == list(range(1, 9))
    assert again.events[-1].data["satisfaction"] == "basically_satisfied"
    assert again.version == 2


def test_the_second_of_two_concurrent_writers_is_told_and_nothing_is_overwritten(engine: Engine) -> None:
    with UnitOfWork(engine) as u:
        case_id = u.cases.add(new_case()).id
        u.commit()
    assert case_id is not None
    with UnitOfWork(engine) as u:
        first = u.cases.get(case_id)
    with UnitOfWork(engine) as u:
        second = u.cases.get(case_id)
    limit = TimeLimit(7, LimitUnit.DAYS, LimitMode.WORKING)
    with UnitOfWork(engine) as u:
        first.register(actor=OPERATOR, at=T0, limit=limit)
        u.cases.save(first)
        u.commit()
    with UnitOfWork(engine) as u, pytest.raises(StaleVersion):
        second.reject(actor=OPERATOR, at=T0, reason="重复")
        u.cases.save(second)
    with UnitOfWork(engine) as u:
        stored = u.cases.get(case_id)
    assert stored.status is Status.REGISTERED
    assert [e.action.value for e in stored.events] == ["submit", "register"]


def test_leaving_a_unit_of_work_without_commit_rolls_back(engine: Engine) -> None:
    with UnitOfWork(engine) as u:
        u.cases.add(new_case())
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM cases")).scalar() == 0


def uow_factory(engine: Engine):  # type: ignore[no-untyped-def]
    return lambda: UnitOfWork(engine)


def test_grid_import_then_locate_every_level(engine: Engine) -> None:
    counts = grids.import_map(
        uow=uow_factory(engine), actor=ADMIN, now=T0, data=to_feature_collection(tiny_map())
    )
    assert counts == {"district": 1, "street": 2, "community": 2, "grid": 4, "microgrid": 8}
    locator = Locator()
    with UnitOfWork(engine) as u:
        found = locator.locate(u.areas, 116.6025, 35.4025)
        assert found.chain == AreaChain("D1111", "D111", "D11", "D1")
        assert found.street.name == "高新区-1"
        with pytest.raises(OutsideDistrict):
            locator.locate(u.areas, 116.7, 35.4)
        many = locator.locate_many(u.areas, [116.6025, 116.6175, 0.0], [35.4025, 35.4175, 0.0])
    assert [m.microgrid.code if m else None for m in many] == ["D1111", "D2122", None]


def test_a_bad_map_is_refused_whole_and_the_database_is_unchanged(engine: Engine) -> None:
    grids.import_map(uow=uow_factory(engine), actor=ADMIN, now=T0, data=to_feature_collection(tiny_map()))
    with engine.connect() as conn:
        before = conn.execute(sa.select(areas_table).order_by(areas_table.c.code)).all()
    broken = to_feature_collection(tiny_map())
    broken["features"][-1]["geometry"]["coordinates"][0][0] = [117.5, 35.9]  # one micro-grid now spikes out
    broken["features"][0]["properties"]["code"] = "D1"  # and the district duplicates a street's code
    with pytest.raises(MapRejected) as refused:
        grids.import_map(uow=uow_factory(engine), actor=ADMIN, now=T0, data=broken)
    assert {"duplicate_code"} <= {p.kind for p in refused.value.problems}
    with engine.connect() as conn:
        after = conn.execute(sa.select(areas_table).order_by(areas_table.c.code)).all()
    assert after == before


def test_micro_grids_with_cases_cannot_vanish_from_a_new_map(engine: Engine) -> None:
    grids.import_map(uow=uow_factory(engine), actor=ADMIN, now=T0, data=to_feature_collection(tiny_map()))
    with UnitOfWork(engine) as u:
        u.cases.add(new_case())
        u.commit()
    renamed = [
        a if a.code != "D1111" else type(a)("X", a.name, a.level, a.parent_code, a.geometry)
        for a in tiny_map()
    ]
    with pytest.raises(MapRejected) as refused:
        grids.import_areas(uow=uow_factory(engine), areas=renamed, actor=ADMIN, now=T0)
    assert refused.value.problems[0].codes == ("D1111",)


def test_export_per_level(engine: Engine) -> None:
    grids.import_map(uow=uow_factory(engine), actor=ADMIN, now=T0, data=to_feature_collection(tiny_map()))
    data = grids.export_map(uow=uow_factory(engine), level=Level.GRID)
    assert sorted(f["properties"]["code"] for f in data["features"]) == ["D111", "D112", "D211", "D212"]


def test_a_map_import_is_audited(engine: Engine) -> None:
    grids.import_map(uow=uow_factory(engine), actor=ADMIN, now=T0, data=to_feature_collection(tiny_map()))
    with UnitOfWork(engine) as u:
        entries = u.accounts.audit_entries(action="map.import", limit=5)
    assert len(entries) == 1 and entries[0].actor_name == "cli:test"
    assert entries[0].detail["microgrid"] == 8
