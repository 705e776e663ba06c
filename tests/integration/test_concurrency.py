"""Two people acting on one case at once: one wins, the other is told; retries with one key make one case."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest

from civicgrid.domain.case_types import Source
from civicgrid.domain.cases import IllegalTransition, StaleVersion
from civicgrid.domain.roles import Actor, Role
from civicgrid.services import workflow
from civicgrid.services.intake import ReportCase, report_case
from conftest import Civic

OPERATOR = Actor(role=Role.OPERATOR, id=1, name="王受理")
SUPERVISOR = Actor(role=Role.SUPERVISOR, id=2, name="李值班")


def race(*calls: Callable[[], Any]) -> list[Any]:
    """Run the calls at the same moment in threads; each result is a value or the exception raised."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def run(i: int, call: Callable[[], Any]) -> None:
        barrier.wait()
        try:
            results[i] = call()
        except Exception as exc:  # collected and asserted by the test
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(timeout=30)
    return results


def new_report(civic: Civic) -> str:
    receipt = report_case(
        uow=civic.app.uow,
        locator=civic.app.locator,
        report=ReportCase(
            source=Source.HOTLINE, category_code="C0101", description="井盖缺失", lon=116.6025, lat=35.4025
        ),
        actor=OPERATOR,
        now=civic.clock(),
    )
    return receipt.number


def act(
    civic: Civic, number: str, action: str, actor: Actor, version: int | None, **params: Any
) -> Callable[[], Any]:
    return lambda: workflow.perform(
        uow=civic.app.uow,
        deadlines=civic.app.deadlines,
        number=number,
        action=action,
        actor=actor,
        now=civic.clock(),
        params=params,
        expected_version=version,
    )


@pytest.mark.parametrize("round_", range(3))
def test_two_desks_acting_on_the_same_version_one_wins(civic: Civic, round_: int) -> None:
    number = new_report(civic)
    results = race(
        act(civic, number, "register", OPERATOR, 1),
        act(civic, number, "reject", SUPERVISOR, 1, reason="重复"),
    )
    errors = [r for r in results if isinstance(r, Exception)]
    assert len(errors) == 1 and isinstance(errors[0], StaleVersion), results
    case = workflow.view_case(uow=civic.app.reader, number=number, actor=SUPERVISOR)
    assert case.version == 2 and len(case.events) == 2  # one change stored, nothing overwritten


def test_without_a_version_the_second_is_refused_by_the_lifecycle(civic: Civic) -> None:
    number = new_report(civic)
    results = race(
        act(civic, number, "register", OPERATOR, None), act(civic, number, "register", SUPERVISOR, None)
    )
    errors = [r for r in results if isinstance(r, Exception)]
    assert len(errors) == 1 and isinstance(errors[0], IllegalTransition | StaleVersion), results


def test_concurrent_retries_with_one_idempotency_key_make_one_case(civic: Civic) -> None:
    report = ReportCase(
        source=Source.WEB, category_code="C0101", description="路灯不亮", lon=116.6025, lat=35.4025
    )

    def once() -> Any:
        return report_case(
            uow=civic.app.uow,
            locator=civic.app.locator,
            report=report,
            actor=Actor(role=Role.RESIDENT),
            now=civic.clock(),
            idempotency=("client:1", "k-1"),
        )

    results = race(once, once, once, once)
    assert all(not isinstance(r, Exception) for r in results), results
    assert len({r.number for r in results}) == 1
    with civic.app.engine.connect() as conn:
        from sqlalchemy import text

        assert conn.execute(text("SELECT count(*) FROM cases")).scalar() == 1
