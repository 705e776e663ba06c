"""The pages people use: server-rendered, on the same services as the JSON API and the CLI.

``install`` adds every page router, the static files (ours, Leaflet from the ``xstatic-leaflet`` package,
and the npm-built vendor folder) and the HTML error pages to the FastAPI application.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import xstatic.pkg.leaflet as leaflet
from fastapi import FastAPI
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles

from civicgrid.entrypoints.web.routes import (
    admin,
    cases,
    command,
    dept,
    desk,
    exports,
    field,
    report,
    session,
    supervisor,
    track,
)

PAGE_ROUTERS = [
    session.router,
    report.router,
    track.router,
    desk.router,
    field.router,
    dept.router,
    supervisor.router,
    cases.router,
    command.router,
    *admin.ROUTERS,
    exports.router,
]

STATIC = Path(str(resources.files("civicgrid.entrypoints.web") / "static"))
VENDOR = STATIC / "vendor"  # filled by `make assets` (npm), never committed


class OptionalStaticFiles(StaticFiles):
    """Static files from a folder that may not exist yet (the npm build's): its files are then 404s.

    Starlette's own refuses the first request with an error (a 500) when the folder is missing.
    """

    async def check_config(self) -> None:
        if self.directory is not None and not Path(self.directory).is_dir():
            return
        await super().check_config()


def install(api: FastAPI) -> None:
    """Mount the pages and their static files on ``api``."""
    for router in PAGE_ROUTERS:
        api.include_router(router)
    api.mount("/static/leaflet", StaticFiles(directory=leaflet.BASE_DIR), name="leaflet")
    # A server whose assets were not built still starts and answers 404 for them (the pages say so).
    api.mount("/static/vendor", OptionalStaticFiles(directory=str(VENDOR), check_dir=False), name="vendor")
    api.mount("/static/web", StaticFiles(directory=str(STATIC)), name="web-static")
    # Pages name their icon; what asks /favicon.ico by habit (the API reference, bookmarks) gets it too.
    api.add_api_route(
        "/favicon.ico",
        lambda: RedirectResponse("/static/web/icon.svg", status_code=301),
        methods=["GET"],
        include_in_schema=False,
    )
