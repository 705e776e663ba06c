"""``civicgrid simulate``: add simulated case history to a district's database, all of it or nothing."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime
from typing import Annotated
from zoneinfo import ZoneInfo

import typer

from civicgrid.demo.history import PIECE
from civicgrid.entrypoints.cli.common import (
    CountBar,
    DbOption,
    JsonOption,
    console,
    fail,
    friendly,
    open_app,
    print_json,
    t,
)
from civicgrid.services.simulation import SimulationSpec, simulate_history


@friendly
def simulate(
    cases: Annotated[int, typer.Option("--cases", help="How many cases to add.", min=1)],
    days: Annotated[
        int, typer.Option(help="Spread over this many days before --end.", min=1, max=3660)
    ] = 365,
    seed: Annotated[
        int, typer.Option(help="Seed: the same seed, cases, days and end give the same history.")
    ] = 1,
    end: Annotated[
        str | None, typer.Option(help="When the history ends (ISO date-time; default: now).")
    ] = None,
    workers: Annotated[
        int | None, typer.Option(help="Processes generating cases (default: up to 2, one per core).", min=1)
    ] = None,
    db: DbOption = None,
    as_json: JsonOption = False,
    piece: Annotated[int, typer.Option(hidden=True, min=1, help="Cases per independent piece.")] = PIECE,
) -> None:
    """Add N cases of realistic history (the real lifecycle rules) in one transaction: all, or none."""
    with open_app(db) as app:
        moment = _end(end, ZoneInfo(app.settings.timezone)) if end is not None else app.clock()
        spec = SimulationSpec(cases=cases, days=days, seed=seed, end=moment, piece=piece)
        bar = CountBar(t("Simulated cases"), enabled=not as_json)
        try:
            result = simulate_history(app=app, spec=spec, workers=workers, progress=bar)
        finally:
            bar.stop()
    if as_json:
        print_json(asdict(result))
        return
    console.print(
        t(
            "Stored {cases} simulated cases (ids {first_id}-{last_id}) with {events} history events "
            "in {seconds} s.",
            **asdict(result),
        )
    )


def _end(text: str, zone: ZoneInfo) -> datetime:
    """An ISO date-time; without an offset it is the district's local time."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        fail(t("Not a date-time: {value} (use ISO 8601, e.g. 2026-11-28T10:00+08:00).", value=text), 2)
    return (moment if moment.tzinfo is not None else moment.replace(tzinfo=zone)).astimezone(UTC)
