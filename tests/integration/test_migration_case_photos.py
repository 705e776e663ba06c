"""Upgrading a database from before ``case_photos`` links the photos its cases already hold."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import command

from civicgrid.adapters.db import schema
from civicgrid.domain.case_types import Source
from civicgrid.domain.roles import Actor, Role
from civicgrid.services import workflow
from civicgrid.services.intake import ReportCase, report_case
from conftest import Civic

OPERATOR = Actor(role=Role.OPERATOR, id=1, name="op")
SHOT, LATER = "ab/" + "1" * 32 + ".jpg", "cd/" + "2" * 32 + ".jpg"


def links(civic: Civic) -> list[tuple[str, str]]:
    with civic.app.engine.connect() as conn:
        q = "SELECT p.name, c.number FROM case_photos p JOIN cases c ON c.id = p.case_id ORDER BY p.name"
        return [(r[0], r[1]) for r in conn.execute(sa.text(q))]


def test_the_upgrade_links_photos_of_reports_and_of_their_steps(civic: Civic) -> None:
    receipt = report_case(
        uow=civic.app.uow,
        locator=civic.app.locator,
        report=ReportCase(
            source=Source.HOTLINE,
            category_code="C0101",
            description="井盖缺失",
            lon=116.6025,
            lat=35.4025,
            photos=(SHOT,),
        ),
        actor=OPERATOR,
        now=civic.clock(),
    )
    workflow.perform(
        uow=civic.app.uow,
        deadlines=civic.app.deadlines,
        number=receipt.number,
        action="comment",
        actor=OPERATOR,
        now=civic.clock(),
        params={"note": "现场又拍一张", "photos": (LATER,)},
    )
    assert links(civic) == [(SHOT, receipt.number), (LATER, receipt.number)]  # kept as cases change
    schema.migrate(civic.app.engine, command.downgrade, "0005")
    schema.upgrade(civic.app.engine)
    assert links(civic) == [(SHOT, receipt.number), (LATER, receipt.number)]  # and found again on upgrade
