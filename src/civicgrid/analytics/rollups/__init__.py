"""The figures' rollups: additive counts and duration histograms kept in step with every case change.

Public API (stable; other modules and ``bench/`` build on it):

- ``rebuild(conn, *, progress=None, zone=None) -> int`` recomputes every rollup from the raw cases and
  replaces the stored ones (run it in one transaction, e.g. ``with engine.begin() as conn``); returns the
  number of cases counted. ``progress(done, total)`` is called after each local day of cases. A bulk load
  that writes ``cases`` without the case repository calls it afterwards.
- ``check(conn, *, progress=None, zone=None, limit=100) -> CheckReport`` recomputes them into temporary
  tables and reports every stored row that differs (``report.ok``, ``report.differences``).
- ``civicgrid.analytics.figures.figures(conn, *, start, end, group, now, scope=None, previous=True)``
  answers the figures from the rollups for any period and grouping (``street``, ``community``, ``grid``,
  ``microgrid``, ``org``, ``worker``, ``category``, ``urgency``, ``source`` or None for the total), each
  group with its ``previous`` period of equal length and the ``delta``;
  ``figures_from_cases(...)`` is the raw-case reference with the same arguments (no ``previous``).
- ``overdue_cases(conn, *, now, area_code=None, limit=200)`` lists the running cases past their deadline in
  an area of any level (or the whole district), most overdue first, through the index on
  (street, status, due).

How they are kept: the case repository computes each case's contribution from its row
(``civicgrid.adapters.db.rollup_model.contribution``: local submission day, key, counts, duration slots)
when it loads, adds or saves the case, and the unit of work applies old-out/new-in as upserts just before
its commit, in the same transaction. Rows live in ``case_rollups`` and ``case_rollup_hours``, one per cube
(``rollup_model.CUBES``: community, area, org, kind, full), grain (local day; local month for all but
``full``; local year for ``area``, whose thousands of micro-grids long periods read) and key. The day is
the local day in CIVICGRID_TIMEZONE; change that setting on an existing database only with a rebuild.
"""

from civicgrid.analytics.rollups.overdue import overdue_cases
from civicgrid.analytics.rollups.rebuild import CheckReport, check, rebuild

__all__ = ["CheckReport", "check", "overdue_cases", "rebuild"]
