"""The deadline sweep on a real database: warnings and escalation as time passes, exactly once across
threads and processes, a crashed sweeper's lease taken over, the CLI and the server's periodic task."""

from __future__ import annotations

import asyncio
import importlib
import json
import multiprocessing
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from civicgrid.adapters.calendar import ChinaWorkCalendar
from civicgrid.adapters.db.case_repository import CaseRepository
from civicgrid.adapters.db.engine import make_engine
from civicgrid.adapters.db.tables import meta
from civicgrid.adapters.db.unit_of_work import UnitOfWork
from civicgrid.domain.case_types import Action, Escalation, Source, Status, Warning
from civicgrid.domain.cases import Case
from civicgrid.domain.catalogue import Urgency
from civicgrid.domain.deadlines import TimeLimit, WorkingHours
from civicgrid.domain.escalation import ESCALATION_REASON
from civicgrid.domain.roles import Actor, Role
from civicgrid.entrypoints.api.app import create_app
from civicgrid.entrypoints.api.periodic import PeriodicSweep
from civicgrid.entrypoints.cli import app as cli
from civicgrid.services import workflow
from civicgrid.services.deadline_policy import CalendarDeadlines
from civicgrid.services.intake import ReportCase, report_case
from civicgrid.services.sweep import LEASE_KEY, SweepReport, sweep
from conftest import START, Civic

OPERATOR = Actor(role=Role.OPERATOR, id=1, name="王受理")
SUPERVISOR = Actor(role=Role.SUPERVISOR, id=2, name="李值班")
WORKER = Actor(
    role=Role.GRID_WORKER, id=3, name="张网格", worker_code="F0001", area_codes=frozenset({"D111"})
)


def act(civic: Civic, number: str, action: str, actor: Actor, **params: Any) -> Case:
    return workflow.perform(
        uow=civic.app.uow,
        deadlines=civic.app.deadlines,
        number=number,
        action=action,
        actor=actor,
        now=civic.clock(),
        params=params,
    )


def new_case(civic: Civic, *, dispatch: bool = True, accept: bool = True) -> str:
    """An urgent report (24 natural hours), dispatched to grid worker F0001 and signed for at once."""
    receipt = report_case(
        uow=civic.app.uow,
        locator=civic.app.locator,
        report=ReportCase(
            source=Source.HOTLINE,
            category_code="C0101",
            description="井盖缺失",
            lon=116.6025,
            lat=35.4025,
            urgency=Urgency.URGENT,
        ),
        actor=OPERATOR,
        now=civic.clock(),
    )
    if dispatch:
        act(civic, receipt.number, "register", OPERATOR)
        case = act(civic, receipt.number, "dispatch", OPERATOR, org_code="chengguan", assignee_code="F0001")
        assert str(case.limit) == "24h natural" and case.due == START + timedelta(hours=24)
        if accept:
            act(civic, receipt.number, "accept", WORKER)
    return receipt.number


def run(civic: Civic, **kw: Any) -> SweepReport:
    return sweep(
        uow=civic.app.uow,
        reader=civic.app.reader,
        deadlines=civic.app.deadlines,
        now=civic.clock(),
        yellow_at=0.8,
        **kw,
    )


def load(civic: Civic, number: str) -> Case:
    return workflow.view_case(uow=civic.app.reader, number=number, actor=SUPERVISOR)


def rule_escalations(case: Case) -> list[str]:
    return [e.data["to"] for e in case.events if e.action is Action.ESCALATE and e.actor_role is Role.SYSTEM]


def lease_row(civic: Civic) -> str | None:
    with civic.app.reader() as u:
        return u.conn.execute(sa.select(meta.c.value).where(meta.c.key == LEASE_KEY)).scalar()


def counts(report: SweepReport) -> tuple[int, int, int]:
    return report.yellow, report.red, report.escalated


