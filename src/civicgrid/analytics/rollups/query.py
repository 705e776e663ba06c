"""Tallies per group for any period, from the rollups; the ragged edges of a period from raw cases.

A period [start, end) splits into whole local years and months (year and month rows, where the cube has
them), whole local days (day rows; a year or month mostly inside the period is its row less the parts
outside) and at most two partial days at its ends, which are read from the cases themselves (an
index range on ``submitted_at``) through the same contribution function. So any period is exact, and a
period of whole days never touches the cases table except for the overdue count, which depends on the
clock and comes from the index on (status, due).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import MAXYEAR, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Connection

from civicgrid.adapters.db.rollup_model import (
    CUBES,
    DAY,
    MONTH,
    ROW_COLUMNS,
    SLOT_SECONDS,
    YEAR,
    Cube,
    contribution,
    driver_time,
    rollup_zone,
)
from civicgrid.adapters.db.rollup_tables import (
    COUNTS,
    DIMENSIONS,
    RUNNING_SQL,
    case_rollup_hours,
    case_rollups,
)
from civicgrid.adapters.db.tables import cases
from civicgrid.analytics.case_queries import scope_condition
from civicgrid.domain.access import CaseScope

# The API's groupings and the case column each groups by.
GROUP_DIMENSION = {
    "street": "street_code",
    "community": "community_code",
    "grid": "grid_code",
    "microgrid": "microgrid_code",
    "org": "org_code",
    "worker": "assignee_code",
    "category": "category_code",
    "urgency": "urgency",
    "source": "source",
}
_AREA_DIMS = ("street_code", "community_code", "grid_code", "microgrid_code")
_ROW_COLUMNS = [cases.c[name] for name in ROW_COLUMNS]


@dataclass(slots=True)
class Tally:
    """The additive figures of one group: counts, overdue, and the two duration histograms."""

    counts: list[int] = field(default_factory=lambda: [0] * len(COUNTS))
    overdue: int = 0
    # Histograms, slot -> cases: plain dicts, as a Counter costs more to make than the rest of a Tally.
    accept: dict[int, int] = field(default_factory=dict)
    close: dict[int, int] = field(default_factory=dict)


Tallies = dict[Any, Tally]


def tallies(
    conn: Connection,
    *,
    start: datetime,
    end: datetime,
    group: str | None,
    now: datetime,
    scope: CaseScope | None = None,
    zone: ZoneInfo | None = None,
    hours: bool = True,
) -> Tallies:
    """Counts, overdue and (with ``hours``) histograms per group key for cases submitted in [start, end)."""
    zone = zone or rollup_zone()
    out: Tallies = {}
    if scope is not None and scope.nothing:
        return out
    cube = choose_cube(group, scope)
    if cube is None:  # a resident's own reports: not in any rollup, read from the cases
        _raw(conn, out, start, end, group, scope, zone)
    else:
        edges, pieces = split_period(start, end, zone, grains=cube.grains)
        for a, b in edges:
            _raw(conn, out, a, b, group, scope, zone)
        for grain, a_day, b_day, sign in pieces:
            _rolled(conn, out, cube, grain, a_day, b_day, group, scope, hours, sign)
        # A group met only in days subtracted from their month nets to nothing: it had no case here.
        out = {k: t for k, t in out.items() if t.counts[0]}
    _overdue(conn, out, start, end, group, scope, now)
    return out


def choose_cube(group: str | None, scope: CaseScope | None) -> Cube | None:
    """The smallest cube holding the grouping's dimension and every dimension the scope filters by."""
    needed = {GROUP_DIMENSION[group]} if group else set()
    if scope is not None and not scope.everything:
        if scope.reporter_user_id is not None:
            return None
        if scope.area_codes:
            needed |= set(_AREA_DIMS)
        if scope.worker_code:
            needed.add("assignee_code")
        if scope.org_code:
            needed.add("org_code")
    return next(c for c in CUBES if needed <= c.dims)


def split_period(
    start: datetime, end: datetime, zone: ZoneInfo, *, grains: tuple[str, ...]
) -> tuple[list[tuple[datetime, datetime]], list[Piece]]:
    """Partial-day edges (datetimes) and the rollup pieces (grain, first day, end day, sign) of a period.

    The whole days are covered by the cube's coarsest ``grains`` first. A year or month cut by the period
    is read either as its parts inside, or as the whole row less its parts outside, whichever reads fewer
    rows (subtracting integer counts is exact): the last 365 days cost a year and a month or two, not
    twelve months, nor thirty days of day rows for the month cut in two.
    """
    if start >= end:
        return [], []
    local_start = start.astimezone(zone)
    first, last = local_start.date(), end.astimezone(zone).date()
    if local_start.time() != time() and first < last:  # the whole days begin the day after, if it exists
        first += timedelta(days=1)
    if first >= last:
        return [(start, end)], []
    edges = [(a, b) for a, b in ((start, midnight(first, zone)), (midnight(last, zone), end)) if a < b]
    joined: list[Piece] = []
    pieces = _cover(first, last, [g for g in _COARSEST_FIRST if g in grains], 1)
    for piece in sorted(pieces, key=lambda p: (p[0], -p[3], p[1])):  # contiguous ranges: one query each
        _append(joined, piece)
    return edges, joined


