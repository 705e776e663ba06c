"""``civicgrid sweep``: the deadline sweep (warnings, escalation by rule), once or every N seconds."""

from __future__ import annotations

import json
import sys
from time import sleep
from typing import Annotated

import typer

from civicgrid.bootstrap import App
from civicgrid.domain.escalation import EscalationRules
from civicgrid.entrypoints.cli.common import DbOption, JsonOption, console, friendly, open_app, print_json, t
from civicgrid.services.sweep import SweepReport
from civicgrid.services.sweep import sweep as run_sweep


def _once(app: App) -> SweepReport:
    return run_sweep(
        uow=app.uow,
        reader=app.reader,
        deadlines=app.deadlines,
        now=app.clock(),
        yellow_at=app.settings.yellow_at,
        rules=EscalationRules(),
    )


def _show(report: SweepReport, as_json: bool, one_line: bool) -> None:
    if as_json and one_line:  # --every: one JSON object per line
        sys.stdout.write(json.dumps(report.as_dict()) + "\n")
        sys.stdout.flush()
    elif as_json:
        print_json(report.as_dict())
    elif report.skipped_locked:
        console.print(t("Another process is sweeping right now; nothing done."))
    else:
        console.print(
            t(
                "Deadline sweep: {scanned} cases checked, {yellow} turned yellow, {red} turned red, "
                "{escalated} escalations.",
                **report.as_dict(),
            )
        )


@friendly
def sweep(
    db: DbOption = None,
    as_json: JsonOption = False,
    every: Annotated[
        float | None,
        typer.Option("--every", help="Sweep again every SECONDS until interrupted (instead of cron).", min=1),
    ] = None,
) -> None:
    """Raise yellow and red warnings and escalate overdue cases by rule (one process at a time)."""
    with open_app(db) as app:
        try:
            while True:
                app.reload_calendar()  # a schedule loaded meanwhile by another process counts at once
                _show(_once(app), as_json, one_line=every is not None)
                if every is None:
                    return
                sleep(every)
        except KeyboardInterrupt:
            return
