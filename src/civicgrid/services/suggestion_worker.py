"""One thread per process that suggests for the reports its intake just stored, in batches, after the commit.

Intake hands over the ids of each committed batch (``notify``) and answers its requests at once; this
thread takes whatever has queued up and calls ``work`` with it. A failure is logged and the cases are left
to the backlog (``services.intake_suggestions.suggest_backlog``): intake never waits for a suggestion.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable, Sequence

log = logging.getLogger(__name__)
MAX_BATCH = 256


class SuggestionWorker:
    """Runs ``work(ids)`` on batches of newly stored case ids, in a thread of its own."""

    def __init__(self, work: Callable[[list[int]], object], *, max_batch: int = MAX_BATCH) -> None:
        self._work = work
        self._max_batch = max_batch
        self._ids: queue.SimpleQueue[int] = queue.SimpleQueue()
        self._pending = 0  # ids notified and not yet worked on
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
            return self._idle.wait_for(lambda: self._pending == 0, timeout)

    def _ensure_started(self) -> None:
        if self._thread is None:
            with self._start_lock:
                if self._thread is None:
                    self._thread = threading.Thread(target=self._run, name="civicgrid-suggest", daemon=True)
                    self._thread.start()

    def _run(self) -> None:
        while True:
            batch = [self._ids.get()]
            while len(batch) < self._max_batch:
                try:
                    batch.append(self._ids.get_nowait())
                except queue.Empty:
                    break
            try:
                self._work(batch)
            except Exception:  # the backlog picks these cases up; the worker goes on
                log.exception("suggesting for %d new cases failed; the backlog will retry", len(batch))
            finally:
                with self._idle:
                    self._pending -= len(batch)
                    self._idle.notify_all()
