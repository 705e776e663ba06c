"""The workload simulator: a district's case history, every step taken through the real lifecycle.

Arrivals follow the week, the day (peaks 9-11 and 14-16) and the seasons (heating in winter, flooding
and noise in summer); categories, sources, places and reporters are drawn from one seeded
``random.Random``. Each case is then lived through ``Case``'s own methods by the actor each step needs,
until it ends or ``end`` is reached, so a wrong rate shows as a wrong figure, never as a history the
domain would refuse. The last cases are held in every open state so the demo shows all of them.

Merging needs the surviving case's id. Given ``first_id`` the simulator numbers the cases itself, as a
bulk load stores them; without it a merged duplicate's ``merged_into`` is the original's 1-based
position in the stream (its id when the stream is stored in order into an empty table).
"""

from __future__ import annotations

import copy
import heapq
import math
import random
from bisect import bisect
from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import accumulate

import shapely
from shapely.geometry import Polygon

from civicgrid.demo import texts
from civicgrid.domain.case_types import (
    ASSIGNED_STATUSES,
    AreaChain,
    Callback,
    Location,
    Reporter,
    Satisfaction,
    Source,
    Status,
    Warning,
)
from civicgrid.domain.cases import Case, DeadlinePolicy
from civicgrid.domain.catalogue import Catalogue, Category, CategoryKind, LimitClass, Urgency
from civicgrid.domain.deadlines import LimitMode, LimitUnit, TimeLimit
from civicgrid.domain.roles import Actor, Role

LOCAL = timedelta(hours=8)  # Beijing time, no daylight saving since 1991
_HOURS = (0.15, 0.1, 0.07, 0.05, 0.05, 0.1, 0.3, 0.7, 1.3, 1.9, 2.0, 1.6,
          0.9, 1.1, 1.7, 1.8, 1.5, 1.1, 0.8, 0.8, 0.8, 0.7, 0.5, 0.3)  # fmt: skip
_WEEKDAYS = (1.12, 1.05, 1.0, 1.0, 0.95, 0.68, 0.62)
_MONTHS = (0.85, 0.8, 0.95, 1.0, 1.05, 1.1, 1.2, 1.2, 1.05, 0.95, 1.0, 1.05)
_SOURCES = (Source.WEB, Source.HOTLINE, Source.PATROL, Source.OPEN311, Source.ENTERPRISE)
# Per band (day 07-18, evening 18-23, night): grid workers patrol and firms call in office hours.
_SOURCE_WEIGHTS = {"day": (33, 37, 19, 5, 7), "evening": (45, 50, 1, 5, 1), "night": (35, 60, 0.5, 4, 0.5)}

# Relative frequency of each category (1.0 unless listed): the 12345 staples come up again and again.
_FREQUENT = {
    "H0201": 12, "H0301": 9, "E0101": 7, "E0502": 6, "E0503": 6, "E0501": 5, "H0101": 4, "H0105": 4,
    "E0301": 4, "E0602": 4, "C0303": 3, "H0103": 3, "H0305": 3, "C0104": 3, "C0205": 3, "H0401": 3,
    "H0203": 3, "H0202": 3, "E0103": 3, "E0201": 3, "E0504": 3, "E0605": 2, "H0404": 2, "H0508": 2,
    "H0106": 2, "H0604": 2, "H0601": 2, "H0603": 2, "H0501": 1.5, "E0406": 1, "H0503": 1,
    "E0407": 0.6, "E0402": 0.3, "E0409": 0.3, "H0511": 0.3, "E0408": 0.15, "E0401": 0.1, "E0404": 0.1,
    "E0403": 0.08, "H0510": 0.05,
}  # fmt: skip
_WINTER, _SUMMER = (11, 12, 1, 2, 3), (6, 7, 8)
# (months, factor in them, factor elsewhere): heating, snow and flooding follow the weather.
_SEASONS = {
    "H0105": (_WINTER, 5.0, 0.1), "E0404": (_WINTER, 4.0, 0.3), "E0407": ((12, 1, 2), 6.0, 0.0),
    "E0406": (_SUMMER, 6.0, 0.3), "H0511": (_SUMMER, 6.0, 0.2), "E0405": (_SUMMER, 2.0, 1.0),
    "C0102": (_SUMMER, 2.0, 1.0), "H0301": (_SUMMER, 1.6, 1.0), "E0106": (_SUMMER, 3.0, 0.5),
    "H0408": (_SUMMER, 2.0, 1.0), "H0103": (_SUMMER, 1.8, 1.0), "H0101": (_SUMMER, 1.5, 1.0),
    "H0404": ((5, 6, 7, 8), 3.0, 0.5), "H0401": ((12, 1), 3.0, 1.0), "E0104": ((4, 10, 11), 2.5, 1.0),
    "C0401": ((4, 5, 7, 8), 2.0, 1.0), "E0302": ((3, 4, 5), 2.0, 1.0),
}  # fmt: skip
# (day, evening, night) factors: noise and barbecues are evening matters, offices close at night.
_BANDS = {"H0301": (1.0, 3.0, 2.5), "E0301": (1.0, 2.0, 3.0), "E0106": (0.5, 3.0, 1.5),
          "H0305": (1.0, 1.5, 0.5), "H0501": (1.0, 1.5, 2.0)}  # fmt: skip
