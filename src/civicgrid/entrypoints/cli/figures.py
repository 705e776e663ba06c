"""``civicgrid figures check`` and ``figures rebuild``: the rollups against, and from, the raw cases."""

from __future__ import annotations

import json

import typer
from rich.table import Table

from civicgrid.analytics.rollups import check, rebuild
from civicgrid.entrypoints.cli.common import (
    CountBar,
    DbOption,
    JsonOption,
    console,
    friendly,
    open_app,
    print_json,
    t,
)

figures_app = typer.Typer(help="The figures' rollups: check them against the cases, or rebuild them.")


@figures_app.command("check")
@friendly
def check_command(db: DbOption = None, as_json: JsonOption = False) -> None:
    """Recompute the rollups from the raw cases and report every difference; exit 1 if there is any."""
    bar = CountBar(t("Recounting cases"), enabled=not as_json, transient=True)
    with open_app(db) as app, app.engine.connect() as conn:
        if conn.dialect.name == "postgresql":  # one snapshot of cases and rollups, writers or not
            conn = conn.execution_options(isolation_level="REPEATABLE READ")
        with conn.begin():
            try:
                report = check(conn, progress=bar)
            finally:
                bar.stop()
    if as_json:
        print_json(report.as_dict())
    elif report.ok:
        console.print(
            t(
                "The rollups match the cases: {cases} cases, {rows} rows.",
                cases=report.cases,
                rows=report.rows,
            )
        )
    else:
        table = Table(title=t("{n} rollup rows differ from a recount", n=report.total_differences))
        for column in (t("Row"), t("Stored"), t("Recounted")):
            table.add_column(column)
        for d in report.differences:
            key = {k: v for k, v in d.items() if k not in ("stored", "expected") and v != ""}
            table.add_row(
                json.dumps(key, ensure_ascii=False), json.dumps(d["stored"]), json.dumps(d["expected"])
            )
        console.print(table)
    if not report.ok:
        raise typer.Exit(1)


@figures_app.command("rebuild")
@friendly
def rebuild_command(db: DbOption = None) -> None:
    """Rebuild the rollups from the raw cases in one transaction (readers see the old ones until it ends)."""
    bar = CountBar(t("Recounting cases"), transient=True)
    with open_app(db) as app, app.uow() as u:
        try:
            counted = rebuild(u.conn, progress=bar)
        finally:
            bar.stop()
        u.commit()
    console.print(t("Rollups rebuilt from {cases} cases.", cases=counted))
