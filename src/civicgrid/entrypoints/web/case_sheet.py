"""Everything the case page shows, gathered in one place so its handlers stay thin.

The case comes through ``workflow.view_case`` (404 when the caller may not see it) and is shown through
``case_out`` (personal data masked by role); the actions offered are the domain's ``allowed_actions``; the
dispatch suggestion and duplicate candidates are the same services the JSON API answers with.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from civicgrid.analytics.case_labels import Labels, labels_for
from civicgrid.bootstrap import App
from civicgrid.domain.access import scope_of
from civicgrid.domain.case_actions import allowed_actions
from civicgrid.domain.deadlines import TimeLimit
from civicgrid.domain.errors import DomainError
from civicgrid.domain.roles import Actor
from civicgrid.entrypoints.api.case_views import case_out
from civicgrid.entrypoints.api.schemas import CaseOut
from civicgrid.entrypoints.web.case_messages import BUTTONS
from civicgrid.entrypoints.web.moments import stored_moment
from civicgrid.i18n import translate
from civicgrid.services import dispatch, duplicates, reference, workflow
from civicgrid.services.duplicates import Candidate

# The forward step of each state first (the big blue button on a phone), then the detours, then
# what is possible in most states.
DISPLAY_ORDER = (
    "register",
    "dispatch",
    "accept",
    "start",
    "report",
    "verify",
    "callback",
    "decide",
    "resume",
    "reopen",
    "extend",
    "suspend",
    "return",
    "merge",
    "reject",
)
SECONDARY = ("escalate", "supervise", "comment")
# Actions that cannot be undone ask for confirmation in the browser.
DESTRUCTIVE = frozenset({"reject", "merge"})
CHAIN = ("street", "community", "grid", "microgrid")


@dataclass(frozen=True)
class SuggestionView:
    """The dispatch suggestion as the page shows it (reasons already in the reader's language)."""

    category_code: str
    org_code: str | None
    assignee_code: str | None
    confidence: float | None
    reasons: list[str]


@dataclass
class CaseSheet:
    """One case as its page shows it to one caller."""

    case: CaseOut
    labels: Labels
    actions: tuple[str, ...]
    chain: list[tuple[str, str, str]]  # (level, code, name), street first
    suggestion: SuggestionView | None = None
    suggestion_error: str | None = None
    duplicates: list[Candidate] = field(default_factory=list)
    workers: list[dict[str, Any]] = field(default_factory=list)
    organisations: list[dict[str, Any]] = field(default_factory=list)

    moment = staticmethod(stored_moment)  # moments stored as ISO text in the history's data

    def time_limit(self, locale: str) -> str:
        """The case's time limit in words ('7 working days'), or a dash before registration."""
        if not self.case.time_limit:
            return "—"
        return TimeLimit.parse(self.case.time_limit).describe(lambda m: translate(m, locale))

    @staticmethod
    def button(action: str) -> str:
        """The message id of an action's button."""
        return BUTTONS[action]

    @property
    def primary(self) -> list[str]:
        """The lifecycle actions on offer, the forward step first."""
        return [a for a in DISPLAY_ORDER if a in self.actions]

    @property
    def secondary(self) -> list[str]:
        """Escalate, supervise, comment: possible in most states, so offered after the main ones."""
        return [a for a in self.actions if a in SECONDARY]


def build(app: App, actor: Actor, number: str, locale: str) -> CaseSheet:
    """The case ``number`` as ``actor`` may see it, with what they may do to it now."""
    now = app.clock()
    case = workflow.view_case(uow=app.reader, number=number, actor=actor)
    actions = allowed_actions(case, actor, now)
    out = case_out(case, actor, now)
    sheet = CaseSheet(case=out, labels=Labels(), actions=actions, chain=[])
    if "dispatch" in actions:
        _add_dispatch_choices(app, actor, sheet, locale)
    if "dispatch" in actions or "escalate" in actions:
        sheet.organisations = _organisations(app, locale)
    if "merge" in actions:
        try:
            sheet.duplicates = duplicates.find_duplicates(
                uow=app.reader,
                lon=case.location.lon,
                lat=case.location.lat,
                category_code=case.category_code,
                description=case.description,
                now=case.submitted_at,
                exclude_id=case.id,
                scope=scope_of(actor),
            )
        except DomainError:  # a category retired since the report: no candidates, a number can be typed
            sheet.duplicates = []
    sheet.labels = _labels(app, sheet, locale)
    areas = out.areas
    sheet.chain = [
        (level, code, sheet.labels.area(code))
        for level, code in zip(
            CHAIN, (areas.street, areas.community, areas.grid, areas.microgrid), strict=True
        )
    ]
    return sheet


def _add_dispatch_choices(app: App, actor: Actor, sheet: CaseSheet, locale: str) -> None:
    number = sheet.case.number
    try:
        found = dispatch.suggest_for_case(
            uow=app.reader, classifier=dispatch.current_classifier(app.reader), number=number, actor=actor
        )
        sheet.suggestion = SuggestionView(
            category_code=found.category_code,
            org_code=found.org_code,
            assignee_code=found.assignee_code,
            confidence=found.confidence,
            reasons=[translate(r.message, locale, **r.params) for r in found.reasons],
        )
    except DomainError as exc:  # no model and no keyword match: dispatch by hand, and say why
        sheet.suggestion_error = translate(exc.message, locale, **exc.params)
    workers = reference.workers(uow=app.reader, grid_code=sheet.case.areas.grid)
    # Full-time grid workers of the grid first, then the professional ones who serve it.
    sheet.workers = sorted(workers, key=lambda w: (w["kind"] != "fulltime", w["code"]))
    suggested = sheet.suggestion.assignee_code if sheet.suggestion else None
    if suggested and all(w["code"] != suggested for w in sheet.workers):
        sheet.workers.insert(0, {"code": suggested, "name": suggested, "kind": "", "org_code": None})


def _organisations(app: App, locale: str) -> list[dict[str, Any]]:
    key = "short_name_en" if locale == "en" else "short_name_zh"
    return [
        {"code": o["code"], "name": o[key] or o["code"], "kind": o["kind"]}
        for o in reference.organisations(uow=app.reader)
    ]


def _labels(app: App, sheet: CaseSheet, locale: str) -> Labels:
    case = sheet.case
    orgs = [case.org_code] + [str(e.data.get("org") or "") for e in case.history]
    orgs += [str(code) for e in case.history for code in e.data.get("summon") or ()]  # escalations
    workers = [case.assignee_code] + [str(e.data.get("assignee") or "") for e in case.history]
    workers += [w["code"] for w in sheet.workers]
    if sheet.suggestion:
        orgs.append(sheet.suggestion.org_code)
        workers.append(sheet.suggestion.assignee_code)
    categories = [case.category_code] + [d.category_code for d in sheet.duplicates]
    if sheet.suggestion:
        categories.append(sheet.suggestion.category_code)
    a = case.areas
    with app.engine.connect() as conn:
        return labels_for(
            conn,
            locale=locale,
            category_codes=categories,
            org_codes=orgs,
            worker_codes=workers,
            area_codes=[a.street, a.community, a.grid, a.microgrid],
        )


# The page as first shown: no form open, nothing refused.
NO_FORM: dict[str, Any] = {"open_action": None, "message": None, "errors": {}, "values": {}, "stale": False}
