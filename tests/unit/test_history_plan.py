"""A long history in pieces: every case planned once, whole days per piece, the busy hours busier."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import pairwise

from civicgrid.demo.history import plan

END = datetime(2026, 11, 28, 2, 0, tzinfo=UTC)


def test_the_pieces_hold_every_case_once_in_consecutive_whole_days() -> None:
    pieces = plan(count=100_000, days=365, end=END, seed=3, piece=20_000)
    assert sum(p.count for p in pieces) == 100_000
    assert [p.index for p in pieces] == list(range(len(pieces)))
    assert pieces[0].start == END - timedelta(days=365)
    for before, after in pairwise(pieces):
        assert after.offset == before.offset + before.count
        assert after.start == before.start + timedelta(hours=len(before.per_hour))
        assert len(before.per_hour) % 24 == 0
    assert pieces[-1].start + timedelta(hours=len(pieces[-1].per_hour)) == END
    assert [p.last for p in pieces] == [False] * (len(pieces) - 1) + [True]
    assert all(p.count >= 20_000 for p in pieces[:-1])


def test_the_same_seed_plans_the_same_history_and_another_seed_does_not() -> None:
    assert plan(count=5000, days=30, end=END, seed=1) == plan(count=5000, days=30, end=END, seed=1)
    assert plan(count=5000, days=30, end=END, seed=1) != plan(count=5000, days=30, end=END, seed=2)


def test_mornings_are_busier_than_nights() -> None:
    (piece,) = plan(count=50_000, days=28, end=END, seed=9, piece=10**9)
    start_local = piece.start + timedelta(hours=8)
    by_hour = [0] * 24
    for slot, n in enumerate(piece.per_hour):
        by_hour[(start_local + timedelta(hours=slot)).hour] += n
    assert by_hour[10] > 5 * by_hour[3]


def test_no_cases_no_pieces() -> None:
    assert plan(count=0, days=30, end=END, seed=1) == []