Piece = tuple[str, date, date, int]  # (grain, first day, end day exclusive, +1 or -1)
_COARSEST_FIRST = (YEAR, MONTH, DAY)
_LAST_BUCKET = {YEAR: date(MAXYEAR, 1, 1), MONTH: date(MAXYEAR, 12, 1)}


def _cover(a: date, b: date, grains: list[str], sign: int) -> list[Piece]:
    """Pieces counting each day of [a, b) ``sign`` times, in the fewest rows per key that ``grains`` allow."""
    if a >= b:
        return []
    grain, finer = grains[0], grains[1:]
    if grain == DAY:  # every cube has day rows: the finest grain ends the recursion
        return [(DAY, a, b, sign)]
    pieces: list[Piece] = []
    unit = a.replace(month=1, day=1) if grain == YEAR else a.replace(day=1)
    while unit < b:
        after = _next_unit(grain, unit)
        if after is None:  # the calendar's last year or month has no end day to name: its finer rows
            return pieces + _cover(max(a, unit), b, finer, sign)
        lo, hi = max(a, unit), min(b, after)
        if (lo, hi) == (unit, after):
            _append(pieces, (grain, unit, after, sign))
        else:
            inside = _cover(lo, hi, finer, sign)
            outside = [(grain, unit, after, sign), *_cover(unit, lo, finer, -sign)]
            outside += _cover(hi, after, finer, -sign)
            pieces += inside if _rows(inside) <= _rows(outside) else outside
        unit = after
    return pieces


def _rows(pieces: list[Piece]) -> int:
    """How many rows per key the pieces read: one per day, month or year they span."""
    total = 0
    for grain, a, b, _sign in pieces:
        if grain == DAY:
            total += (b - a).days
        elif grain == MONTH:
            total += (b.year - a.year) * 12 + b.month - a.month
        else:
            total += b.year - a.year
    return total


def _next_unit(grain: str, day: date) -> date | None:
    """The first day of the next bucket at ``grain`` (``day`` being a bucket's first day), if it has one."""
    if day >= _LAST_BUCKET.get(grain, date.max):  # the calendar's last: 10000-01-01 is no date
        return None
    if grain == YEAR:
        return day.replace(year=day.year + 1)
    if grain == MONTH:
        return (day.replace(day=28) + timedelta(days=4)).replace(day=1)
    return day + timedelta(days=1)


def _append(pieces: list[Piece], piece: Piece) -> None:
    """Add a piece, joining it to the one before when they are contiguous (one query instead of two)."""
    if pieces and pieces[-1][0] == piece[0] and pieces[-1][3] == piece[3] and pieces[-1][2] == piece[1]:
        grain, a, _, sign = pieces[-1]
        pieces[-1] = (grain, a, piece[2], sign)
    else:
        pieces.append(piece)


def midnight(day: date, zone: ZoneInfo) -> datetime:
    """The start of a local day."""
    return datetime.combine(day, time(), tzinfo=zone)


def _key(group: str | None, value: Any) -> Any:
    if group is None:
        return "all"
    return value or None  # '' in a rollup: not sent to any organisation or worker yet


def _rollup_scope(table: sa.Table, scope: CaseScope | None) -> list[sa.ColumnElement[bool]]:
    if scope is None or scope.everything:
        return []
    conditions: list[sa.ColumnElement[bool]] = []
    if scope.area_codes:
        codes = sorted(scope.area_codes)
        conditions += [table.c[d].in_(codes) for d in _AREA_DIMS]
    if scope.worker_code:
        conditions.append(table.c.assignee_code == scope.worker_code)
    if scope.org_code:
        conditions.append(table.c.org_code == scope.org_code)
    return [sa.or_(*conditions)]


