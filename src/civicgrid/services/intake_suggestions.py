"""Every stored report gets its suggestion right after intake's commit; confident ones are dispatched at once.

Intake's group commit stays as fast as it was: suggesting happens after the commit, in batches, outside
the writer (``SuggestionWorker``). What routing reads is read once per batch without the write lock, the
texts are classified in one call, and one short transaction stores the batch's suggestions together with
the automatic registrations and dispatches. A process that dies in between loses no case, only the
suggestion for a while: ``suggest_backlog`` (run by the periodic sweep and ``civicgrid dispatch suggest``)
finds submitted cases that have none.

Automatic dispatch is decided per category (``CategorySettings``; the deployment default otherwise): at or
above the minimum confidence the system registers the case with the suggested category and dispatches it
to the suggested organisation and worker, the reasons in the history. A report nobody owns goes to the
street's command sub-centre instead (registered and escalated to the street, 首接负责).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from civicgrid.adapters.db.dispatch_control_repository import NewCase
from civicgrid.adapters.db.unit_of_work import UnitOfWork
from civicgrid.domain.case_types import Escalation, Status
from civicgrid.domain.catalogue import UnknownCategory
from civicgrid.domain.dispatch import Classifier, Suggestion
from civicgrid.domain.dispatch_control import AUTO_DISPATCHED, AUTO_SUBCENTRE, thresholds
from civicgrid.domain.errors import DomainError
from civicgrid.domain.roles import Actor
from civicgrid.i18n import translate
from civicgrid.services.deadline_policy import CalendarDeadlines
from civicgrid.services.suggestions import (
    CannotClassify,
    build,
    classify,
    model_version,
    routing_context,
    thresholds_of,
)
from civicgrid.services.workflow import register_case

log = logging.getLogger(__name__)
SYSTEM = Actor.system()
NOTE_LOCALE = "zh_CN"  # history notes are written in the district's language
BACKLOG_AGE = timedelta(seconds=10)  # younger cases are still in some process's worker queue


@dataclass(frozen=True)
class SuggestReport:
    """What one batch did."""

    suggested: int = 0
    auto_dispatched: int = 0
    to_subcentre: int = 0

    def as_dict(self) -> dict[str, int]:
        """As JSON-able data."""
        return asdict(self)


def suggest_new_cases(
    *,
    uow: Callable[[], UnitOfWork],
    reader: Callable[[], UnitOfWork],
    classifier: Classifier | None,
    deadlines: CalendarDeadlines,
    ids: Sequence[int],
    now: datetime,
    default_threshold: float | None,
) -> SuggestReport:
    """Suggest for these cases (those without a suggestion), store it, dispatch the confident ones."""
    with reader() as u:
        new = u.control.new_cases(ids)
        if not new:
            return SuggestReport()
        limit = thresholds_of(thresholds(u.control.settings(), default_threshold), default_threshold)
        ctx = routing_context(u, [c.chain for c in new])
        version = model_version(classifier)
        made: list[tuple[NewCase, Suggestion, float | None]] = []
        for case, top in zip(new, classify(classifier, [c.description for c in new]), strict=True):
            given = None if classifier is not None else case.category_code
            try:
                s = build(
                    u,
                    ctx,
                    top=top,
                    chain=case.chain,
                    description=case.description,
                    category_code=given,
                    threshold=limit,
                    version=version,
                )
            except (CannotClassify, UnknownCategory):  # nothing the model knows is in the catalogue now
                continue
            made.append((case, s, limit(s.category_code)))
            if s.auto_dispatch and s.assignee_code is not None:
                ctx.load[s.assignee_code] += 1  # the next report of the batch sees this one's load
    return _store(uow, deadlines, made, now)


def _store(
    uow: Callable[[], UnitOfWork],
    deadlines: CalendarDeadlines,
    made: Sequence[tuple[NewCase, Suggestion, float | None]],
    now: datetime,
) -> SuggestReport:
    dispatched = subcentre = 0
    with uow() as u:
        # Checked again under the write lock: another process may have suggested for some meanwhile.
        already = u.control.existing([c.id for c, _, _ in made])
        rows: list[tuple[int, Suggestion, bool]] = []
        for case, s, threshold in made:
            if case.id in already:
                continue
            auto = False
            if case.status == Status.SUBMITTED.value:
                if s.auto_dispatch:
                    auto = _dispatch(u, case.id, s, deadlines, now)
                    dispatched += auto
                elif _confident(s, threshold) and s.org_code is None:
                    auto = _to_subcentre(u, case.id, s, now)
                    subcentre += auto
            rows.append((case.id, s, auto))
        u.control.add_suggestions(rows, now)
        u.commit()
    return SuggestReport(len(rows), dispatched, subcentre)


def _confident(s: Suggestion, threshold: float | None) -> bool:
    return s.confidence is not None and threshold is not None and s.confidence >= threshold


def _note(s: Suggestion) -> str:
    reasons = "；".join(translate(r.message, NOTE_LOCALE, **r.params) for r in s.reasons)
    return translate(AUTO_DISPATCHED, NOTE_LOCALE, reasons=reasons)


def _dispatch(
    u: UnitOfWork, case_id: int, s: Suggestion, deadlines: CalendarDeadlines, now: datetime
) -> bool:
    assert s.org_code is not None
    case = u.cases.get(case_id)
    try:
        register_case(case, u, SYSTEM, now, category_code=s.category_code)
        case.dispatch(
            actor=SYSTEM,
            at=now,
            org_code=s.org_code,
            assignee_code=s.assignee_code,
            deadlines=deadlines,
            note=_note(s),
        )
    except DomainError:  # e.g. the category was retired meanwhile: an operator decides
        log.info("automatic dispatch of case %s refused", case.number, exc_info=True)
        return False
    u.cases.save(case)
    u.accounts.audit(
        actor=SYSTEM,
        action="case.auto_dispatch",
        target=case.number or "",
        detail={
            "category": s.category_code,
            "org": s.org_code,
            "assignee": s.assignee_code,
            "confidence": s.confidence,
            "model_version": s.model_version,
        },
        now=now,
    )
    return True


def _to_subcentre(u: UnitOfWork, case_id: int, s: Suggestion, now: datetime) -> bool:
    case = u.cases.get(case_id)
    try:
        register_case(case, u, SYSTEM, now, category_code=s.category_code)
        if case.escalation is not Escalation.STREET:
            case.escalate(
                actor=SYSTEM, at=now, reason=translate(AUTO_SUBCENTRE, NOTE_LOCALE), to=Escalation.STREET
            )
    except DomainError:
        log.info("sending case %s to the street's sub-centre refused", case.number, exc_info=True)
        return False
    u.cases.save(case)
    u.accounts.audit(
        actor=SYSTEM,
        action="case.auto_subcentre",
        target=case.number or "",
        detail={"category": s.category_code, "street": case.areas.street, "confidence": s.confidence},
        now=now,
    )
    return True


def suggest_backlog(
    *,
    uow: Callable[[], UnitOfWork],
    reader: Callable[[], UnitOfWork],
    classifier: Classifier | None,
    deadlines: CalendarDeadlines,
    now: datetime,
    default_threshold: float | None,
    batch: int = 200,
    max_batches: int = 50,
) -> SuggestReport:
    """Suggest for submitted cases that have no suggestion (a process died before its worker got to them)."""
    total = SuggestReport()
    for _ in range(max_batches):
        with reader() as u:
            ids = u.control.unsuggested_ids(before=now - BACKLOG_AGE, limit=batch)
        if not ids:
            break
        done = suggest_new_cases(
            uow=uow,
            reader=reader,
            classifier=classifier,
            deadlines=deadlines,
            ids=ids,
            now=now,
            default_threshold=default_threshold,
        )
        total = SuggestReport(
            *(a + b for a, b in zip(asdict(total).values(), asdict(done).values(), strict=True))
        )
        if done.suggested == 0:
            break  # nothing could be suggested for these (e.g. no category recognised): do not spin
    return total
