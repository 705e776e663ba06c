"""Group commit for intake: reports that arrive together share one transaction and one durable commit.

A commit with an fsync is most of what storing a report costs, and SQLite lets one writer in at a time.
One writer thread per process takes every report waiting in its queue, files them all in a single unit of
work (a refused report is refused before it writes anything) and commits once; only then is each answered.
So nothing is acknowledged before it is durable, and a busy intake pays one fsync per batch, not per report.
"""

from __future__ import annotations

import asyncio
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from civicgrid.adapters.db.unit_of_work import UnitOfWork
from civicgrid.domain.errors import DomainError
from civicgrid.domain.roles import Actor
from civicgrid.services.intake import Receipt, ReportCase, file_report, report_case
from civicgrid.services.locating import Locator

MAX_BATCH = 64


@dataclass
class _Job:
    report: ReportCase
    actor: Actor
    now: datetime
    idempotency: tuple[str, str] | None
    loop: asyncio.AbstractEventLoop
    future: asyncio.Future[Receipt]

    def settle(self, receipt: Receipt | None, error: BaseException | None) -> None:
        """Hand the outcome to the waiting request, on its own event loop."""
        self.loop.call_soon_threadsafe(_settle, self.future, receipt, error)


def _settle(future: asyncio.Future[Receipt], receipt: Receipt | None, error: BaseException | None) -> None:
    if future.done():  # the request went away (client disconnected); the report is stored all the same
        return
    if error is not None:
        future.set_exception(error)
    else:
        assert receipt is not None
        future.set_result(receipt)


class IntakeWriter:
    """One per process; ``await writer.submit(...)`` files a report and returns once it is committed."""

    def __init__(
        self,
        uow: Callable[[], UnitOfWork],
        locator: Locator,
        *,
        max_batch: int = MAX_BATCH,
        on_stored: Callable[[list[int]], None] | None = None,
    ) -> None:
        self._uow = uow
        self._locator = locator
        self._max_batch = max_batch
        # Told the ids of every committed batch, as it is answered: suggestions are made there.
        self._on_stored = on_stored
        self._jobs: queue.SimpleQueue[_Job] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()

    async def submit(
        self, *, report: ReportCase, actor: Actor, now: datetime, idempotency: tuple[str, str] | None = None
    ) -> Receipt:
        """File a report; the answer comes after the durable commit of the batch it joined."""
        self._ensure_started()
        loop = asyncio.get_running_loop()
        job = _Job(report, actor, now, idempotency, loop, loop.create_future())
        self._jobs.put(job)
        return await job.future

    def _ensure_started(self) -> None:
        if self._thread is None:
            with self._start_lock:
                if self._thread is None:
                    self._thread = threading.Thread(target=self._run, name="civicgrid-intake", daemon=True)
                    self._thread.start()

    def _run(self) -> None:
        while True:
            batch = [self._jobs.get()]
            while len(batch) < self._max_batch:
                try:
                    batch.append(self._jobs.get_nowait())
                except queue.Empty:
                    break
            try:
                self._file_batch(batch)
            except BaseException as exc:  # never let the writer die: every waiting request gets an answer
                for job in batch:
                    job.settle(None, exc)

    def _file_batch(self, batch: list[_Job]) -> None:
        outcomes: list[tuple[_Job, Receipt | None, BaseException | None]] = []
        try:
            with self._uow() as u:
                u.hold_inserts()  # nothing here reads a case back: one insert per table at the commit
                for job in batch:
                    try:
                        receipt = file_report(
                            u,
                            locator=self._locator,
                            report=job.report,
                            actor=job.actor,
                            now=job.now,
                            idempotency=job.idempotency,
                        )
                    except DomainError as exc:
                        # ``file_report`` checks everything before its first write, so a refused report left
                        # nothing in the transaction: no savepoint needed, the others go on.
                        outcomes.append((job, None, exc))
                    else:
                        outcomes.append((job, receipt, None))
                u.commit()
        except Exception:
            # Anything else (a key racing another process, a failed commit) undoes the whole batch: nothing of
            # it was stored, so each report is filed on its own, as without batching, with its own answer.
            for job in batch:
                self._file_alone(job)
            return
        # Queued for suggestions before anyone is answered (cheap, never blocks): whoever saw the answer
        # can wait for the suggestion (``SuggestionWorker.drain``).
        self._stored([answer for _, answer, _ in outcomes if answer is not None])
        for job, answer, error in outcomes:
            job.settle(answer, error)

    def _file_alone(self, job: _Job) -> None:
        try:
            receipt = report_case(
                uow=self._uow,
                locator=self._locator,
                report=job.report,
                actor=job.actor,
                now=job.now,
                idempotency=job.idempotency,
            )
        except Exception as exc:
            job.settle(None, exc)
        else:
            self._stored([receipt])
            job.settle(receipt, None)

    def _stored(self, receipts: list[Receipt]) -> None:
        if self._on_stored is not None:
            fresh = [r.id for r in receipts if not r.replayed]
            if fresh:
                self._on_stored(fresh)
