"""What every command shares: the --db option, the language, printing, and turning errors into one line."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from typing import Annotated, Any, NoReturn, TypeVar

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from sqlalchemy.exc import OperationalError, SQLAlchemyError

from civicgrid.bootstrap import App, bootstrap
from civicgrid.config import Settings
from civicgrid.domain.errors import DomainError
from civicgrid.i18n import locale_from_environment, translate

DbOption = Annotated[
    str | None,
    typer.Option("--db", help="Database URL (default: CIVICGRID_DATABASE_URL or sqlite:///civicgrid.db)."),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]

console = Console()
err_console = Console(stderr=True)
F = TypeVar("F", bound=Callable[..., Any])


def locale() -> str:
    """The language of messages (CIVICGRID_LANG, LANG, ...; Chinese by default)."""
    return locale_from_environment()


def t(message: str, **params: Any) -> str:
    """Translate a message into the user's language."""
    return translate(message, locale(), **params)


def fail(message: str, code: int = 1) -> NoReturn:
    """Print one clear line on stderr and exit non-zero."""
    err_console.print(f"[bold red]✗[/] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def print_json(data: Any) -> None:
    """JSON on stdout, UTF-8, no escaping of Chinese."""
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n")


def friendly(fn: F) -> F:
    """Turn every error a user can cause into one translated line and a non-zero exit, never a traceback."""

    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except typer.Exit:
            raise
        except DomainError as exc:
            exit_code = getattr(exc, "exit_code", 1)
            fail(translate(exc.message, locale(), **exc.params), exit_code)
        except OperationalError as exc:
            fail(t("Cannot use the database: {error}", error=str(exc.orig).strip().splitlines()[0]))
        except SQLAlchemyError as exc:
            fail(t("Database error: {error}", error=str(exc).splitlines()[0]))
        except FileNotFoundError as exc:
            fail(t("File not found: {path}", path=exc.filename))
        except (IsADirectoryError, PermissionError) as exc:
            fail(t("Cannot read {path}: {error}", path=exc.filename, error=exc.strerror))

    return wrapper  # type: ignore[return-value]


@contextmanager
def open_app(db: str | None, *, create: bool = False) -> Iterator[App]:
    """Bootstrap the application for one command and close it afterwards."""
    app = bootstrap(Settings(), database_url=db, create=create)
    try:
        yield app
    finally:
        app.close()


class CountBar:
    """A Rich progress bar over one count (``bar(done, total)``), started on the first call; ``stop`` ends it.

    ``enabled`` False draws nothing (``--json`` output stays clean); ``transient`` bars vanish when done.
    """

    def __init__(self, label: str, *, enabled: bool = True, transient: bool = False) -> None:
        self.label = label
        self.enabled = enabled
        self.transient = transient
        self.bar: Progress | None = None
        self.task: TaskID | None = None

    def __call__(self, done: int, total: int) -> None:
        if not self.enabled:
            return
        if self.bar is None:
            self.bar = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                TimeRemainingColumn(),
                console=console,
                transient=self.transient,
            )
            self.bar.start()
            self.task = self.bar.add_task(self.label, total=max(total, 1))
        assert self.task is not None
        self.bar.update(self.task, completed=done, total=max(total, 1))

    def stop(self) -> None:
        """End the bar (if it was ever drawn)."""
        if self.bar is not None:
            self.bar.stop()
