"""The workload simulator: a district's case history, every step taken through the real lifecycle.

Arrivals follow the week, the day (peaks 9-11 and 14-16) and the seasons (heating in winter, flooding
and noise in summer); categories, sources, places and reporters are drawn from one seeded
``random.Random``. Each case is then lived through ``Case``'s own methods by the actor each step needs,
until it ends or ``end`` is reached, so a wrong rate shows as a wrong figure, never as a history the
domain would refuse. The last cases are held in every open state so the demo shows all of them.

Merging needs the surviving case's id. Given ``first_id`` the simulator numbers the cases itself, as a
bulk load stores them; without it a merged duplicate's ``merged_into`` is the original's 1-based
position in the stream (its id when the stream is stored in order into an empty table).

The parts, each in its own module: ``timing`` (Beijing time, arrivals, opening hours), ``mix`` (sources
and categories by band and season), ``world`` (where a report comes from and who handles it), ``staff``
(the people who act), ``lifecycle`` (one case lived through) and ``rates`` (how often each side road is
taken).
"""

from __future__ import annotations

import copy
from collections import defaultdict, deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from shapely.geometry import Polygon

from civicgrid.demo.lifecycle import Life
from civicgrid.demo.mix import PERSONAL
from civicgrid.demo.people import WorkerSpec
from civicgrid.demo.staff import Staff
from civicgrid.demo.timing import LOCAL, arrival_times
from civicgrid.demo.world import Origin, World
from civicgrid.domain.case_types import AreaChain, Status
from civicgrid.domain.cases import Case, DeadlinePolicy
from civicgrid.domain.catalogue import Catalogue, Urgency
from civicgrid.domain.deadlines import TimeLimit
from civicgrid.domain.geography import AreaSpec, Level

DUPLICATE = 0.055  # a re-report of an open or recent problem nearby
DUPLICATE_WINDOW = timedelta(days=6)
HOLD_WINDOW = timedelta(days=10)  # the last cases stay open in every state, if they came in lately
HOLD_ORDER = (Status.SUBMITTED, Status.REGISTERED, Status.DISPATCHED, Status.ACCEPTED,
              Status.IN_PROGRESS, Status.HANDLED, Status.SUSPENDED)  # fmt: skip


@dataclass(frozen=True)
class MicrogridSite:
    """A micro-grid reports can come from: its area chain and boundary (and its community's name)."""

    chain: AreaChain
    polygon: Polygon
    community_name: str = ""


@dataclass(frozen=True)
class WorkerRef:
    """A grid worker who may be assigned cases: full-time (org None) or professional of an org."""

    code: str
    name: str
    org_code: str | None
    kind: str  # "fulltime" | "professional"


def sites_of(areas: Sequence[AreaSpec]) -> list[MicrogridSite]:
    """The micro-grids of a map as places reports come from, each with its chain of ancestors."""
    by_code = {a.code: a for a in areas}
    sites = []
    for a in areas:
        if a.level is Level.MICROGRID:
            grid = by_code[a.parent_code or ""]
            community = by_code[grid.parent_code or ""]
            chain = AreaChain(a.code, grid.code, community.code, community.parent_code or "")
            sites.append(MicrogridSite(chain=chain, polygon=a.geometry, community_name=community.name))
    return sites


def crews_of(people: Sequence[WorkerSpec]) -> dict[str, list[WorkerRef]]:
    """The workers serving each grid."""
    crews: dict[str, list[WorkerRef]] = defaultdict(list)
    for w in people:
        for g in w.grid_codes:
            crews[g].append(WorkerRef(code=w.code, name=w.name, org_code=w.org_code, kind=str(w.kind)))
    return crews


def simulate(
    *,
    count: int,
    seed: int,
    end: datetime,
    days: int,
    sites: Sequence[MicrogridSite],
    catalogue: Catalogue,
    limits: Callable[[str, Urgency], TimeLimit],
    deadlines: DeadlinePolicy,
    workers_by_grid: Mapping[str, Sequence[WorkerRef]],
    duplicates: list[tuple[int, int]] | None = None,
    first_id: int | None = None,
    arrivals: Sequence[datetime] | None = None,
    stream_seed: str | None = None,
    hold_open: bool = True,
) -> Iterator[Case]:
    """``count`` unsaved cases submitted in the ``days`` before ``end``, each with its whole history.

    ``first_id`` numbers the cases from there (the repository's next id, for a bulk load); without it
    ids stay None. ``duplicates`` receives (index of original, index of re-report) pairs.

    A long history is simulated in independent pieces (``civicgrid.demo.history``): each piece gives its
    sorted ``arrivals`` (then ``count`` is ignored), draws its steps from ``stream_seed`` while the
    district itself (busy streets, invented places, supervisors, handlers) stays that of ``seed``, and
    only the last piece (``hold_open``) keeps its final cases open in every state.
    """
    if end.tzinfo is None or end.utcoffset() is None:
        raise ValueError("end needs a time zone")
    if count < 0 or days < 1 or not sites:
        raise ValueError("need count >= 0, days >= 1 and at least one site")
    end = end.astimezone(UTC)
    world = World(seed, sites, catalogue, workers_by_grid)
    staff = Staff(world.rng, limits, deadlines, end)
    if arrivals is None:
        arrivals = arrival_times(world.rng, count, end, days)
    if stream_seed is not None:
        for org in catalogue.organisations:  # the same handlers in every piece of a long history
            staff.assignee(org.code, None)
        world.rng.seed(stream_seed)
    count = len(arrivals)
    held = max(0, len(arrivals) - max(2 * len(HOLD_ORDER), count // 150)) if hold_open else len(arrivals)
    while held < len(arrivals) and arrivals[held] < end - HOLD_WINDOW:
        held += 1  # a case is held open only if it came in lately
    recent: deque[Origin] = deque()
    for index, at in enumerate(arrivals):
        while recent and recent[0].case.submitted_at < at - DUPLICATE_WINDOW:
            recent.popleft()
        origin = world.rng.choice(recent) if recent and world.rng.random() < DUPLICATE else None
        case, site, place = world.report(at, origin)
        case.id = None if first_id is None else first_id + index
        hold = HOLD_ORDER[(len(arrivals) - 1 - index) % len(HOLD_ORDER)] if index >= held else None
        if origin is not None:
            if duplicates is not None:
                duplicates.append((origin.index, index))
            Life(staff, case, hold, world.assignee(case), _snapshot(origin)).run()
        else:
            Life(staff, case, hold, world.assignee(case), None).run()
            if case.category_code not in PERSONAL:
                recent.append(Origin(index, case, site, place))
        yield case


def _snapshot(origin: Origin) -> Callable[[datetime], Case | None]:
    """The original as it stood at a moment, with the id the merge will point to; None once closed."""

    def at(moment: datetime) -> Case | None:
        status: Status | None = None
        for event in origin.case.history():
            if event.at > moment:
                break
            status = event.to_status
        if status is None:
            return None
        snap = copy.copy(origin.case)
        snap.status = status
        snap.id = origin.index + 1 if snap.id is None else snap.id
        if snap.number is None:  # what the repository will number it
            snap.number = f"{(snap.submitted_at + LOCAL):%Y%m%d}{snap.id:06d}"
        return snap if snap.is_open else None

    return at