def _rolled(
    conn: Connection,
    out: Tallies,
    cube: Cube,
    grain: str,
    a: date,
    b: date,
    group: str | None,
    scope: CaseScope | None,
    hours: bool,
    sign: int,
) -> None:
    # One bucket, grouped by the dimension that fixes the cube's others: its rows are already one per group
    # (two only for a micro-grid a new map moved; the sums below add them), and SQLite's GROUP BY costs
    # several times the plain rows' reading (about 5 us per group for the twelve sums).
    plain = group is not None and cube.finest == GROUP_DIMENSION[group] and _next_unit(grain, a) == b
    for table in (case_rollups, case_rollup_hours) if hours else (case_rollups,):
        key = table.c[GROUP_DIMENSION[group]] if group else sa.literal("all")
        where = [
            table.c.cube == cube.name,
            table.c.grain == grain,
            table.c.bucket >= a,
            table.c.bucket < b,
            *_rollup_scope(table, scope),
        ]
        if table is case_rollups:
            if plain:
                q = sa.select(key, *(table.c[c] for c in COUNTS)).where(*where)
            else:
                q = sa.select(key, *(sa.func.sum(table.c[c]) for c in COUNTS)).where(*where).group_by(key)
            for k, *values in conn.execute(q):
                # Thousands of rows for the micro-grids of a year: no Tally is made for a group already
                # met, and a new group takes the sums as they come (the counts are never NULL).
                tally = out.get(k := _key(group, k))
                if tally is None:
                    out[k] = Tally(counts=values if sign == 1 else [-v for v in values])
                else:
                    tally.counts = [n + sign * v for n, v in zip(tally.counts, values, strict=True)]
        else:
            _add_histograms(conn, out, table, key, where, group, plain, sign)


def _add_histograms(
    conn: Connection,
    out: Tallies,
    table: sa.Table,
    key: sa.ColumnElement[Any],
    where: list[sa.ColumnElement[bool]],
    group: str | None,
    plain: bool,
    sign: int,
) -> None:
    """Add the histogram rows selected by ``where`` to each group's, ``sign`` times.

    Hundreds of thousands of slot rows for the micro-grids of a year: the database packs each group's
    (slot, count) pairs of a measure into one field (``_pairs``), so Python handles one row per
    histogram, not one per slot. A plain read groups by the key in its stored order (no sorting);
    otherwise the slots are summed first, then packed.
    """
    if plain:
        # Every key column from the bucket to the measure, in the primary key's order: SQLite streams the
        # groups from the index. The other dimensions follow from the finest, so these are the key's
        # groups (two for a micro-grid a new map moved: both add into its histogram).
        key_columns = [table.c.bucket, *(table.c[d] for d in DIMENSIONS), table.c.measure]
        q = (
            sa.select(key, table.c.measure, _pairs(conn, table.c.slot, table.c.n))
            .where(*where)
            .group_by(*key_columns)
        )
    else:
        summed = (
            sa.select(key.label("k"), table.c.measure, table.c.slot, sa.func.sum(table.c.n).label("n"))
            .where(*where)
            .group_by(key, table.c.measure, table.c.slot)
            .subquery()
        )
        q = sa.select(summed.c.k, summed.c.measure, _pairs(conn, summed.c.slot, summed.c.n)).group_by(
            summed.c.k, summed.c.measure
        )
    unpack = _unpack(conn)
    for k, measure, pairs in conn.execute(q):
        tally = out.get(key_of := _key(group, k))
        if tally is None:
            tally = out[key_of] = Tally()
        name = "accept" if measure == "accept" else "close"
        histogram: dict[int, int] = getattr(tally, name)
        added = unpack(pairs)
        if sign == 1 and len(added) > len(histogram):  # add the smaller histogram into the larger
            histogram, added = added, histogram
            setattr(tally, name, histogram)
        for slot, n in added.items():
            if total := histogram.get(slot, 0) + sign * n:
                histogram[slot] = total
            else:
                histogram.pop(slot, None)


def _pairs(conn: Connection, slot: sa.ColumnElement[Any], n: sa.ColumnElement[Any]) -> sa.ColumnElement[Any]:
    """A group's (slot, count) pairs in one field: PostgreSQL's array of pairs, SQLite's text
    "slot,n,slot,n,..." (one aggregate, so no pair depends on two aggregates seeing rows in one order)."""
    if conn.dialect.name == "postgresql":
        return sa.func.array_agg(postgresql.array([slot, n]))
    return sa.func.group_concat(sa.cast(slot, sa.Text) + "," + sa.cast(n, sa.Text))


def _unpack(conn: Connection) -> Callable[[Any], dict[int, int]]:
    """The decoder of ``_pairs``' field: slot -> count."""
    return _pg_pairs if conn.dialect.name == "postgresql" else _text_pairs


def _pg_pairs(pairs: list[list[int]]) -> dict[int, int]:
    return dict(pairs)  # type: ignore[arg-type]  # [slot, n] lists


