"""``civicgrid serve``: the web server (pages, JSON API, Open311) on uvicorn."""

from __future__ import annotations

import os
from typing import Annotated

import typer

from civicgrid.entrypoints.cli.common import DbOption, console, friendly, open_app, t


def run_server(*, db: str | None, host: str, port: int, workers: int) -> None:
    """Check the database, then serve; each worker process builds its own app from the environment."""
    with open_app(db):
        pass  # refuses a missing database or an old schema with one clear line before any worker starts
    if db:
        os.environ["CIVICGRID_DATABASE_URL"] = db
    import uvicorn

    console.print(t("civicgrid is serving on http://{host}:{port}/", host=host, port=port))
    uvicorn.run(
        "civicgrid.entrypoints.api.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="warning",
        proxy_headers=True,
    )


@friendly
def serve(
    db: DbOption = None,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.", min=1, max=65535)] = 8000,
    workers: Annotated[int, typer.Option(help="Worker processes.", min=1, max=64)] = 1,
) -> None:
    """Serve the pages, the JSON API (/api/v1) and Open311 (/open311/v2)."""
    run_server(db=db, host=host, port=port, workers=workers)