def test_a_case_turns_yellow_then_red_then_climbs_to_the_district_as_time_passes(civic: Civic) -> None:
    number = new_case(civic)
    seen = []
    for hours in (1, 19.5, 24.5, 30, 31, 36, 42, 60):
        civic.clock.now = START + timedelta(hours=hours)
        report = run(civic)
        case = load(civic, number)
        seen.append((hours, counts(report), case.warning.value, case.escalation.value))
    assert seen == [
        (1, (0, 0, 0), "none", "grid"),
        (19.5, (1, 0, 0), "yellow", "grid"),
        (24.5, (0, 1, 0), "red", "grid"),
        (30, (0, 0, 1), "red", "community"),  # overdue by one period: 25 % of 24 h
        (31, (0, 0, 0), "red", "community"),
        (36, (0, 0, 1), "red", "street"),
        (42, (0, 0, 1), "red", "district"),
        (60, (0, 0, 0), "red", "district"),  # never above the district
    ]
    case = load(civic, number)
    assert rule_escalations(case) == ["community", "street", "district"]
    assert {e.note for e in case.events if e.action is Action.ESCALATE} == {ESCALATION_REASON}
    with civic.app.reader() as u:
        audit = u.accounts.audit_entries(action="case.escalate")
    assert [(a.actor_role, a.target, a.detail["to"]) for a in reversed(audit)] == [
        ("system", number, "community"),
        ("system", number, "street"),
        ("system", number, "district"),
    ]
    assert lease_row(civic) is None  # given back at the end


def test_two_sweeps_at_the_same_moment_change_nothing_the_second_time(civic: Civic) -> None:
    numbers = [new_case(civic) for _ in range(3)]
    civic.clock.advance(hours=37)
    first = run(civic)
    versions = [load(civic, n).version for n in numbers]
    second = run(civic)
    assert counts(first) == (0, 3, 6) and first.scanned == 3
    assert counts(second) == (0, 0, 0) and not second.skipped_locked
    assert [load(civic, n).version for n in numbers] == versions


def test_a_sweep_that_was_down_catches_up_one_event_per_level(civic: Civic) -> None:
    number = new_case(civic)
    civic.clock.advance(hours=24 + 6 * 2.5)
    assert counts(run(civic)) == (0, 1, 2)
    assert rule_escalations(load(civic, number)) == ["community", "street"]


def test_a_case_not_signed_for_in_time_turns_red(civic: Civic) -> None:
    number = new_case(civic, accept=False)
    civic.clock.advance(hours=1.5)
    assert counts(run(civic)) == (0, 0, 0)
    civic.clock.advance(hours=1)  # past the 2 working hours to sign for it
    assert counts(run(civic)) == (0, 1, 0)
    assert load(civic, number).warning is Warning.RED


def test_suspended_closed_and_unregistered_cases_are_untouched(civic: Civic) -> None:
    suspended = new_case(civic)
    act(civic, suspended, "suspend", WORKER, reason="等待法院判决")
    act(civic, suspended, "decide", SUPERVISOR, approve=True)
    closed = new_case(civic)
    act(civic, closed, "start", WORKER)
    act(civic, closed, "report", WORKER, note="已修复")
    act(civic, closed, "verify", SUPERVISOR, ok=True)
    rejected = new_case(civic, dispatch=False)
    act(civic, rejected, "reject", OPERATOR, reason="重复")
    waiting = new_case(civic, dispatch=False)
    handled = new_case(civic)
    act(civic, handled, "start", WORKER)
    act(civic, handled, "report", WORKER, note="已修复")
    untouched = [suspended, closed, rejected, waiting]
    before = {n: load(civic, n) for n in untouched}
    civic.clock.advance(days=10)
    report = run(civic)
    assert report.scanned == 1 and counts(report) == (0, 1, 0)  # the handled case: red, not escalated
    for n in untouched:
        after = load(civic, n)
        assert (after.version, after.warning, after.escalation) == (
            before[n].version,
            before[n].warning,
            before[n].escalation,
        )
    assert before[suspended].status is Status.SUSPENDED
    assert load(civic, handled).escalation is Escalation.GRID


