"""The ``civicgrid`` command."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from civicgrid import __version__
from civicgrid.analytics.stats import database_stats
from civicgrid.domain.geography import LEVEL_LABELS, Level
from civicgrid.entrypoints.cli.accounts import apikey_app, user_app
from civicgrid.entrypoints.cli.backup import backup, restore
from civicgrid.entrypoints.cli.calendar import calendar_app
from civicgrid.entrypoints.cli.common import DbOption, JsonOption, console, friendly, open_app, print_json, t
from civicgrid.entrypoints.cli.demo import demo
from civicgrid.entrypoints.cli.dispatch import dispatch_app
from civicgrid.entrypoints.cli.figures import figures_app
from civicgrid.entrypoints.cli.grids import grids_app
from civicgrid.entrypoints.cli.serve import serve
from civicgrid.entrypoints.cli.sweep import sweep

app = typer.Typer(
    name="civicgrid",
    help="civicgrid: grid-based governance and citizen-request handling (网格化服务管理, 接诉即办).",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.add_typer(grids_app, name="grids")
app.add_typer(calendar_app, name="calendar")
app.command("demo")(demo)
app.command("serve")(serve)
app.command("backup")(backup)
app.command("restore")(restore)
app.command("sweep")(sweep)
app.add_typer(apikey_app, name="apikey")
app.add_typer(user_app, name="user")
app.add_typer(dispatch_app, name="dispatch")
app.add_typer(figures_app, name="figures")


@app.callback(invoke_without_command=True)
def _root(
    version: Annotated[bool, typer.Option("--version", help="Print the version and exit.")] = False,
) -> None:
    if version:
        console.print(f"civicgrid {__version__}")
        raise typer.Exit()


@app.command("init")
@friendly
def init(db: DbOption = None) -> None:
    """Create the database schema, or upgrade it to this version, and load the reference catalogue."""
    from civicgrid.services.reference import seed_reference_data

    with open_app(db, create=True) as application:
        counts = seed_reference_data(uow=application.uow)
    console.print(t("Database ready: {organisations} organisations, {categories} categories.", **counts))


@app.command("locate")
@friendly
def locate(
    lon: Annotated[float, typer.Argument(help="Longitude (WGS84).")],
    lat: Annotated[float, typer.Argument(help="Latitude (WGS84).")],
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Find the micro-grid (and grid, community, street) of a point."""
    with open_app(db) as application, application.uow() as u:
        found = application.locator.locate(u.areas, lon, lat)
    rows = {
        "microgrid": found.microgrid,
        "grid": found.grid,
        "community": found.community,
        "street": found.street,
    }
    if as_json:
        print_json({level: {"code": ref.code, "name": ref.name} for level, ref in rows.items()})
        return
    table = Table(show_header=False)
    labels = {
        "street": t("Street"),
        "community": t("Community"),
        "grid": t("Grid"),
        "microgrid": t("Micro-grid"),
    }
    for level in ("street", "community", "grid", "microgrid"):
        table.add_row(labels[level], rows[level].code, rows[level].name)
    console.print(table)


@app.command("stats")
@friendly
def stats(db: DbOption = None, as_json: JsonOption = False) -> None:
    """What the database holds: areas per level, organisations, workers and cases per status."""
    with open_app(db) as application, application.engine.connect() as conn:
        data = database_stats(conn)
    if as_json:
        print_json(data)
        return
    table = Table(show_header=False)
    for level, n in data["areas"].items():
        table.add_row(t("Areas") + f" · {t(LEVEL_LABELS[Level(level)])}", str(n))
    table.add_row(t("Organisations"), str(data["departments"]))
    table.add_row(t("Grid workers"), str(data["workers"]["total"]))
    table.add_row(t("Cases"), str(data["cases"]["total"]))
    for status, n in data["cases"]["by_status"].items():
        table.add_row(t("Cases") + f" · {t(status)}", str(n))
    console.print(table)


def main() -> None:
    """Console-script entry point."""
    app()
