"""``civicgrid dispatch auto|duplicates|settings|overrides|suggest``: who decides, and what people changed."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.table import Table

from civicgrid.domain.dispatch_control import AutoMode
from civicgrid.entrypoints.cli.common import (
    DbOption,
    JsonOption,
    console,
    fail,
    friendly,
    open_app,
    print_json,
    t,
)
from civicgrid.services import dispatch_settings, overrides
from civicgrid.services.accounts import command_line_actor

CategoryArg = Annotated[str, typer.Argument(help="Category code (小类), e.g. C0101.")]


def register(dispatch_app: typer.Typer) -> None:
    """Add these commands to ``civicgrid dispatch``."""
    for name, command in (
        ("auto", auto),
        ("duplicates", duplicates),
        ("settings", settings),
        ("overrides", list_overrides),
        ("suggest", suggest),
    ):
        dispatch_app.command(name)(friendly(command))


def auto(
    category: CategoryArg,
    min_confidence: Annotated[
        float | None,
        typer.Option("--min-confidence", min=0.0, max=1.0, help="Dispatch automatically at or above this."),
    ] = None,
    off: Annotated[bool, typer.Option("--off", help="An operator always decides.")] = False,
    default: Annotated[bool, typer.Option("--default", help="Follow the deployment's default.")] = False,
    db: DbOption = None,
) -> None:
    """Automatic dispatch of a category: above a confidence, never, or as the default setting says."""
    if sum((min_confidence is not None, off, default)) != 1:
        fail(t("Give exactly one of --min-confidence, --off and --default."))
    mode = AutoMode.ON if min_confidence is not None else AutoMode.OFF if off else AutoMode.DEFAULT
    with open_app(db) as app:
        dispatch_settings.change_settings(
            uow=app.uow,
            actor=command_line_actor(),
            category_code=category,
            now=app.clock(),
            auto_mode=mode,
            auto_min_confidence=min_confidence,
        )
        default_value = app.settings.auto_dispatch_min_confidence
    if mode is AutoMode.ON:
        console.print(
            t(
                "{category}: dispatched automatically at confidence {p} or more.",
                category=category,
                p=min_confidence,
            )
        )
    elif mode is AutoMode.OFF:
        console.print(t("{category}: an operator always decides.", category=category))
    else:
        shown = "-" if default_value is None else str(default_value)
        console.print(t("{category}: follows the default ({p}).", category=category, p=shown))


def duplicates(
    category: CategoryArg,
    radius: Annotated[float | None, typer.Option("--radius", min=1, max=5000, help="Metres.")] = None,
    days: Annotated[float | None, typer.Option("--days", min=0.01, max=365, help="Time window.")] = None,
    default: Annotated[bool, typer.Option("--default", help="Back to 250 m and 30 days.")] = False,
    db: DbOption = None,
) -> None:
    """Where and how far back duplicates of a category are looked for (default 250 m, 30 days)."""
    if default == (radius is not None or days is not None):
        fail(t("Give --radius and/or --days, or --default."))
    changes: dict[str, Any] = {"duplicate_radius_m": None, "duplicate_window_days": None} if default else {}
    if radius is not None:
        changes["duplicate_radius_m"] = radius
    if days is not None:
        changes["duplicate_window_days"] = days
    with open_app(db) as app:
        new = dispatch_settings.change_settings(
            uow=app.uow, actor=command_line_actor(), category_code=category, now=app.clock(), **changes
        )
    console.print(
        t(
            "{category}: duplicates within {radius} m and {days} days.",
            category=category,
            radius=new.duplicate_radius_m or 250,
            days=new.duplicate_window_days or 30,
        )
    )


def settings(db: DbOption = None, as_json: JsonOption = False) -> None:
    """Categories with their own dispatch settings, and the default for automatic dispatch."""
    with open_app(db) as app:
        found = dispatch_settings.category_settings(uow=app.reader)
        default = app.settings.auto_dispatch_min_confidence
    rows = [
        {
            "category": s.category_code,
            "auto_mode": s.auto_mode.value,
            "auto_min_confidence": s.auto_min_confidence,
            "effective_min_confidence": s.threshold(default),
            "duplicate_radius_m": s.duplicate_radius_m,
            "duplicate_window_days": s.duplicate_window_days,
            "updated_by": s.updated_by,
        }
        for _, s in sorted(found.items())
    ]
    if as_json:
        print_json({"default_min_confidence": default, "categories": rows})
        return
    console.print(
        t("Default minimum confidence for automatic dispatch: {p}", p="-" if default is None else default)
    )
    table = Table(*(rows[0].keys() if rows else ["category"]))
    for row in rows:
        table.add_row(*("-" if v is None else str(v) for v in row.values()))
    console.print(table)


def list_overrides(
    db: DbOption = None,
    as_json: JsonOption = False,
    limit: Annotated[int, typer.Option("--limit", min=1, max=10000, help="Newest first.")] = 50,
) -> None:
    """Registrations and dispatches that differ from the suggestion, and how often suggestions are taken."""
    with open_app(db) as app:
        actor = command_line_actor()
        found, total = overrides.list_overrides(uow=app.reader, actor=actor, limit=limit)
        taken = overrides.acceptance(uow=app.reader)
    rows = [
        {
            "case": o.case_number,
            "at": o.at.isoformat(),
            "action": o.action,
            "who": o.actor_name,
            "suggested": list(o.suggested),
            "chosen": list(o.chosen),
            "confidence": o.confidence,
        }
        for o in found
    ]
    if as_json:
        print_json({"total": total, "items": rows, "acceptance": taken})
        return
    table = Table("case", "at", "action", "who", "suggested", "chosen")
    for r in rows:
        table.add_row(
            str(r["case"]),
            str(r["at"]),
            str(r["action"]),
            str(r["who"]),
            " / ".join(x or "-" for x in r["suggested"]),  # type: ignore[union-attr]
            " / ".join(x or "-" for x in r["chosen"]),  # type: ignore[union-attr]
        )
    console.print(table)
    rate = taken["acceptance_rate"]
    shown = "-" if rate is None else f"{rate:.1%}"
    console.print(
        t("Suggestions taken as they were: {rate} of {n} decided by people.", rate=shown, n=taken["decided"])
    )


def suggest(db: DbOption = None, as_json: JsonOption = False) -> None:
    """Suggest (and dispatch where confident) for submitted cases that have no suggestion yet."""
    with open_app(db) as app:
        done = app.suggest_backlog()
    if as_json:
        print_json(done.as_dict())
        return
    console.print(
        t(
            "{n} suggestions made, {auto} dispatched automatically, {sub} sent to the street's sub-centre.",
            n=done.suggested,
            auto=done.auto_dispatched,
            sub=done.to_subcentre,
        )
    )
