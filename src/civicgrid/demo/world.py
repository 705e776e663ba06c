"""The district as the simulator sees it: where reports come from, what they are about, who works."""

from __future__ import annotations

import math
import random
from bisect import bisect
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import accumulate
from typing import TYPE_CHECKING

import shapely

from civicgrid.demo import texts
from civicgrid.demo.mix import PERSONAL, SOURCE_WEIGHTS, SOURCES, category_fits, category_weight
from civicgrid.demo.staff import DESK_NAMES
from civicgrid.demo.timing import LOCAL, day_band
from civicgrid.domain.case_types import Location, Reporter, Source
from civicgrid.domain.cases import Case
from civicgrid.domain.catalogue import Catalogue, Category, LimitClass, Urgency
from civicgrid.domain.roles import Actor, Role

if TYPE_CHECKING:  # the public types live in workload, which imports this module
    from civicgrid.demo.workload import MicrogridSite, WorkerRef

ANONYMOUS = 0.15
URGENCY_UP = 0.04  # a normal report made urgent (and a few urgent ones an emergency)
DUPLICATE_RADIUS_M = 180.0


@dataclass(frozen=True)
class Origin:
    """A case others nearby may report again: its position in the stream, micro-grid and place."""

    index: int
    case: Case
    site: int
    place: texts.Place


class World:
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
    def report(self, at: datetime, origin: Origin | None) -> tuple[Case, int, texts.Place]:
        """A new case as submitted: source, category, place, reporter and description."""
        rng, local = self.rng, at + LOCAL
        band = day_band(local.hour)
        source = rng.choices(SOURCES, weights=SOURCE_WEIGHTS[band])[0]
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
        urgent, personal = urgency is not Urgency.NORMAL, category.code in PERSONAL
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
            cats = [c for c in self.catalogue.categories if category_fits(c, group)]
            self._mix[key] = (cats, list(accumulate(category_weight(c, month, band) for c in cats)))
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
            return reporter, Actor(role=Role.OPERATOR, name=rng.choice(DESK_NAMES))
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

    def _near(self, origin: Origin) -> tuple[float, float]:
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
