"""The deadline sweep inside the server: every ``sweep_interval_seconds``, in a worker thread.

Every server process runs one of these; the lease in the database lets one of them sweep at a time, so
adding processes adds no double escalation. The first sweep runs one interval after start-up.
"""

from __future__ import annotations

import asyncio
import logging

from civicgrid.bootstrap import App
from civicgrid.domain.escalation import EscalationRules
from civicgrid.services.sweep import SweepReport, sweep

log = logging.getLogger("civicgrid.sweep")


class PeriodicSweep:
    """An asyncio task that runs the sweep every ``interval`` seconds (0: never) until stopped."""

    def __init__(self, application: App, interval: float, rules: EscalationRules | None = None) -> None:
        self.application = application
        self.interval = interval
        self.rules = rules or EscalationRules()
        self.runs = 0
        self._stopping = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Begin sweeping (inside the running event loop); does nothing when the interval is 0."""
        if self.interval > 0 and self._task is None:
            self._task = asyncio.create_task(self._loop(), name="civicgrid-deadline-sweep")

    async def stop(self) -> None:
        """Stop, letting a sweep in progress finish (its cases are one transaction each)."""
        self._stopping.set()
        if self._task is not None:
            await self._task
            self._task = None

    def run_once(self) -> SweepReport:
        """One sweep with the application's clock, calendar and settings (blocking: call it in a thread)."""
        app = self.application
        app.reload_calendar()  # an official schedule loaded by another process counts at once
        report = sweep(
            uow=app.uow,
            reader=app.reader,
            deadlines=app.deadlines,
            now=app.clock(),
            yellow_at=app.settings.yellow_at,
            rules=self.rules,
        )
        self.runs += 1
        if report.yellow or report.red or report.escalated or report.skipped:
            log.info("deadline sweep: %s", report.as_dict())
        if not report.skipped_locked:  # the process holding the sweep's lease also catches up suggestions
            done = app.suggest_backlog()
            if done.suggested:
                log.info("suggestions caught up: %s", done.as_dict())
        return report

    async def _loop(self) -> None:
        while not await self._stopped_within(self.interval):
            try:
                await asyncio.to_thread(self.run_once)
            except Exception:  # a database hiccup must not end the server's sweeping for good
                log.exception("deadline sweep failed; trying again in %s s", self.interval)

    async def _stopped_within(self, seconds: float) -> bool:
        try:
            await asyncio.wait_for(self._stopping.wait(), seconds)
        except TimeoutError:
            return False
        return True
