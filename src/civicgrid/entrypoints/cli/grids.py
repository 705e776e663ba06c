"""``civicgrid grids``: check, import and export the grid map."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from civicgrid.config import Settings
from civicgrid.domain.geography import Level, MapProblem, MapRejected
from civicgrid.entrypoints.cli.common import DbOption, console, fail, friendly, open_app, print_json, t
from civicgrid.i18n import translate
from civicgrid.services import grids as grid_services
from civicgrid.services.accounts import command_line_actor

grids_app = typer.Typer(help="Grid map: check, import and export (GeoJSON).", no_args_is_help=True)

LevelOption = Annotated[
    str | None, typer.Option("--level", help="Only this level: street, community, grid or microgrid.")
]


def read_json_file(path: Path) -> object:
    """The parsed JSON of a file, or one clear line and exit 1; a file over the size limit is not read."""
    # Parsed GeoJSON takes several times its size in memory: the limit bounds memory and time up front.
    limit = Settings().max_map_bytes
    too_large = t(
        "{path} is larger than {limit} MB (CIVICGRID_MAX_MAP_BYTES).",
        path=str(path),
        limit=f"{limit / 1048576:g}",
    )
    if path.is_file() and path.stat().st_size > limit:
        fail(too_large)
    with path.open("rb") as f:
        raw = f.read(limit + 1)  # a pipe or device has no size to look at first
    if len(raw) > limit:
        fail(too_large)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        fail(t("{path} is not UTF-8 text.", path=str(path)))
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        fail(
            t(
                "{path} is not valid JSON (line {line}, column {column}).",
                path=str(path),
                line=exc.lineno,
                column=exc.colno,
            )
        )
    except RecursionError:
        fail(t("{path} is nested too deeply.", path=str(path)))


def show_problems(problems: list[MapProblem] | tuple[MapProblem, ...]) -> None:
    """The import report: one row per broken rule, naming the areas."""
    from civicgrid.entrypoints.cli.common import locale

    table = Table(title=t("{count} problems found", count=len(problems)), show_lines=False)
    table.add_column(t("Problem"))
    table.add_column(t("Areas"))
    table.add_column(t("Detail"))
    for p in problems:
        detail = translate(p.template, locale(), **dict(p.params)) if p.template else p.detail
        codes = ", ".join(p.codes[:8]) + (" ..." if len(p.codes) > 8 else "")
        table.add_row(p.kind, codes, detail)
    console.print(table)


@grids_app.command("check")
@friendly
def check(file: Annotated[Path, typer.Argument(help="GeoJSON FeatureCollection of the map.")]) -> None:
    """Check a grid map file against every rule without importing it."""
    areas, problems = grid_services.check_map_data(read_json_file(file))
    if problems:
        show_problems(problems)
        fail(t("The map was refused: {count} problems found.", count=len(problems)))
    console.print(t("The map is valid: {count} areas.", count=len(areas)))


@grids_app.command("import")
@friendly
def import_(
    file: Annotated[Path, typer.Argument(help="GeoJSON FeatureCollection of the map.")], db: DbOption = None
) -> None:
    """Replace the stored grid map with FILE; a bad file is refused whole and nothing changes."""
    data = read_json_file(file)
    with open_app(db) as app:
        try:
            counts = grid_services.import_map(
                uow=app.uow, data=data, actor=command_line_actor(), now=app.clock()
            )
        except MapRejected as exc:
            show_problems(exc.problems)
            raise
    console.print(t("Imported: {counts}", counts=", ".join(f"{k} {v}" for k, v in counts.items())))


@grids_app.command("export")
@friendly
def export(level: LevelOption = None, db: DbOption = None) -> None:
    """Print the stored map (or one level of it) as GeoJSON on stdout."""
    chosen = None
    if level is not None:
        try:
            chosen = Level(level)
        except ValueError:
            fail(t("Unknown level {level}; use street, community, grid or microgrid.", level=level))
    with open_app(db) as app:
        print_json(grid_services.export_map(uow=app.uow, level=chosen))
