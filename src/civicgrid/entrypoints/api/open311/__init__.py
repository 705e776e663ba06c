"""Open311 GeoReport v2 at /open311/v2: services from the catalogue, requests as cases (source open311).

``router`` is included by the application; ``render_error`` is the Open311 error hook of ``errors.install``.
"""

from __future__ import annotations

from civicgrid.entrypoints.api.open311.render import render_error
from civicgrid.entrypoints.api.open311.routes import router

__all__ = ["render_error", "router"]
