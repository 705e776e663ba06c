"""The suggestion worker gathers new cases into batches, and ``drain`` never waits out the gathering."""

from __future__ import annotations

import threading

from civicgrid.services.suggestion_worker import SuggestionWorker


def test_ids_notified_while_a_batch_gathers_are_worked_on_together() -> None:
    batches: list[list[int]] = []
    worker = SuggestionWorker(batches.append, linger=3600)  # gathers until drain says stop
    worker.notify([1, 2])
    worker.notify([3])
    assert worker.drain(timeout=5)
    assert sorted(i for b in batches for i in b) == [1, 2, 3]
    assert len(batches) == 1


def test_drain_ends_the_gathering_at_once_however_long_the_linger() -> None:
    batches: list[list[int]] = []
    worker = SuggestionWorker(batches.append, linger=3600)
    worker.notify([7])
    assert worker.drain(timeout=5)  # without the hurry this would wait an hour and time out
    assert batches == [[7]]


def test_a_batch_never_exceeds_the_maximum() -> None:
    batches: list[list[int]] = []
    worker = SuggestionWorker(batches.append, max_batch=3, linger=0.2)
    worker.notify(list(range(10)))
    assert worker.drain(timeout=5)
    assert all(len(b) <= 3 for b in batches)
    assert sorted(i for b in batches for i in b) == list(range(10))


def test_a_failing_batch_does_not_stop_the_worker() -> None:
    seen: list[int] = []
    fail_once = threading.Event()

    def work(ids: list[int]) -> None:
        if not fail_once.is_set():
            fail_once.set()
            raise RuntimeError("database went away")
        seen.extend(ids)

    worker = SuggestionWorker(work, linger=0)
    worker.notify([1])
    assert worker.drain(timeout=5)
    worker.notify([2])
    assert worker.drain(timeout=5)
    assert seen == [2]
