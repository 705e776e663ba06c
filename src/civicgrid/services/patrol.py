"""Patrol reports (巡查上报): a grid worker files what they found on their round, located by GPS."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from civicgrid.adapters.db.unit_of_work import UnitOfWork
from civicgrid.domain.case_types import Source
from civicgrid.domain.errors import N_
from civicgrid.domain.roles import Actor
from civicgrid.services.intake import ReportCase
from civicgrid.services.phone_intake import PhoneCallRefused, resolve_category, resolve_place

MAX_NOTE = 2000


class NoteTooLong(PhoneCallRefused):
    code = "note_too_long"
    field = "note"
    message = N_("The note is longer than 2,000 characters.")


class WhereRequired(PhoneCallRefused):
    code = "patrol_place_required"
    field = "lon"
    message = N_("Tap 'Use my location' (or find the micro-grid) so the report says where.")


@dataclass(frozen=True)
class PatrolFind:
    """What the worker tapped and typed (text, as the form sent it)."""

    category: str = ""
    note: str = ""
    lon: str = ""
    lat: str = ""
    microgrid: str = ""
    photos: tuple[str, ...] = ()


def prepare_patrol(*, uow: Callable[[], UnitOfWork], actor: Actor, find: PatrolFind) -> ReportCase:
    """The patrol report to file: source patrol, the worker as reporter, the category's name as the text."""
    if len(find.note) > MAX_NOTE:
        raise NoteTooLong()
    with uow() as u:
        category = resolve_category(u.reference.catalogue(), find.category)
        if not (find.lon.strip() or find.lat.strip() or find.microgrid.strip()):
            raise WhereRequired()
        lon, lat, _micro = resolve_place(u, lon=find.lon, lat=find.lat, microgrid=find.microgrid, address="")
        worker = u.reference.worker(actor.worker_code) if actor.worker_code else None
    # A patrol needs no words to be filed: the category says what was found, the note adds detail.
    note = find.note.strip()
    description = f"{category.name_zh}：{note}" if note else f"{category.name_zh}（巡查发现）"
    return ReportCase(
        source=Source.PATROL,
        category_code=category.code,
        description=description,
        lon=lon,
        lat=lat,
        reporter_name=(worker or {}).get("name") or actor.name or None,
        reporter_phone=(worker or {}).get("phone") or None,
        photos=find.photos,
    )
