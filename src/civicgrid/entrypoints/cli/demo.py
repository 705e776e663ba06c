"""``civicgrid demo``: build the demo district (once) and serve it."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy.engine import make_url

from civicgrid.analytics.stats import database_stats
from civicgrid.bootstrap import App
from civicgrid.config import Settings
from civicgrid.demo.accounts import DEMO_USERNAMES, demo_password
from civicgrid.demo.build import DemoSpec, build_demo, existing_demo
from civicgrid.domain.accounts import ROLE_LABELS
from civicgrid.entrypoints.cli.common import DbOption, console, fail, friendly, open_app, t


@friendly
def demo(
    db: DbOption = None,
    seed: Annotated[int, typer.Option(help="Seed: the same seed builds the same district and history.")] = 7,
    cases: Annotated[int, typer.Option(help="How many cases of simulated history.", min=0)] = 20000,
    no_serve: Annotated[
        bool, typer.Option("--no-serve", help="Build only; do not start the server.")
    ] = False,
    host: Annotated[str, typer.Option(help="Address to serve on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to serve on.", min=1, max=65535)] = 8000,
    rebuild: Annotated[
        bool, typer.Option("--rebuild", help="Build again even if the demo is there.")
    ] = False,
) -> None:
    """Build the demo district (5 streets, 38 communities, 540 grids, 2,627 micro-grids) with case history."""
    spec = DemoSpec(seed=seed, cases=cases)
    with open_app(db, create=True) as app:
        found, occupied = existing_demo(app), _has_data(app)
    if found == spec and not rebuild:
        console.print(
            t("The demo district is already built (seed {seed}, {cases} cases).", seed=seed, cases=cases)
        )
    else:
        if occupied:
            path = _sqlite_file(db)
            if found is None or path is None:
                fail(
                    t("This database already holds data; use an empty database (another --db) for the demo.")
                )
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
        with open_app(db, create=True) as app:
            counts = build_demo(app, spec, ProgressBar())
        console.print(
            t("Demo district built: {areas} areas, {workers} grid workers, {cases} cases.", **counts)
        )
        if counts["model"]:
            console.print(
                t(
                    "Smart dispatch learnt from this history: model version {version} is active.",
                    version=counts["model"],
                )
            )
    _print_accounts()
    if no_serve:
        return
    from civicgrid.entrypoints.cli.serve import run_server

    run_server(db=db, host=host, port=port, workers=1)


def _has_data(app: App) -> bool:
    with app.engine.connect() as conn:
        stats = database_stats(conn)
    return bool(stats["cases"]["total"] or stats["workers"]["total"] or sum(stats["areas"].values()))


def _sqlite_file(db: str | None) -> str | None:
    url = make_url(db or Settings().database_url)
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        return url.database
    return None


class ProgressBar:
    """A Rich progress bar per build step."""

    def __init__(self) -> None:
        self.bar = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
        )
        self.tasks: dict[str, TaskID] = {}
        self.labels = {
            "map": t("Grid map"),
            "people": t("Grid workers"),
            "cases": t("Case history"),
            "model": t("Smart dispatch model"),
        }

    def __call__(self, step: str, done: int, total: int) -> None:
        if not self.tasks:
            self.bar.start()
        if step not in self.tasks:
            self.tasks[step] = self.bar.add_task(self.labels.get(step, step), total=max(total, 1))
        self.bar.update(self.tasks[step], completed=done, total=max(total, 1))
        if step == "model" and done >= total:
            self.bar.stop()


def _print_accounts() -> None:
    """The demo's sign-ins, one per role (documented passwords: this is a demo, never a deployment)."""
    table = Table(title=t("Demo accounts"))
    table.add_column(t("Role"))
    table.add_column(t("User name"))
    table.add_column(t("Password"))
    for username, role in DEMO_USERNAMES:
        table.add_row(t(ROLE_LABELS[role]), username, demo_password(username))
    console.print(table)
