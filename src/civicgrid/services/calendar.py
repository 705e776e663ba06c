"""Holiday calendar use cases: load an official holiday schedule and recount provisional deadlines."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from civicgrid.adapters.calendar import ChinaWorkCalendar, YearSchedule
from civicgrid.adapters.db.unit_of_work import UnitOfWork
from civicgrid.domain.roles import Actor
from civicgrid.services.deadline_policy import CalendarDeadlines


def load_official_schedule(
    *,
    uow: Callable[[], UnitOfWork],
    deadlines: CalendarDeadlines,
    schedule: YearSchedule,
    actor: Actor,
    now: datetime,
) -> int:
    """Store one year's official schedule and recount open provisional deadlines; returns how many moved."""
    with uow() as u:
        u.reference.save_holiday_schedule(schedule, now)
        official = u.reference.holiday_schedules()
        deadlines.calendar = ChinaWorkCalendar(official)
        moved = 0
        for case_id in u.cases.ids_with_provisional_deadline():
            case = u.cases.get(case_id)
            if case.recount_deadline(at=now, deadlines=deadlines):
                u.cases.save(case)
                moved += 1
        u.accounts.audit(
            actor=actor,
            action="calendar.load",
            target=str(schedule.year),
            detail={"recounted": moved},
            now=now,
        )
        u.commit()
    return moved
