"""Every way a case is written keeps the rollups equal to a recount: intake batches, the sweep, a calendar
recount, bulk history, and a stale save that fails."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta

import pytest

from civicgrid.adapters.calendar import YearSchedule
from civicgrid.analytics.figures import figures
from civicgrid.analytics.rollups import check
from civicgrid.domain.case_types import Source
from civicgrid.domain.cases import StaleVersion
from civicgrid.domain.deadlines import TimeLimit
from civicgrid.domain.escalation import EscalationRules
from civicgrid.domain.roles import Actor, Role
from civicgrid.services import workflow
from civicgrid.services.calendar import load_official_schedule
from civicgrid.services.intake import ReportCase, report_case
from civicgrid.services.intake_writer import IntakeWriter
from civicgrid.services.sweep import sweep
from conftest import Civic

OPERATOR = Actor(role=Role.OPERATOR, id=1, name="王受理")
RESIDENT = Actor(role=Role.RESIDENT)


def assert_rollups_match(civic: Civic) -> int:
    with civic.app.engine.connect() as conn, conn.begin():
        report = check(conn)
    assert report.ok, report.differences
    return report.cases


def file(civic: Civic, category: str = "C0101", lon: float = 116.6025) -> str:
    report = ReportCase(
        source=Source.HOTLINE,
        category_code=category,
        description="井盖缺失",
        lon=lon,
        lat=35.4025,
    )
    app = civic.app
    return report_case(
        uow=app.uow, locator=app.locator, report=report, actor=OPERATOR, now=civic.clock()
    ).number


def act(civic: Civic, number: str, action: str, **params: object) -> None:
    app = civic.app
    workflow.perform(
        uow=app.uow,
        deadlines=app.deadlines,
        number=number,
        action=action,
        actor=OPERATOR,
        now=civic.clock(),
        params=params,
    )


def test_a_batch_of_the_intake_writer_counts_each_report_once(civic: Civic) -> None:
    writer = IntakeWriter(civic.app.uow, civic.app.locator, max_batch=8)

    async def burst() -> list[object]:
        jobs = [
            writer.submit(
                report=ReportCase(
                    source=Source.WEB,
                    category_code="C0101",
                    description=f"r{i}",
                    lon=116.6025 + (i % 3) * 0.005,
                    lat=35.4025,
                ),
                actor=RESIDENT,
                now=civic.clock(),
            )
            for i in range(20)
        ]
        bad = ReportCase(source=Source.WEB, category_code="NOPE", description="x", lon=116.6025, lat=35.4025)
        jobs.insert(5, writer.submit(report=bad, actor=RESIDENT, now=civic.clock()))
        return await asyncio.gather(*jobs, return_exceptions=True)

    results = asyncio.run(burst())
    assert sum(isinstance(r, Exception) for r in results) == 1
    assert assert_rollups_match(civic) == 20
    with civic.app.engine.connect() as conn:
        (total,) = figures(
            conn,
            start=civic.clock() - timedelta(days=1),
            end=civic.clock() + timedelta(days=1),
            group=None,
            now=civic.clock(),
        )
    assert total["counts"]["submitted"] == 20 and total["counts"]["open"] == 20


def test_the_sweep_and_dispatch_changes_keep_the_rollups(civic: Civic) -> None:
    numbers = [file(civic) for _ in range(3)]
    for n in numbers:
        act(civic, n, "register")
        act(civic, n, "dispatch", org_code="chengguan", assignee_code="F0001")
    civic.clock.advance(hours=30)
    report = sweep(
        uow=civic.app.uow,
        reader=civic.app.reader,
        deadlines=civic.app.deadlines,
        now=civic.clock(),
        yellow_at=0.8,
        rules=EscalationRules(),
    )
    assert report.red >= 2
    assert_rollups_match(civic)


def test_a_calendar_recount_keeps_the_rollups(civic: Civic) -> None:
    civic.clock.now = datetime(2026, 12, 28, 2, tzinfo=UTC)  # a working-day limit reaches into 2027
    number = file(civic, category="C0102")  # ordinary: seven working days
    act(civic, number, "register")
    act(civic, number, "dispatch", org_code="chengguan", assignee_code="F0001")
    with civic.app.reader() as u:
        assert u.cases.get_by_number(number).due_provisional
    schedule = YearSchedule(
        2027, holidays=frozenset({date(2027, 1, 4), date(2027, 1, 5)}), workdays=frozenset()
    )
    moved = load_official_schedule(
        uow=civic.app.uow, deadlines=civic.app.deadlines, schedule=schedule, actor=OPERATOR, now=civic.clock()
    )
    assert moved == 1
    assert_rollups_match(civic)


def test_a_stale_save_changes_no_rollup(civic: Civic) -> None:
    number = file(civic)
    with civic.app.uow() as u:
        case = u.cases.get_by_number(number)
    act(civic, number, "register")  # someone else moves the case on meanwhile
    with civic.app.uow() as u, pytest.raises(StaleVersion):
        case.register(actor=OPERATOR, at=civic.clock(), limit=TimeLimit.parse("24h natural"))
        u.cases.save(case)
    assert_rollups_match(civic)


def test_bulk_history_is_counted_as_it_is_stored(civic: Civic) -> None:
    from test_figures import STREET_1, STREET_2, close, rate
    from test_figures import case as history

    from civicgrid.domain.case_types import Satisfaction

    batch = [
        rate(close(history(STREET_1, 1), 3), True, True, Satisfaction.SATISFIED),
        close(history(STREET_2, 2), 9, rework=True),
        history(STREET_2, 40),
    ]
    with civic.app.uow() as u:
        first = u.cases.next_id()
        for i, c in enumerate(batch):
            c.id = first + i
        u.cases.add_many(batch)
        u.commit()
    assert assert_rollups_match(civic) == 3