def test_a_case_changed_meanwhile_is_skipped_and_swept_next_time(
    civic: Civic, monkeypatch: pytest.MonkeyPatch
) -> None:
    numbers = [new_case(civic) for _ in range(3)]
    civic.clock.advance(hours=31)
    target = load(civic, numbers[1]).id
    real_get = CaseRepository.get

    def older_copy(self: CaseRepository, case_id: int) -> Case:
        case = real_get(self, case_id)
        if case_id == target:
            case.version -= 1  # as if loaded just before someone else's change
        return case

    monkeypatch.setattr(CaseRepository, "get", older_copy)
    report = run(civic)
    assert counts(report) == (0, 2, 2) and report.skipped == 1
    monkeypatch.undo()
    assert counts(run(civic)) == (0, 1, 1)
    assert [rule_escalations(load(civic, n)) for n in numbers] == [["community"]] * 3


def test_a_live_lease_of_another_process_makes_the_sweep_step_aside(civic: Civic) -> None:
    number = new_case(civic)
    civic.clock.advance(hours=31)
    crashed = json.dumps(
        {"owner": "host-b:4242:dead", "expires": (civic.clock() + timedelta(minutes=1)).isoformat()}
    )
    with civic.app.uow() as u:
        u.conn.execute(sa.insert(meta).values(key=LEASE_KEY, value=crashed))
        u.commit()
    assert run(civic) == SweepReport(skipped_locked=True)
    assert load(civic, number).warning is Warning.NONE
    civic.clock.advance(minutes=2)  # the owner died: its lease runs out and this sweep takes over
    assert counts(run(civic)) == (0, 1, 1)
    assert lease_row(civic) is None


