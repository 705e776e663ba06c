"""``civicgrid backup`` and ``civicgrid restore``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from civicgrid.adapters.db.backup import backup as take_backup
from civicgrid.adapters.db.backup import restore as put_back
from civicgrid.config import Settings
from civicgrid.entrypoints.cli.common import DbOption, console, fail, friendly, open_app, t


@friendly
def backup(
    to: Annotated[Path, typer.Option("--to", help="The backup file to write (must not exist).")],
    db: DbOption = None,
) -> None:
    """Write a consistent backup of the database while it keeps serving (SQLite online backup; pg_dump)."""
    url = db or Settings().database_url
    with open_app(url):
        pass  # one clear line for a missing database or an old schema, before anything is written
    size = take_backup(url, to)
    console.print(t("Backup written to {path} ({size} bytes).", path=str(to), size=size))


@friendly
def restore(
    file: Annotated[Path, typer.Argument(help="A file written by 'civicgrid backup'.")],
    db: DbOption = None,
    yes: Annotated[
        bool, typer.Option("--yes", help="Confirm: the database is replaced by the backup.")
    ] = False,
) -> None:
    """Replace the database with a backup (stop the servers first)."""
    if not yes:
        fail(t("Restoring replaces everything in the database; run again with --yes to confirm."))
    url = db or Settings().database_url
    put_back(file, url)
    with open_app(url, create=True):
        pass  # a backup from an older version is brought to this version's schema
    console.print(t("Restored {path}.", path=str(file)))
