"""Grid map use cases: check, import (all or nothing) and export."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import datetime

from civicgrid.adapters.db.unit_of_work import UnitOfWork
from civicgrid.domain.errors import N_
from civicgrid.domain.geography import AreaSpec, Level, MapProblem, MapRejected, check_map
from civicgrid.domain.geojson import parse_feature_collection, to_feature_collection
from civicgrid.domain.roles import Actor


def check_map_data(data: object) -> tuple[list[AreaSpec], list[MapProblem]]:
    """Parse and check a GeoJSON map without touching any database."""
    areas, problems = parse_feature_collection(data)
    problems += check_map(areas)
    return areas, problems


def import_map(*, uow: Callable[[], UnitOfWork], data: object, actor: Actor, now: datetime) -> dict[str, int]:
    """Replace the stored grid map with ``data``, or refuse it whole and leave the database as it was."""
    areas, problems = check_map_data(data)
    if problems:
        raise MapRejected(problems)
    return import_areas(uow=uow, areas=areas, actor=actor, now=now)


def import_areas(
    *, uow: Callable[[], UnitOfWork], areas: list[AreaSpec], actor: Actor, now: datetime
) -> dict[str, int]:
    """Store already-checked areas in one transaction; micro-grids that cases point at must stay."""
    with uow() as u:
        kept = {a.code for a in areas if a.level is Level.MICROGRID}
        lost = sorted(u.areas.codes_in_use() - kept)
        if lost:
            shown = ", ".join(lost[:20]) + (" ..." if len(lost) > 20 else "")
            raise MapRejected(
                [
                    MapProblem.of(
                        "in_use",
                        lost,
                        N_("Micro-grids that cases are filed under are missing from the new map: {areas}."),
                        areas=shown,
                    )
                ]
            )
        u.areas.replace_all(areas)
        counts = dict(Counter(a.level.value for a in areas))
        u.accounts.audit(actor=actor, action="map.import", detail=counts, now=now)
        u.commit()
    return counts


def list_areas(
    *, uow: Callable[[], UnitOfWork], parent_code: str | None, level: Level | None
) -> list[dict[str, str | None]]:
    """Areas without boundaries: the children of ``parent_code``, or one level (the streets by default)."""
    if parent_code is None and level is None:
        level = Level.STREET
    with uow() as u:
        return u.areas.listing(parent_code=parent_code, level=level)


def export_map(*, uow: Callable[[], UnitOfWork], level: Level | None = None) -> dict[str, object]:
    """The stored map (or one level of it) as a GeoJSON FeatureCollection."""
    with uow() as u:
        return to_feature_collection(u.areas.all(level))