_OFFICE = (1.0, 0.4, 0.1)
_OFFICE_MAJORS = frozenset({"H04", "E06"})
_PATROL_MAJORS = frozenset({"E01", "E02", "E03", "E05"})
_PATROL_CODES = frozenset({"H0202", "H0204", "H0305", "H0506", "H0507", "H0508", "H0509", "E0406", "E0407"})
_ENTERPRISE_MAJORS = frozenset({"E06", "H01"})
_ENTERPRISE_CODES = frozenset({"H0401", "H0402", "H0403", "H0505", "H0206", "H0302", "H0306", "H0506"})
# Matters about one person, not a place: nobody nearby reports them again.
_PERSONAL = frozenset({"H0401", "H0402", "H0403", "H0404", "H0405", "H0407", "H0410", "H0411", "E0602",
                       "E0605", "H0503", "H0505", "H0602", "H0502"})  # fmt: skip

ANONYMOUS = 0.15
URGENCY_UP = 0.04  # a normal report made urgent (and a few urgent ones an emergency)
DUPLICATE = 0.055  # a re-report of an open or recent problem nearby
DUPLICATE_WINDOW = timedelta(days=6)
DUPLICATE_RADIUS_M = 180.0


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


@dataclass(frozen=True)
class _Origin:
    index: int
    case: Case
    site: int
    place: texts.Place


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
) -> Iterator[Case]:
    """``count`` unsaved cases submitted in the ``days`` before ``end``, each with its whole history.

    ``first_id`` numbers the cases from there (the repository's next id, for a bulk load); without it
    ids stay None. ``duplicates`` receives (index of original, index of re-report) pairs.
    """
    if end.tzinfo is None or end.utcoffset() is None:
        raise ValueError("end needs a time zone")
    if count < 0 or days < 1 or not sites:
        raise ValueError("need count >= 0, days >= 1 and at least one site")
    end = end.astimezone(UTC)
    world = _World(seed, sites, catalogue, workers_by_grid)
    staff = _Staff(world.rng, limits, deadlines, end)
    arrivals = _arrivals(world.rng, count, end, days)
    held = max(0, len(arrivals) - max(2 * len(HOLD_ORDER), count // 150))
    while held < len(arrivals) and arrivals[held] < end - HOLD_WINDOW:
        held += 1  # a case is held open only if it came in lately
    recent: deque[_Origin] = deque()
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
            _Life(staff, case, hold, world.assignee(case), _snapshot(origin)).run()
        else:
            _Life(staff, case, hold, world.assignee(case), None).run()
            if case.category_code not in _PERSONAL:
                recent.append(_Origin(index, case, site, place))
        yield case


def _snapshot(origin: _Origin) -> Callable[[datetime], Case | None]:
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


def _arrivals(rng: random.Random, count: int, end: datetime, days: int) -> list[datetime]:
    """Submission times: hourly slots weighted by hour of day, weekday and month, then a random minute."""
    start = end - timedelta(days=days)
    weights = []
    for slot in range(days * 24):
        local = start + LOCAL + timedelta(hours=slot)
        weights.append(_HOURS[local.hour] * _WEEKDAYS[local.weekday()] * _MONTHS[local.month - 1])
    slots = rng.choices(range(len(weights)), cum_weights=list(accumulate(weights)), k=count)
    return sorted(start + timedelta(hours=slot + rng.random()) for slot in slots)


def _band(local_hour: int) -> str:
    return "day" if 7 <= local_hour < 18 else "evening" if 18 <= local_hour < 23 else "night"


class _World:
    """The district as the simulator sees it: where reports come from, what they are about, who works."""

    def __init__(
        self,
        seed: int,
        sites: Sequence[MicrogridSite],
        catalogue: Catalogue,
        workers_by_grid: Mapping[str, Sequence[WorkerRef]],
    ) -> None:
        self.rng = rng = random.Random(seed)
        self.seed, self.sites, self.catalogue = seed, sites, catalogue
        self.workers = workers_by_grid
        areas = [s.polygon.area for s in sites]
        typical = sorted(areas)[len(areas) // 2] or 1.0
        crowd: dict[str, float] = {}  # some streets and communities are busier than others
        weights = []
        for site, area in zip(sites, areas, strict=True):
            chain = site.chain
            for code, sigma in ((chain.street, 0.3), (chain.community, 0.6)):
                if code not in crowd:
                    crowd[code] = rng.lognormvariate(0.0, sigma)
            weights.append(crowd[chain.street] * crowd[chain.community] * (typical / max(area, 1e-12)) ** 0.2)
        self._site_weights = list(accumulate(weights))
        for site in sites:
            shapely.prepare(site.polygon)
        self._places: dict[str, list[texts.Place]] = {}
        self._mix: dict[tuple[str, int, str], tuple[list[Category], list[float]]] = {}

    # ------------------------------------------------------------------ a report
    def report(self, at: datetime, origin: _Origin | None) -> tuple[Case, int, texts.Place]:
        """A new case as submitted: source, category, place, reporter and description."""
        rng, local = self.rng, at + LOCAL
        band = _band(local.hour)
        source = rng.choices(_SOURCES, weights=_SOURCE_WEIGHTS[band])[0]
        worker = None
        if source is Source.PATROL:
            worker = self._patrol_worker(origin.site if origin else None)
            source = Source.PATROL if worker else Source.WEB
        if origin is None:
            site = bisect(self._site_weights, rng.random() * self._site_weights[-1])
            site = min(site, len(self.sites) - 1)
            lon, lat = self._point(site)
            category = self._category(source, local.month, band)
            place = rng.choice(self._community_places(site))
        else:
            site, place = origin.site, origin.place
            lon, lat = self._near(origin)
            category = self.catalogue.category(origin.case.category_code)
        urgency = category.urgency
        if urgency is not Urgency.EMERGENCY and rng.random() < URGENCY_UP:
            urgency = Urgency.URGENT if urgency is Urgency.NORMAL or rng.random() < 0.5 else Urgency.EMERGENCY
        urgent, personal = urgency is not Urgency.NORMAL, category.code in _PERSONAL
        description = texts.describe(
            rng, category, place, band=band, source=source.value, urgent=urgent, personal=personal
        )
        reporter, actor = self._reporter(source, category, worker)
        case = Case.submit(
            actor=actor, at=at, source=source, category_code=category.code, urgency=urgency,
            description=description, location=Location(round(lon, 7), round(lat, 7), place.address()),
            areas=self.sites[site].chain, reporter=reporter, attributes=texts.answers(rng, category),
        )  # fmt: skip
        return case, site, place

    def _category(self, source: Source, month: int, band: str) -> Category:
        group = "patrol" if source is Source.PATROL else "firm" if source is Source.ENTERPRISE else "all"
        key = (group, month, band)
        if key not in self._mix:
            cats = [c for c in self.catalogue.categories if _fits(c, group)]
            self._mix[key] = (cats, list(accumulate(_weight(c, month, band) for c in cats)))
        cats, cum = self._mix[key]
        return self.rng.choices(cats, cum_weights=cum)[0]

    def _reporter(
        self, source: Source, category: Category, worker: WorkerRef | None
    ) -> tuple[Reporter, Actor]:
        rng = self.rng
        if worker is not None:
            actor = Actor(role=Role.GRID_WORKER, name=worker.name, worker_code=worker.code)
            return Reporter(name=worker.name), actor
        phone = texts.mobile(rng)
        if category.anonymous_allowed and rng.random() < ANONYMOUS:
            # 匿名: the name is withheld; the number stays on file, hidden, for the callback.
            reporter = Reporter(name=None, phone=phone, anonymous=True)
        else:
            formal = source is not Source.HOTLINE or rng.random() < 0.65
            reporter = Reporter(name=texts.person_name(rng, formal), phone=phone)
        if source is Source.HOTLINE:
            return reporter, Actor(role=Role.OPERATOR, name=rng.choice(_DESK_NAMES))
        return reporter, Actor(role=Role.RESIDENT, name=reporter.name or "匿名")

    # ------------------------------------------------------------------ places
    def _point(self, site: int) -> tuple[float, float]:
        polygon = self.sites[site].polygon
        x0, y0, x1, y1 = polygon.bounds
        for _ in range(64):
            x, y = x0 + self.rng.random() * (x1 - x0), y0 + self.rng.random() * (y1 - y0)
            if shapely.contains_xy(polygon, x, y):
                return x, y
        inside = polygon.representative_point()
        return inside.x, inside.y

    def _near(self, origin: _Origin) -> tuple[float, float]:
        """A point a short walk from the original report, still inside its micro-grid."""
        lon0, lat0 = origin.case.location.lon, origin.case.location.lat
        polygon = self.sites[origin.site].polygon
        for attempt in range(12):
            metres = self.rng.uniform(5.0, DUPLICATE_RADIUS_M) / (1 + attempt)
            angle = self.rng.uniform(0.0, 2 * math.pi)
            lon = lon0 + metres * math.cos(angle) / (111_320.0 * math.cos(math.radians(lat0)))
            lat = lat0 + metres * math.sin(angle) / 110_574.0
            if shapely.contains_xy(polygon, lon, lat):
                return lon, lat
        return lon0, lat0

    def _community_places(self, site: int) -> list[texts.Place]:
        chain = self.sites[site].chain
        found = self._places.get(chain.community)
        if found is None:
            name = self.sites[site].community_name
            found = self._places[chain.community] = texts.places_for(chain.community, name, self.seed)
        return found

    # ------------------------------------------------------------------ who handles it
    def _patrol_worker(self, site: int | None) -> WorkerRef | None:
        if site is None:
            site = bisect(self._site_weights, self.rng.random() * self._site_weights[-1])
            site = min(site, len(self.sites) - 1)
        crew = self.workers.get(self.sites[site].chain.grid, ())
        fulltime = [w for w in crew if w.kind == "fulltime"]
        return fulltime[0] if fulltime else (crew[0] if crew else None)

    def assignee(self, case: Case) -> tuple[str, WorkerRef | None, WorkerRef | None]:
        """The responsible organisation, the worker to dispatch to, and the one a returned case goes to."""
        category = self.catalogue.category(case.category_code)
        org = category.department
        crew = self.workers.get(case.areas.grid, ())
        fulltime = next((w for w in crew if w.kind == "fulltime"), None)
        staff = [w for w in crew if w.org_code == org]
        own = self.rng.choice(staff) if staff else None
        if category.code in _GRID_LEVEL and fulltime is not None:
            return org, fulltime, own
        if own is not None and category.limit_class is not LimitClass.COMPLEX:
            return org, own, None  # a return goes to the department itself
        return org, None, fulltime


# Matters the full-time grid worker settles on the spot, whoever the responsible department is.
_GRID_LEVEL = frozenset({"E0101", "E0102", "E0103", "E0201", "E0203", "E0504", "C0302", "C0503", "H0502",
                         "H0409", "H0411", "H0504", "H0507", "H0508"})  # fmt: skip
_DESK_NAMES = ("王芳", "李静", "张丽", "刘洋", "陈敏", "杨婷", "赵娜", "黄磊")


def _fits(category: Category, group: str) -> bool:
    if group == "patrol":
        return (
            category.kind is CategoryKind.COMPONENT
            or category.major in _PATROL_MAJORS
            or (category.code in _PATROL_CODES)
        )
    if group == "firm":
        return category.major in _ENTERPRISE_MAJORS or category.code in _ENTERPRISE_CODES
    return True


def _weight(category: Category, month: int, band: str) -> float:
    weight = float(_FREQUENT.get(category.code, 1.0))
    season = _SEASONS.get(category.code)
    if season is not None:
        months, inside, outside = season
        weight *= inside if month in months else outside
    bands = _BANDS.get(category.code, _OFFICE if category.major in _OFFICE_MAJORS else (1.0, 1.0, 1.0))
    return weight * bands[("day", "evening", "night").index(band)]


# -- living a case through ------------------------------------------------------------------------------

# How often each side road is taken, as a share of the cases that reach the step where it branches off.
REJECT = 0.03  # 不予立案
MERGE = 0.6  # of re-reports whose original is still open when the desk sees them
RETURN, RETURN_APPROVED = 0.03, 0.65
EXTENSION, EXTENSION_APPROVED = 0.05, 0.85
SUSPENSION, SUSPENSION_APPROVED = 0.01, 0.8
ESCALATION, SUPERVISION, COMMENT = 0.03, 0.02, 0.12
REWORK = 0.04
# Patrol reports have no caller: the desk asks the residents nearby about half the time.
CALLBACK, CALLBACK_PATROL, CALLBACK_VALID, CONTACTED, REOPEN = 0.96, 0.5, 0.88, 0.95, 1 / 3
# Satisfied / basically / unsatisfied; a late or reworked case is rated worse (overall about 82/12/6).
SATISFACTION, SATISFACTION_LATE = (0.82, 0.115, 0.065), (0.58, 0.22, 0.2)
_RESOLVED = {Satisfaction.SATISFIED: 0.96, Satisfaction.BASICALLY: 0.8, Satisfaction.UNSATISFIED: 0.3}
# Median share of its time limit a unit takes to report back; lognormal, so about 8 % run over.
_PACE = {"police": 0.3, "fire": 0.3, "chengguan": 0.36, "emergency": 0.35, "governance": 0.4,
         "water_affairs": 0.4, "health": 0.42, "market": 0.45, "environment": 0.45, "education": 0.45,
         "civil_affairs": 0.45, "transport": 0.45, "housing": 0.45, "hrss": 0.48, "planning": 0.48,
         "petitions": 0.5}  # fmt: skip
PACE_SIGMA = 0.65
HOLD_WINDOW = timedelta(days=10)  # the last cases stay open in every state, if they came in lately
SWEEP = timedelta(minutes=5)  # the deadline sweep notices an overdue case within minutes
HOLD_ORDER = (Status.SUBMITTED, Status.REGISTERED, Status.DISPATCHED, Status.ACCEPTED,
              Status.IN_PROGRESS, Status.HANDLED, Status.SUSPENDED)  # fmt: skip


class _Stop(Exception):
    """The history reached ``end``, or the open state the case is held in."""


def _minutes(rng: random.Random, median: float, sigma: float = 0.8) -> timedelta:
    return timedelta(minutes=rng.lognormvariate(math.log(median), sigma))


def _daytime(rng: random.Random, t: datetime, first: int = 8, last: int = 20) -> datetime:
    """A time outside first..last o'clock Beijing time moved to the next opening, plus up to an hour."""
    local = t + LOCAL
    if first <= local.hour < last:
        return t
    day = local.date() if local.hour < first else local.date() + timedelta(days=1)
    opening = datetime(day.year, day.month, day.day, first, tzinfo=UTC) - LOCAL
    return opening + timedelta(minutes=rng.uniform(0, 60))


class _Staff:
    """The people who act on cases, and the rules they work by."""

    def __init__(
        self,
        rng: random.Random,
        limits: Callable[[str, Urgency], TimeLimit],
        deadlines: DeadlinePolicy,
        end: datetime,
    ) -> None:
        self.rng, self.limits, self.deadlines, self.end = rng, limits, deadlines, end
        self.operators = tuple(Actor(role=Role.OPERATOR, name=name) for name in _DESK_NAMES)
        self.supervisors = tuple(Actor(role=Role.SUPERVISOR, name=texts.person_name(rng)) for _ in range(4))
        self._handlers: dict[str, tuple[Actor, ...]] = {}
        self._workers: dict[str, Actor] = {}

    def operator(self) -> Actor:
        return self.rng.choice(self.operators)

    def supervisor(self) -> Actor:
        return self.rng.choice(self.supervisors)

    def assignee(self, org: str, worker: WorkerRef | None) -> Actor:
        """The grid worker, or a handler of the organisation when no worker is named."""
        if worker is not None:
            actor = self._workers.get(worker.code)
            if actor is None:
                actor = Actor(role=Role.GRID_WORKER, name=worker.name, worker_code=worker.code,
                              org_code=worker.org_code)  # fmt: skip
                self._workers[worker.code] = actor
            return actor
        if org not in self._handlers:
            names = [texts.person_name(self.rng) for _ in range(3)]
            self._handlers[org] = tuple(Actor(role=Role.HANDLER, name=n, org_code=org) for n in names)
        return self.rng.choice(self._handlers[org])


class _Life:
    """One case lived from submission to its end (or to ``end``) through the domain's own methods."""

    def __init__(self, staff: _Staff, case: Case, hold: Status | None,
                 assignment: tuple[str, WorkerRef | None, WorkerRef | None],
                 original: Callable[[datetime], Case | None] | None) -> None:  # fmt: skip
        self.s, self.rng, self.case, self.hold, self.original = staff, staff.rng, case, hold, original
        self.org, self.worker, self.alternative = assignment
        self.actor = staff.assignee(self.org, self.worker)
        self.asides: list[tuple[datetime, str]] = []  # planned escalations, supervisions, comments
        self.clock: datetime | None = None  # when the running time limit started
        self.fast = False  # a two-hour emergency limit: everyone acts in minutes
        self.night = False  # a limit in natural hours: crews and desk work round the clock

    def run(self) -> None:
        try:
            self._done()
            self._intake()
        except _Stop:
            pass

    # ----------------------------------------------------------- the clock
    def _last(self) -> datetime:
        return self.case.new_events[-1].at

    def _done(self) -> None:
        if self.case.status is self.hold:
            raise _Stop

    def _until(self, t: datetime) -> datetime:
        """Move on to t, first firing the warnings and planned side steps that fall due by then."""
        last, end = self._last(), self.s.end
        if self.hold is not None:  # reach the held state before end, however late the case came in
            t = min(t, last + (end - last) / 3)
        t = max(t, last)
        while True:
            when, kind = self._next_aside()
            if when is None or when > t:
                break
            if when > end:
                raise _Stop
            self._aside(max(when, self._last()), kind)
        if t > end:
            raise _Stop
        return t

    def _next_aside(self) -> tuple[datetime | None, str]:
        when, kind = self.asides[0] if self.asides else (None, "")
        c = self.case
        if c.due is not None and self.clock is not None and c.status in ASSIGNED_STATUSES:
            warn = None
            if c.warning is Warning.NONE:
                warn, level = self.clock + (c.due - self.clock) * 0.8, "yellow"
            elif c.warning is Warning.YELLOW:
                warn, level = c.due + SWEEP, "red"
            if warn is not None and (when is None or warn < when):
                return warn, level
        return when, kind

    def _aside(self, at: datetime, kind: str) -> None:
        c, rng = self.case, self.rng
        if kind in ("yellow", "red"):
            c.mark_warning(at=at, level=Warning(kind))
            return
        heapq.heappop(self.asides)
        if not c.is_open:
            return
        if kind == "escalate" and c.escalation.above() is not None:
            actor = self.actor if rng.random() < 0.6 else self.s.operator()
            summon = (self.org,) if rng.random() < 0.4 else ()
            c.escalate(actor=actor, at=at, reason=texts.note(rng, "escalate"), summon=summon)
        elif kind == "supervise":
            respond = timedelta(hours=1 if self.fast else 24)
            c.supervise(actor=self.s.supervisor(), at=at, note=texts.note(rng, "supervise"),
                        respond_by=at + respond)  # fmt: skip
        elif kind == "comment" and c.is_assignee(self.actor):
            c.comment(actor=self.actor, at=at, note=texts.note(rng, "comment"))

    # ----------------------------------------------------------- the desk
    def _intake(self) -> None:
        c, rng, s = self.case, self.rng, self.s
        at = c.submitted_at + _minutes(rng, {Source.HOTLINE: 8, Source.PATROL: 20}.get(c.source, 35), 0.8)
        if c.urgency is Urgency.EMERGENCY:
            at = c.submitted_at + _minutes(rng, 4, 0.5)
        elif c.source is not Source.HOTLINE:
            at = _daytime(rng, at, 8, 22)  # the web desk is staffed 08-22, the hotline round the clock
        t = self._until(at)
        if self.hold is None:
            target = self.original(t) if self.original is not None else None
            if target is not None and rng.random() < MERGE:
                c.merge_into(actor=s.operator(), at=t, target=target, note="重复诉求，合并办理")
                return
            if self.original is None and rng.random() < REJECT:
                c.reject(actor=s.operator(), at=t, reason=texts.note(rng, "reject"))
                return
        limit = s.limits(c.category_code, c.urgency)
        c.register(actor=s.operator(), at=t, limit=limit)
        self._done()
        self.fast = limit.unit is LimitUnit.HOURS and limit.amount <= 2
        self.night = limit.unit is LimitUnit.HOURS and limit.mode is LimitMode.NATURAL
        auto = c.source is Source.PATROL or rng.random() < 0.3  # routing rules dispatch a share at once
        delay = timedelta(seconds=rng.uniform(5, 90)) if auto else _minutes(rng, 2 if self.fast else 15)
        self._dispatch(self._until(t + delay), self.worker, Actor.system() if auto else s.operator())
        self._sign()

    def _dispatch(self, t: datetime, worker: WorkerRef | None, by: Actor) -> None:
        code = worker.code if worker is not None else None
        self.case.dispatch(actor=by, at=t, org_code=self.org, assignee_code=code, deadlines=self.s.deadlines)
        self.clock = self.clock or self.case.dispatched_at
        self.actor = self.s.assignee(self.org, worker)
        self._done()

    # ----------------------------------------------------------- the assignee
    def _sign(self) -> None:
        c, rng = self.case, self.rng
        returning = self.hold is None and c.return_count == 0 and rng.random() < RETURN
        before = returning and rng.random() < 0.7
        if before and self._return():
            return self._sign()
        c.accept(actor=self.actor, at=self._until(self._accept_time()))
        self._done()
        if returning and not before and self._return():
            return self._sign()
        t = self._until(self._last() + _minutes(rng, 3 if self.fast else 20 if self.night else 40))
        c.start(actor=self.actor, at=t)
        self._done()
        self._work(t)

    def _accept_time(self) -> datetime:
        c, last = self.case, self._last()
        if self.night:
            return last + _minutes(self.rng, 6 if self.fast else 15, 0.6)
        limit = self.s.deadlines.accept_limit
        if limit.unit is LimitUnit.HOURS and c.accept_due is not None:  # signed soon after the next opening
            last = max(last, c.accept_due - timedelta(hours=limit.amount))
        return last + _minutes(self.rng, 25, 0.9)

    def _return(self) -> bool:
        """Ask to send the case back; when approved it goes out again to the alternative assignee."""
        c, rng, s = self.case, self.rng, self.s
        t = self._until(self._last() + _minutes(rng, 30))
        c.request_return(actor=self.actor, at=t, reason=texts.note(rng, "return"))
        t = self._until(t + _minutes(rng, 60))
        approve = rng.random() < RETURN_APPROVED
        c.decide(
            actor=s.supervisor(),
            at=t,
            approve=approve,
            note="同意退回" if approve else "不同意退单，请继续办理",
        )
        if not approve:
            return False
        worker, self.alternative = self.alternative, None
        self._dispatch(self._until(t + _minutes(rng, 20)), worker, s.operator())
        return True

    def _work(self, begin: datetime) -> None:
        """From the start of the work (or a reopening) to the report, then on to verification."""
        c, rng = self.case, self.rng
        assert c.due is not None and c.limit is not None and self.clock is not None
        median, sigma = _pace(self.org, c.limit)
        finish = self.clock + (c.due - self.clock) * rng.lognormvariate(math.log(median), sigma)
        finish = max(finish, begin + timedelta(minutes=10 if self.fast else 60))
        if self.hold is None:
            self._plan_asides(begin, finish)
        if self.hold is Status.SUSPENDED or (self.hold is None and rng.random() < SUSPENSION):
            finish = self._suspend(begin, finish)
        if self.hold is None and not self.fast and rng.random() < EXTENSION:
            finish = self._extend(finish)
        if not self.night and c.urgency is Urgency.NORMAL:
            finish = _daytime(rng, finish)
        t = self._until(finish)
        c.report(actor=self.actor, at=t, note=texts.report_note(rng, self.org))
        self._done()
        self._verify(t)

    def _plan_asides(self, begin: datetime, finish: datetime) -> None:
        c, rng, span = self.case, self.rng, finish - begin
        assert c.due is not None and self.clock is not None
        if rng.random() < COMMENT:
            heapq.heappush(self.asides, (begin + span * rng.uniform(0.05, 0.3), "comment"))
        if rng.random() < ESCALATION:
            at = begin + span * rng.uniform(0.1, 0.6)
            heapq.heappush(self.asides, (at, "escalate"))
            if rng.random() < 0.3:  # the community cannot solve it either: on to the street
                heapq.heappush(self.asides, (at + _minutes(rng, 600), "escalate"))
        if rng.random() < SUPERVISION:
            urge = (
                c.due - (c.due - self.clock) * 0.1 if finish > c.due else begin + span * rng.uniform(0.3, 0.9)
            )
            heapq.heappush(self.asides, (max(urge, begin), "supervise"))

    def _suspend(self, begin: datetime, finish: datetime) -> datetime:
        c, rng, s = self.case, self.rng, self.s
        t = self._until(begin + (finish - begin) * rng.uniform(0.1, 0.5))
        c.request_suspension(actor=self.actor, at=t, reason=texts.note(rng, "suspension"))
        t = self._until(t + _minutes(rng, 240))
        approve = self.hold is Status.SUSPENDED or rng.random() < SUSPENSION_APPROVED
        c.decide(actor=s.supervisor(), at=t, approve=approve, note="同意挂账" if approve else "不同意挂账")
        if not approve:
            return finish
        self._done()
        resumed = self._until(t + timedelta(days=rng.lognormvariate(math.log(8), 0.6)))
        c.resume(actor=self.actor, at=resumed, deadlines=s.deadlines, note="恢复办理")
        return max(finish, t) + (resumed - t)

    def _extend(self, finish: datetime) -> datetime:
        c, rng, s = self.case, self.rng, self.s
        assert c.due is not None and c.limit is not None and self.clock is not None
        last = self._last()
        t = self._until(last + max(c.due - last, timedelta(hours=1)) * rng.uniform(0.4, 0.85))
        if c.limit.unit is LimitUnit.DAYS:
            extra = TimeLimit(rng.choice((3, 5, 7, 10)), LimitUnit.DAYS, c.limit.mode)
            new_due = s.deadlines.due(c.due, extra).due
        else:
            new_due = c.due + timedelta(hours=rng.choice((12, 24, 48)))
        c.request_extension(actor=self.actor, at=t, new_due=new_due, reason=texts.note(rng, "extension"))
        t = self._until(t + _minutes(rng, 180))
        approve = rng.random() < EXTENSION_APPROVED
        c.decide(actor=s.supervisor(), at=t, approve=approve, note="同意延期" if approve else "不同意延期")
        if approve:
            return t + (new_due - t) * (
                rng.uniform(1.0, 1.3) if rng.random() < 0.05 else rng.uniform(0.3, 0.95)
            )
        return max(finish, c.due + (c.due - self.clock) * rng.uniform(-0.15, 0.25))

    # ----------------------------------------------------------- closing
    def _verify(self, reported: datetime) -> None:
        c, rng, s = self.case, self.rng, self.s
        at = reported + _minutes(rng, 20 if self.fast else 60 if self.night else 150, 0.9)
        t = self._until(at if self.night else _daytime(rng, at, 8, 21))
        if rng.random() < (REWORK if c.rework_count == 0 else 0.1):
            c.verify(actor=s.operator(), at=t, ok=False, note=texts.note(rng, "rework"))
            assert c.due is not None and self.clock is not None
            finish = t + max(
                timedelta(hours=1), (c.due - self.clock) * rng.lognormvariate(math.log(0.15), 0.6)
            )
            t = self._until(finish if self.night else _daytime(rng, finish))
            c.report(actor=self.actor, at=t, note=texts.report_note(rng, self.org))
            return self._verify(t)
        c.verify(actor=s.operator(), at=t, ok=True, note="经核实已办结")
        self._callback(t)

    def _callback(self, closed: datetime) -> None:
        c, rng, s = self.case, self.rng, self.s
        if rng.random() >= (CALLBACK_PATROL if c.source is Source.PATROL else CALLBACK):
            return
        t = self._until(_daytime(rng, closed + _minutes(rng, 1200, 0.6), 9, 20))
        if rng.random() >= CALLBACK_VALID:
            callback = Callback(valid=False, comment=texts.note(rng, "invalid_callback"))
        else:
            late = (
                c.rework_count > 0
                or c.reopen_count > 0
                or (c.due is not None and c.handled_at is not None and c.handled_at > c.due)
            )
            rating = rng.choices(tuple(Satisfaction), weights=SATISFACTION_LATE if late else SATISFACTION)[0]
            callback = Callback(valid=True, contacted=rng.random() < CONTACTED,
                                resolved=rng.random() < _RESOLVED[rating], satisfaction=rating,
                                comment=texts.note(rng, rating.value))  # fmt: skip
        c.record_callback(actor=s.operator(), at=t, callback=callback)
        if (
            callback.satisfaction is Satisfaction.UNSATISFIED
            and c.reopen_count == 0
            and rng.random() < REOPEN
        ):
            t = self._until(t + _minutes(rng, 180, 0.7))
            c.reopen(actor=s.operator(), at=t, deadlines=s.deadlines, reason=texts.note(rng, "reopen"))
            self.clock = t
            self._work(t)


def _pace(org: str, limit: TimeLimit) -> tuple[float, float]:
    """Median share of the limit used, and the spread, for a unit and a limit."""
    if limit.unit is LimitUnit.HOURS and limit.amount <= 2:
        return 0.35, 0.45  # emergencies are run to ground at once
    if limit.unit is LimitUnit.HOURS:
        return 0.85 * _PACE.get(org, 0.38), PACE_SIGMA  # the day's verification must fit in too
    return _PACE.get(org, 0.38), PACE_SIGMA