def race(*calls: Callable[[], SweepReport]) -> list[SweepReport]:
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def go(i: int, call: Callable[[], SweepReport]) -> None:
        barrier.wait()
        results[i] = call()

    threads = [threading.Thread(target=go, args=(i, c)) for i, c in enumerate(calls)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(timeout=120)
    return results


def assert_swept_once(civic: Civic, numbers: list[str], reports: list[SweepReport]) -> None:
    assert all(isinstance(r, SweepReport) for r in reports), reports
    assert sum(r.escalated for r in reports) == len(numbers), reports
    assert sum(r.red for r in reports) == len(numbers), reports
    # One of them did the work; the other stepped aside or came after it and found nothing to do.
    assert any(r.skipped_locked or counts(r) == (0, 0, 0) for r in reports), reports
    for n in numbers:
        assert rule_escalations(load(civic, n)) == ["community"]
    assert lease_row(civic) is None


def test_two_threads_sweeping_at_once_escalate_each_case_once(civic: Civic) -> None:
    numbers = [new_case(civic) for _ in range(12)]
    civic.clock.advance(hours=31)
    reports = race(lambda: run(civic), lambda: run(civic, batch=5))
    assert_swept_once(civic, numbers, reports)


def test_even_overlapping_sweeps_escalate_each_case_once(civic: Civic) -> None:
    # A lease that expires at once lets both in: the version check and the rule's own count still hold.
    numbers = [new_case(civic) for _ in range(12)]
    civic.clock.advance(hours=31)
    expired = timedelta(seconds=-1)
    reports = race(lambda: run(civic, lease=expired), lambda: run(civic, lease=expired))
    # Usually both get in; when both find no lease row at all, the loser of the insert race stands aside.
    assert sum(r.skipped_locked for r in reports) <= 1, reports
    assert sum(r.escalated for r in reports) == sum(r.red for r in reports) == len(numbers), reports
    for n in numbers:
        assert rule_escalations(load(civic, n)) == ["community"]


def _sweep_in_process(url: str, now: datetime, barrier: Any, out: Any) -> None:
    engine = make_engine(url)
    try:
        deadlines = CalendarDeadlines(ChinaWorkCalendar(), WorkingHours(), TimeLimit.parse("2h working"))
        barrier.wait()
        report = sweep(uow=lambda: UnitOfWork(engine), deadlines=deadlines, now=now, yellow_at=0.8, batch=4)
        out.put(report.as_dict())
    except Exception as exc:
        out.put({"error": repr(exc)})
    finally:
        engine.dispose()


def test_two_server_processes_sweeping_at_once_escalate_each_case_once(civic: Civic, db_url: str) -> None:
    numbers = [new_case(civic) for _ in range(12)]
    civic.clock.advance(hours=31)
    ctx = multiprocessing.get_context("fork")
    barrier, out = ctx.Barrier(2), ctx.Queue()
    procs = [
        ctx.Process(target=_sweep_in_process, args=(db_url, civic.clock(), barrier, out)) for _ in range(2)
    ]
    for p in procs:
        p.start()
    results = [out.get(timeout=120) for _ in procs]
    for p in procs:
        p.join(timeout=30)
    assert all("error" not in r for r in results), results
    assert_swept_once(civic, numbers, [SweepReport(**r) for r in results])


# ------------------------------------------------------------------------------------- the doors
runner = CliRunner()


def test_the_command_sweeps_and_reports_in_json_and_in_words(civic: Civic) -> None:
    number = new_case(civic)  # dispatched on 2 November 2026: long overdue by the real clock
    result = runner.invoke(cli, ["sweep", "--db", civic.app.settings.database_url, "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == {
        "yellow": 0,
        "red": 1,
        "escalated": 3,
        "scanned": 1,
        "skipped": 0,
        "skipped_locked": False,
    }
    assert load(civic, number).escalation is Escalation.DISTRICT
    result = runner.invoke(
        cli, ["sweep", "--db", civic.app.settings.database_url], env={"CIVICGRID_LANG": "en_US.UTF-8"}
    )
    assert result.exit_code == 0 and "0 turned red, 0 escalations" in result.output, result.output


def test_the_command_steps_aside_while_another_process_sweeps(civic: Civic) -> None:
    live = json.dumps({"owner": "host-b:1:x", "expires": "2999-01-01T00:00:00+00:00"})
    with civic.app.uow() as u:
        u.conn.execute(sa.insert(meta).values(key=LEASE_KEY, value=live))
        u.commit()
    result = runner.invoke(
        cli, ["sweep", "--db", civic.app.settings.database_url], env={"CIVICGRID_LANG": "zh_CN.UTF-8"}
    )
    assert result.exit_code == 0 and "另一个进程正在进行时限巡检" in result.output, result.output


def test_the_command_repeats_every_n_seconds_until_interrupted(
    civic: Civic, monkeypatch: pytest.MonkeyPatch
) -> None:
    naps: list[float] = []

    def nap(seconds: float) -> None:
        naps.append(seconds)
        if len(naps) == 2:
            raise KeyboardInterrupt

    monkeypatch.setattr(importlib.import_module("civicgrid.entrypoints.cli.sweep"), "sleep", nap)
    result = runner.invoke(cli, ["sweep", "--db", civic.app.settings.database_url, "--json", "--every", "5"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert naps == [5, 5] and len(lines) == 2 and json.loads(lines[0])["scanned"] == 0


def test_the_server_sweeps_every_interval_while_it_runs(civic: Civic) -> None:
    number = new_case(civic)
    civic.clock.advance(hours=31)
    civic.app.settings = civic.app.settings.model_copy(update={"sweep_interval_seconds": 0.05})
    with TestClient(create_app(civic.app)):
        deadline = time.monotonic() + 20
        while load(civic, number).escalation is Escalation.GRID and time.monotonic() < deadline:
            time.sleep(0.05)
    case = load(civic, number)
    assert (case.warning, case.escalation) == (Warning.RED, Escalation.COMMUNITY)


def test_the_periodic_task_stops_cleanly_and_an_interval_of_zero_never_starts(civic: Civic) -> None:
    async def scenario() -> tuple[int, int]:
        never = PeriodicSweep(civic.app, 0)
        never.start()
        often = PeriodicSweep(civic.app, 0.02)
        often.start()
        for _ in range(500):
            if often.runs >= 2:
                break
            await asyncio.sleep(0.02)
        await often.stop()
        await never.stop()
        runs = often.runs
        await asyncio.sleep(0.1)
        assert often.runs == runs  # stopped for good
        return never.runs, runs

    never, often = asyncio.run(scenario())
    assert never == 0 and often >= 2
