"""The deadline policy the lifecycle uses: time limits counted on the district's working calendar."""

from __future__ import annotations

from datetime import datetime

from civicgrid.domain.deadlines import (
    Deadline,
    TimeLimit,
    WorkCalendar,
    WorkingHours,
    compute_deadline,
    shift_deadline,
)


class CalendarDeadlines:
    """Backs ``civicgrid.domain.cases.DeadlinePolicy`` with a working calendar and working hours."""

    def __init__(self, calendar: WorkCalendar, hours: WorkingHours, accept_limit: TimeLimit) -> None:
        self.calendar = calendar
        self.hours = hours
        self._accept_limit = accept_limit

    @property
    def accept_limit(self) -> TimeLimit:
        """Time allowed to sign for a dispatched case."""
        return self._accept_limit

    def due(self, start: datetime, limit: TimeLimit) -> Deadline:
        """When ``limit`` counted from ``start`` runs out."""
        return compute_deadline(start, limit, self.calendar, self.hours)

    def shift(self, due: datetime, paused_from: datetime, paused_to: datetime, limit: TimeLimit) -> Deadline:
        """``due`` moved later by the paused time, counted in the limit's own mode."""
        return shift_deadline(due, paused_from, paused_to, limit.mode, self.calendar, self.hours)
