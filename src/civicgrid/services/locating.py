"""Locating a point to its micro-grid and every ancestor, with an index rebuilt when the map changes."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from civicgrid.adapters.db.area_repository import AreaRepository
from civicgrid.adapters.spatial import SpatialIndex
from civicgrid.domain.case_types import AreaChain
from civicgrid.domain.errors import N_, DomainError
from civicgrid.domain.geography import AreaSpec, Level


class OutsideDistrict(DomainError):
    code = "outside_district"
    exit_code = 2  # the CLI contract: a point outside the district exits with status 2
    message = N_("The point ({lon}, {lat}) is outside the district.")


class NoMap(DomainError):
    code = "no_map"
    message = N_("No grid map has been imported yet; import one with 'civicgrid grids import FILE'.")


@dataclass(frozen=True)
class AreaRef:
    """An area's code and name."""

    code: str
    name: str


@dataclass(frozen=True)
class Located:
    """A point's micro-grid and its ancestors."""

    microgrid: AreaRef
    grid: AreaRef
    community: AreaRef
    street: AreaRef

    @property
    def chain(self) -> AreaChain:
        """The codes only, as a case stores them."""
        return AreaChain(self.microgrid.code, self.grid.code, self.community.code, self.street.code)


class AddressNotFound(DomainError):
    code = "address_not_found"
    message = N_('No area of the district is named in the address "{address}"; give a map point instead.')


class _Snapshot:
    """A spatial index over one version of the map, with each micro-grid's ancestry resolved once."""

    def __init__(self, version: int, areas: Sequence[AreaSpec]) -> None:
        self.version = version
        by_code = {a.code: a for a in areas}
        # The gazetteer for addresses without coordinates: the most specific, longest area name wins.
        named = [a for a in areas if a.level is not Level.DISTRICT and len(a.name) >= 2]
        self.gazetteer = sorted(named, key=lambda a: (-a.level.depth, -len(a.name)))
        micro = [a for a in areas if a.level is Level.MICROGRID]
        self.index = SpatialIndex.build([a.geometry for a in micro])
        self.located: list[Located] = []
        for m in micro:
            chain = [m]
            while chain[-1].parent_code and chain[-1].parent_code in by_code:
                chain.append(by_code[chain[-1].parent_code])
            by_level = {a.level: AreaRef(a.code, a.name) for a in chain}
            self.located.append(
                Located(
                    microgrid=by_level[Level.MICROGRID],
                    grid=by_level[Level.GRID],
                    community=by_level[Level.COMMUNITY],
                    street=by_level[Level.STREET],
                )
            )


class Locator:
    """Thread-safe, shared by every request of a process; checks the map version before use."""

    def __init__(self, recheck_seconds: float = 1.0) -> None:
        self._snapshot: _Snapshot | None = None
        self._lock = threading.Lock()
        self._recheck = recheck_seconds
        self._checked = -math.inf

    def refresh(self, areas: AreaRepository) -> _Snapshot:
        """Rebuild the index if the stored map changed since it was built.

        The version is read at most once per ``recheck_seconds``: an import is seen by every process within
        a second, and a busy intake does not pay a query per report for it.
        """
        snap = self._snapshot
        now = time.monotonic()
        if snap is not None and now - self._checked < self._recheck:
            return snap
        version = areas.map_version()
        self._checked = now
        if snap is not None and snap.version == version:
            return snap
        with self._lock:
            snap = self._snapshot
            if snap is None or snap.version != version:
                stored = areas.all()
                if not any(a.level is Level.MICROGRID for a in stored):
                    raise NoMap()
                snap = _Snapshot(version, stored)
                self._snapshot = snap
        return snap

    def locate(self, areas: AreaRepository, lon: float, lat: float) -> Located:
        """The micro-grid containing the point and its ancestors; outside the district is an error."""
        snap = self.refresh(areas)
        i = snap.index.locate(lon, lat)
        if i < 0:
            raise OutsideDistrict(lon=lon, lat=lat)
        return snap.located[i]

    def locate_address(self, areas: AreaRepository, address: str) -> tuple[Located, float, float]:
        """An address without coordinates: the most specific area named in it, at a point inside that area."""
        snap = self.refresh(areas)
        text = address.strip()
        for area in snap.gazetteer:
            if area.name in text:
                point = area.geometry.representative_point()
                i = snap.index.locate(point.x, point.y)
                if i >= 0:
                    return snap.located[i], point.x, point.y
        raise AddressNotFound(address=address[:80])

    def locate_many(
        self, areas: AreaRepository, lons: Sequence[float], lats: Sequence[float]
    ) -> list[Located | None]:
        """Many points at once; None for a point outside the district."""
        snap = self.refresh(areas)
        idx = snap.index.locate_many(np.asarray(lons, dtype=float), np.asarray(lats, dtype=float))
        return [snap.located[i] if i >= 0 else None for i in idx.tolist()]
