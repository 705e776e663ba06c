"""Liveness and readiness, for load balancers and orchestrators."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from fastapi import APIRouter
from fastapi.responses import JSONResponse

from civicgrid import __version__
from civicgrid.adapters.db import schema
from civicgrid.adapters.db.tables import areas
from civicgrid.entrypoints.api.deps import AppDep

router = APIRouter(tags=["health"])


@router.get("/healthz")
def healthz() -> dict[str, str]:
    """The process is up."""
    return {"status": "ok", "version": __version__}


@router.get("/readyz")
def readyz(app: AppDep) -> Any:
    """Ready to serve: the database answers, its schema is current and a grid map is loaded."""
    checks: dict[str, bool] = {"database": False, "schema": False, "map": False}
    try:
        with app.engine.connect() as conn:
            checks["database"] = conn.execute(sa.select(1)).scalar() == 1
            checks["map"] = conn.execute(sa.select(sa.func.count()).select_from(areas)).scalar_one() > 0
        checks["schema"] = schema.current_revision(app.engine) == schema.head_revision()
    except sa.exc.SQLAlchemyError:
        pass
    ready = all(checks.values())
    return JSONResponse(
        {"status": "ready" if ready else "not ready", "checks": checks}, status_code=200 if ready else 503
    )
