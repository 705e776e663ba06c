"""The administrator's pages (/admin): map, organisations, workers, categories, routing rules, accounts, API
keys, audit log.

One module a noun, each with its own router; ``ROUTERS`` is the order the pages install them in (within a
module a fixed path such as /admin/workers/new comes before /admin/workers/{code}).
"""

from __future__ import annotations

from civicgrid.entrypoints.web.routes.admin import (
    audit,
    categories,
    grid_map,
    keys,
    organisations,
    overview,
    routing,
    users,
    workers,
)

ROUTERS = [
    part.router
    for part in (overview, grid_map, organisations, workers, categories, routing, users, keys, audit)
]