def _text_pairs(text: str) -> dict[int, int]:
    numbers = map(int, text.split(","))
    return dict(zip(numbers, numbers, strict=False))  # the same iterator twice: slot, then its count


def _raw(
    conn: Connection,
    out: Tallies,
    a: datetime,
    b: datetime,
    group: str | None,
    scope: CaseScope | None,
    zone: ZoneInfo,
) -> None:
    where = [cases.c.submitted_at >= a, cases.c.submitted_at < b]
    if scope is not None:
        where.append(scope_condition(scope))
    dims = list(DIMENSIONS)
    for row in conn.execute(sa.select(*_ROW_COLUMNS).where(*where)):
        c = contribution(row._mapping, zone)
        tally = out.setdefault(
            _key(group, c.dims[dims.index(GROUP_DIMENSION[group])] if group else None), Tally()
        )
        for i, v in enumerate(c.counts):
            tally.counts[i] += v
        if c.accept_slot is not None:
            tally.accept[c.accept_slot] = tally.accept.get(c.accept_slot, 0) + 1
        if c.close_slot is not None:
            tally.close[c.close_slot] = tally.close.get(c.close_slot, 0) + 1


def _overdue(
    conn: Connection,
    out: Tallies,
    start: datetime,
    end: datetime,
    group: str | None,
    scope: CaseScope | None,
    now: datetime,
) -> None:
    # Plain SQL: SQLite, without statistics, prefers the one-column status index and visits every running
    # case's row; INDEXED BY (which SQLAlchemy cannot render for SQLite) keeps it on the covering index.
    p = "%s" if conn.dialect.name == "postgresql" else "?"
    hint = " INDEXED BY ix_cases_running_due" if conn.dialect.name == "sqlite" else ""
    column = GROUP_DIMENSION[group] if group else "'all'"
    sql = (
        f"SELECT {column}, count(*) FROM cases{hint} WHERE {RUNNING_SQL}"
        f" AND due < {p} AND submitted_at >= {p} AND submitted_at < {p}"
    )
    params: list[Any] = [driver_time(conn.dialect.name, t) for t in (now, start, end)]
    if scope is not None and not scope.everything:
        alternatives = []
        if scope.area_codes:
            codes = sorted(scope.area_codes)
            alternatives += [f"{d} IN ({', '.join(p for _ in codes)})" for d in _AREA_DIMS]
            params += codes * len(_AREA_DIMS)
        for name, value in (
            ("assignee_code", scope.worker_code),
            ("org_code", scope.org_code),
            ("reporter_user_id", scope.reporter_user_id),
        ):
            if value is not None and value != "":
                alternatives.append(f"{name} = {p}")
                params.append(value)
        sql += f" AND ({' OR '.join(alternatives) or '1 = 0'})"
    if group:
        sql += f" GROUP BY {column}"
    for k, n in conn.exec_driver_sql(sql, tuple(params)):
        if n:
            out.setdefault(_key(group, k), Tally()).overdue += int(n)


def quantiles(histogram: Mapping[int, int], measure: str, qs: Sequence[float]) -> list[float | None]:
    """The ``qs``-quantiles (each 0 <= q < 1) in hours, every duration taken at the middle of its slot (so
    exact to half a slot), read in one pass over the sorted slots.

    The same interpolation as ``statistics.quantiles(method='inclusive')``, which the raw-case reference
    uses on the exact durations: the value between the j-th and (j+1)-th durations, ``delta`` hundredths
    of the way.
    """
    if not all(0 <= q < 1 for q in qs):
        raise ValueError(f"quantiles are taken at 0 <= q < 1, not {qs}")
    m = sum(histogram.values())
    if m == 0 or not qs:
        return [None] * len(qs)
    cuts = [divmod(int(q * 100) * (m - 1), 100) if m > 1 else (0, 0) for q in qs]
    wanted = iter(sorted({r for j, delta in cuts for r in ((j, j + 1) if delta else (j,))}))
    width = SLOT_SECONDS[measure] / 3600
    at: dict[int, float] = {}  # rank (0-based, in duration order) -> its slot's middle, in hours
    rank: int | None = next(wanted)
    seen = 0
    for slot, n in sorted(histogram.items()):
        seen += n
        while rank is not None and rank < seen:
            at[rank] = (slot + 0.5) * width
            rank = next(wanted, None)
        if rank is None:
            break
    if m == 1:
        return [round(at[0], 2) for _ in qs]
    return [
        round((at[j] * (100 - delta) + (at[j + 1] * delta if delta else 0.0)) / 100, 2) for j, delta in cuts
    ]
