"""``civicgrid calendar``: the working calendar (holidays and adjusted workdays, 调休)."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from civicgrid.adapters.calendar import parse_schedule
from civicgrid.entrypoints.cli.common import DbOption, JsonOption, console, friendly, open_app, print_json, t
from civicgrid.services.accounts import command_line_actor
from civicgrid.services.calendar import load_official_schedule

calendar_app = typer.Typer(help="Working calendar: official holiday schedules.", no_args_is_help=True)


@calendar_app.command("load")
@friendly
def load(
    file: Annotated[Path, typer.Argument(help='JSON: {"year": 2027, "holidays": [...], "workdays": [...]}')],
    db: DbOption = None,
) -> None:
    """Load a year's official holiday schedule and recount the provisional deadlines it affects."""
    schedule = parse_schedule(file.read_text(encoding="utf-8"))
    with open_app(db) as app:
        moved = load_official_schedule(
            actor=command_line_actor(),
            uow=app.uow,
            deadlines=app.deadlines,
            schedule=schedule,
            now=app.clock(),
        )
    console.print(
        t("Loaded the {year} schedule; {count} deadlines recounted.", year=schedule.year, count=moved)
    )


@calendar_app.command("show")
@friendly
def show(
    year: Annotated[int, typer.Argument(help="The year to show.", min=1950, max=2200)],
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """List a year's days off on weekdays and weekend workdays, and whether the year is provisional."""
    with open_app(db) as app:
        cal = app.deadlines.calendar
        day, end = date(year, 1, 1), date(year + 1, 1, 1)
        off, worked = [], []
        while day < end:
            workday = cal.is_workday(day)
            if day.weekday() < 5 and not workday:
                off.append(day.isoformat())
            elif day.weekday() >= 5 and workday:
                worked.append(day.isoformat())
            day += timedelta(days=1)
        provisional = cal.is_provisional(date(year, 6, 1))
    data = {"year": year, "provisional": provisional, "weekday_holidays": off, "weekend_workdays": worked}
    if as_json:
        print_json(data)
        return
    table = Table(title=f"{year}" + (f" ({t('provisional')})" if provisional else ""))
    table.add_column(t("Weekday days off"))
    table.add_column(t("Weekend workdays (调休)"))
    for i in range(max(len(off), len(worked))):
        table.add_row(off[i] if i < len(off) else "", worked[i] if i < len(worked) else "")
    console.print(table)
