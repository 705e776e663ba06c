"""/api/v1/areas and /api/v1/locate: the grid map."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response

from civicgrid.analytics.area_search import search_areas
from civicgrid.domain.geography import Level
from civicgrid.entrypoints.api.deps import AppDep
from civicgrid.services import grids

router = APIRouter(prefix="/api/v1", tags=["areas"])


@router.get("/areas")
def list_areas(
    app: AppDep,
    parent: Annotated[
        str | None, Query(max_length=32, description="Children of this area; the streets if absent.")
    ] = None,
    level: Level | None = None,
) -> list[dict[str, Any]]:
    """Areas of the tree, one level at a time (code, name, level, parent_code), without boundaries."""
    return grids.list_areas(uow=app.reader, parent_code=parent, level=level)


@router.get(
    "/areas/geojson",
    response_model=dict[str, Any],
    responses={304: {"description": "The map has not changed since the ETag sent in If-None-Match."}},
)
def areas_geojson(
    app: AppDep,
    request: Request,
    level: Level = Level.STREET,
    bbox: Annotated[
        str | None,
        Query(
            max_length=100,
            description="Only the areas touching this box: min_lon,min_lat,max_lon,max_lat (WGS84).",
            examples=["116.55,35.38,116.6,35.42"],
        ),
    ] = None,
) -> Response:
    """One level of the map as a GeoJSON FeatureCollection (WGS84), optionally only inside a box."""
    if bbox is not None:
        return JSONResponse(grids.export_map(uow=app.reader, level=level, bbox=grids.parse_bbox(bbox)))
    version, data = grids.level_geojson(uow=app.reader, level=level)
    etag = f'"map-{version}-{level.value}"'
    headers = {"etag": etag, "cache-control": "private, no-cache"}  # revalidate: an import may change it
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers=headers)
    return Response(data, media_type="application/json", headers=headers)


@router.get("/areas/search")
def find_areas(
    app: AppDep,
    q: Annotated[
        str, Query(min_length=1, max_length=50, description="A code (or its start) or part of a name.")
    ],
    level: Level = Level.MICROGRID,
    limit: Annotated[int, Query(ge=1, le=20)] = 10,
) -> list[dict[str, Any]]:
    """Areas of one level (micro-grids by default) by code or name, with their parents and a point inside."""
    with app.engine.connect() as conn:
        hits = search_areas(conn, text=q, level=level, limit=limit)
    return [
        {
            "code": h.code,
            "name": h.name,
            "level": h.level,
            "parents": list(h.parents),
            "label": h.label,
            "lon": h.lon,
            "lat": h.lat,
        }
        for h in hits
    ]


@router.get("/locate")
def locate(
    app: AppDep,
    lon: Annotated[float, Query(ge=-180, le=180)],
    lat: Annotated[float, Query(ge=-90, le=90)],
) -> dict[str, dict[str, str]]:
    """The micro-grid of a point and each of its ancestors (422 outside the district)."""
    with app.reader() as u:
        found = app.locator.locate(u.areas, lon, lat)
    return {
        level: {"code": ref.code, "name": ref.name}
        for level, ref in (
            ("microgrid", found.microgrid),
            ("grid", found.grid),
            ("community", found.community),
            ("street", found.street),
        )
    }
