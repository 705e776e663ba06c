"""The shift supervisor's decisions on returns, extensions and suspensions (审批), from the approvals desk."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from civicgrid.adapters.db.unit_of_work import UnitOfWork
from civicgrid.domain.cases import Case, DeadlinePolicy
from civicgrid.domain.errors import N_, DomainError
from civicgrid.domain.roles import Actor
from civicgrid.services import workflow

MAX_NOTE = 2000


class DenialNeedsReason(DomainError):
    code = "denial_needs_reason"
    message = N_("Say why the request is denied: the requester reads it on the case.")


class DecisionNoteTooLong(DomainError):
    code = "decision_note_too_long"
    message = N_("The reason is longer than 2,000 characters.")


def decide_request(
    *,
    uow: Callable[[], UnitOfWork],
    deadlines: DeadlinePolicy,
    number: str,
    actor: Actor,
    now: datetime,
    approve: bool,
    note: str,
    expected_version: int | None,
) -> Case:
    """Approve or deny the case's pending request; a denial says why (the requester must know what to do)."""
    note = note.strip()
    if len(note) > MAX_NOTE:
        raise DecisionNoteTooLong()
    if not approve and not note:
        raise DenialNeedsReason()
    return workflow.perform(
        uow=uow,
        deadlines=deadlines,
        number=number,
        action="decide",
        actor=actor,
        now=now,
        params={"approve": approve, "note": note},
        expected_version=expected_version,
    )
