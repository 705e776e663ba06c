"""Group commit: reports submitted together share a commit, fail alone, and are answered only once stored."""

from __future__ import annotations

import asyncio

import pytest
import sqlalchemy as sa

from civicgrid.domain.case_types import Source
from civicgrid.domain.catalogue import UnknownCategory
from civicgrid.domain.roles import Actor, Role
from civicgrid.services.intake import ReportCase
from civicgrid.services.intake_writer import IntakeWriter
from conftest import Civic

RESIDENT = Actor(role=Role.RESIDENT)


def report(text: str, category: str = "C0101", lon: float = 116.6025) -> ReportCase:
    return ReportCase(source=Source.WEB, category_code=category, description=text, lon=lon, lat=35.4025)


def stored(civic: Civic) -> list[str]:
    with civic.app.engine.connect() as conn:
        return list(conn.execute(sa.text("SELECT description FROM cases ORDER BY id")).scalars())


def test_a_burst_is_filed_in_batches_and_a_bad_report_fails_alone(civic: Civic) -> None:
    writer = IntakeWriter(civic.app.uow, civic.app.locator, max_batch=8)

    async def burst() -> list[object]:
        jobs = [writer.submit(report=report(f"r{i}"), actor=RESIDENT, now=civic.clock()) for i in range(20)]
        jobs.insert(
            7, writer.submit(report=report("bad", category="NOPE"), actor=RESIDENT, now=civic.clock())
        )
        jobs.insert(9, writer.submit(report=report("far", lon=120.0), actor=RESIDENT, now=civic.clock()))
        return await asyncio.gather(*jobs, return_exceptions=True)

    results = asyncio.run(burst())
    errors = [r for r in results if isinstance(r, Exception)]
    assert len(errors) == 2 and isinstance(errors[0], UnknownCategory)
    assert sorted(stored(civic)) == sorted(f"r{i}" for i in range(20))
    numbers = [r.number for r in results if not isinstance(r, Exception)]  # type: ignore[attr-defined]
    assert len(set(numbers)) == 20


def test_one_key_twice_in_one_batch_makes_one_case(civic: Civic) -> None:
    writer = IntakeWriter(civic.app.uow, civic.app.locator)

    async def twice() -> list[object]:
        same = report("井盖缺失")
        return await asyncio.gather(
            *(
                writer.submit(report=same, actor=RESIDENT, now=civic.clock(), idempotency=("c", "k"))
                for _ in range(5)
            )
        )

    results = asyncio.run(twice())
    assert len({r.number for r in results}) == 1  # type: ignore[attr-defined]
    assert stored(civic) == ["井盖缺失"]


@pytest.mark.parametrize("batch", [1, 64])
def test_answers_come_only_after_the_commit(civic: Civic, batch: int) -> None:
    writer = IntakeWriter(civic.app.uow, civic.app.locator, max_batch=batch)

    async def one() -> object:
        receipt = await writer.submit(report=report("路灯不亮"), actor=RESIDENT, now=civic.clock())
        # Answered: a new connection must already see it (committed, not merely written).
        with civic.app.engine.connect() as conn:
            seen = conn.execute(sa.text("SELECT number FROM cases")).scalars().all()
        assert receipt.number in seen  # type: ignore[attr-defined]
        return receipt

    asyncio.run(one())


def test_a_batch_stores_every_case_whole_with_its_history_audit_and_figures(civic: Civic) -> None:
    writer = IntakeWriter(civic.app.uow, civic.app.locator, max_batch=16)

    async def burst() -> list[object]:
        jobs = [writer.submit(report=report(f"r{i}"), actor=RESIDENT, now=civic.clock()) for i in range(12)]
        return await asyncio.gather(*jobs)

    numbers = sorted(r.number for r in asyncio.run(burst()))  # type: ignore[attr-defined]
    with civic.app.engine.connect() as conn:
        events = conn.execute(
            sa.text(
                "SELECT c.number, e.action FROM case_events e JOIN cases c ON c.id = e.case_id ORDER BY c.id"
            )
        ).all()
        audited = conn.execute(
            sa.text("SELECT target FROM audit_log WHERE action = 'case.submit' ORDER BY target")
        ).scalars()
        submitted = conn.execute(
            sa.text("SELECT sum(submitted) FROM case_rollups WHERE cube = 'full' AND grain = 'd'")
        ).scalar()
    assert sorted(n for n, _ in events) == numbers
    assert {a for _, a in events} == {"submit"}
    assert list(audited) == numbers
    assert submitted == 12
