"""Pieces of a simulated history generated and encoded as rows, in this process or in worker processes.

Workers are forked after the district is read, so they inherit it instead of reading the database
themselves, and they die with the command (Linux ``PR_SET_PDEATHSIG``): a killed ``civicgrid simulate``
leaves no generators behind. At most ``2 x workers`` pieces are in flight, so memory stays bounded
however slow the database is.
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import signal
import sys
from collections import deque
from collections.abc import Iterator, Sequence
from multiprocessing.pool import AsyncResult, Pool
from typing import Any

from civicgrid.adapters.db.bulk import Row, RowEncoder
from civicgrid.adapters.db.rollup_model import contribution
from civicgrid.adapters.db.rollup_writer import RollupDelta
from civicgrid.demo.history import District, Piece, piece_cases

Rows = tuple[list[Row], list[Row], RollupDelta]  # cases, events, their share of the figures' rollups
_STATE: dict[str, Any] = {}  # what forked workers inherit: the district, the encoder, the first id


def encoded_piece(district: District, encoder: RowEncoder, piece: Piece, first_id: int) -> Rows:
    """The rows of one piece: its cases and their events in id order, and their share of the rollups."""
    case_rows: list[Row] = []
    event_rows: list[Row] = []
    rollups = RollupDelta()
    for case in piece_cases(district, piece, first_id):
        row = encoder.row(case)
        case_rows.append(encoder.case(row))
        event_rows.extend(encoder.events(case))
        rollups.add(contribution(row))  # what the repository counts for a case it adds
    return case_rows, event_rows, rollups


def _work(piece: Piece) -> Rows:
    return encoded_piece(_STATE["district"], _STATE["encoder"], piece, _STATE["first_id"])


def _die_with_parent() -> None:
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    if os.getppid() == 1:  # the parent died before the line above ran
        os._exit(1)


def generate(
    district: District, encoder: RowEncoder, pieces: Sequence[Piece], first_id: int, workers: int
) -> Iterator[Rows]:
    """The rows of each piece, in order; ``workers`` > 1 generates them in that many processes."""
    if workers <= 1 or len(pieces) <= 1 or "fork" not in multiprocessing.get_all_start_methods():
        for piece in pieces:
            yield encoded_piece(district, encoder, piece, first_id)
        return
    _STATE.update(district=district, encoder=encoder, first_id=first_id)
    pool: Pool = multiprocessing.get_context("fork").Pool(workers, initializer=_die_with_parent)
    try:
        todo = iter(pieces)
        running: deque[AsyncResult[Rows]] = deque()
        for piece in todo:
            running.append(pool.apply_async(_work, (piece,)))
            if len(running) >= 2 * workers:
                break
        while running:
            rows = running.popleft().get()
            following = next(todo, None)
            if following is not None:
                running.append(pool.apply_async(_work, (following,)))
            yield rows
    finally:
        pool.terminate()
        pool.join()
        _STATE.clear()
