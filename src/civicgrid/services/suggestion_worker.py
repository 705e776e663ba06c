"""One thread per process that suggests for the reports its intake just stored, in batches, after the commit.

Intake hands over the ids of each committed batch (``notify``) and answers its requests at once; this
thread gathers what arrives within ``linger`` seconds of the first id (at most ``max_batch``) and calls
``work`` with it. Each call pays a fixed price whatever its size (reading the routing context, one write
transaction and its fsync, about 4 ms on SQLite), and holds the database's write lock that intake needs:
under load a short wait for company makes suggestions far cheaper and leaves the lock to intake, and a
quarter of a second is nothing against "dispatched within seconds". A failure is logged and the cases are
left to the backlog (``services.intake_suggestions.suggest_backlog``): intake never waits for a suggestion.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Sequence

log = logging.getLogger(__name__)
MAX_BATCH = 256
LINGER = 0.25  # seconds a batch waits for more ids after its first
_POLL = 0.02  # how often a lingering batch looks whether ``drain`` is waiting for it


class SuggestionWorker:
    """Runs ``work(ids)`` on batches of newly stored case ids, in a thread of its own."""

    def __init__(
        self,
        work: Callable[[list[int]], object],
        *,
        max_batch: int = MAX_BATCH,
        linger: float = LINGER,
    ) -> None:
        self._work = work
        self._max_batch = max_batch
        self._linger = linger
        self._hurry = threading.Event()  # someone waits in ``drain``: stop lingering
        self._ids: queue.SimpleQueue[int] = queue.SimpleQueue()
        self._pending = 0  # ids notified and not yet worked on
        self._waiting = 0  # callers in ``drain``
        self._idle = threading.Condition()
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()

    def notify(self, ids: Sequence[int]) -> None:
        """Queue newly committed cases (never blocks)."""
        if not ids:
            return
        with self._idle:
            self._pending += len(ids)
        for case_id in ids:
            self._ids.put(case_id)
        self._ensure_started()

    def drain(self, timeout: float = 10.0) -> bool:
        """Wait until every queued case has been worked on; False if ``timeout`` seconds passed first."""
        with self._idle:
            self._waiting += 1
            self._hurry.set()
            try:
                return self._idle.wait_for(lambda: self._pending == 0, timeout)
            finally:
                self._waiting -= 1
                if not self._waiting:
                    self._hurry.clear()

    def _ensure_started(self) -> None:
        if self._thread is None:
            with self._start_lock:
                if self._thread is None:
                    self._thread = threading.Thread(target=self._run, name="civicgrid-suggest", daemon=True)
                    self._thread.start()

    def _gather(self) -> list[int]:
        batch = [self._ids.get()]
        until = time.monotonic() + self._linger
        while len(batch) < self._max_batch:
            left = until - time.monotonic()
            try:
                if left <= 0 or self._hurry.is_set():
                    batch.append(self._ids.get_nowait())
                else:
                    batch.append(self._ids.get(timeout=min(left, _POLL)))
            except queue.Empty:
                if left <= 0 or self._hurry.is_set():
                    break
        return batch

    def _run(self) -> None:
        while True:
            batch = self._gather()
            try:
                self._work(batch)
            except Exception:  # the backlog picks these cases up; the worker goes on
                log.exception("suggesting for %d new cases failed; the backlog will retry", len(batch))
            finally:
                with self._idle:
                    self._pending -= len(batch)
                    self._idle.notify_all()
