"""A running civicgrid for API tests: the tiny map, the catalogue, workers and one account per role."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from civicgrid.adapters.passwords import FAST_FOR_TESTS, Passwords
from civicgrid.bootstrap import App, bootstrap
from civicgrid.config import Settings
from civicgrid.demo.people import WorkerKind, WorkerSpec
from civicgrid.domain.accounts import UserSpec
from civicgrid.domain.roles import Role
from civicgrid.entrypoints.api.app import create_app
from civicgrid.services import accounts, sign_in
from civicgrid.services.grids import import_areas
from civicgrid.services.reference import seed_reference_data
from support import tiny_map

FAST = Passwords(FAST_FOR_TESTS)
PASSWORD = "correct horse battery"
# 09:00 on Monday 2 November 2026 in Beijing: a working day.
START = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kw: float) -> None:
        self.now += timedelta(**kw)


# One account per role. The grid worker serves grid D111; the handler is in 城管 (chengguan).
ACCOUNTS = {
    "operator": UserSpec("operator", Role.OPERATOR, "王受理"),
    "supervisor": UserSpec("supervisor", Role.SUPERVISOR, "李值班"),
    "leader": UserSpec("leader", Role.LEADER, "赵领导"),
    "admin": UserSpec("admin", Role.ADMIN, "钱管理"),
    "worker": UserSpec(
        "worker", Role.GRID_WORKER, "张网格", worker_code="F0001", area_codes=frozenset({"D111"})
    ),
    "worker2": UserSpec(
        "worker2", Role.GRID_WORKER, "孙网格", worker_code="F0003", area_codes=frozenset({"D211"})
    ),
    "handler": UserSpec("handler", Role.HANDLER, "刘承办", org_code="chengguan"),
    "handler2": UserSpec("handler2", Role.HANDLER, "周承办", org_code="police"),
    "resident": UserSpec("resident", Role.RESIDENT, "吴居民"),
}


@dataclass
class Civic:
    """The app under test, its HTTP client, its clock and a bearer token header per role."""

    app: App
    client: TestClient
    clock: Clock
    headers: dict[str, dict[str, str]] = field(default_factory=dict)

    def as_(self, who: str) -> dict[str, str]:
        return self.headers[who]

    def add_account(self, name: str, spec: UserSpec) -> None:
        """Create an account (password PASSWORD) with a bearer token that ``as_(name)`` sends."""
        now = self.clock()
        user = accounts.create_user(
            uow=self.app.uow,
            actor=accounts.command_line_actor(),
            spec=spec,
            password=PASSWORD,
            now=now,
            passwords=FAST,
        )
        token = sign_in.issue_token(
            uow=self.app.uow, user=user, name="test", now=now, ttl=timedelta(days=400)
        )
        self.headers[name] = {"Authorization": f"Bearer {token}"}


@pytest.fixture
def civic(db_url: str, tmp_path: Path) -> Iterator[Civic]:
    settings = Settings(
        database_url=db_url,
        upload_dir=tmp_path / "uploads",
        public_reports_per_minute=0,
        uploads_per_minute=0,
        sign_ins_per_minute=0,
    )
    clock = Clock(START)
    app = bootstrap(settings, clock=clock)
    seed_reference_data(uow=app.uow)
    import_areas(uow=app.uow, areas=tiny_map(), actor=accounts.command_line_actor(), now=clock())
    grids = ["D111", "D112", "D211", "D212"]
    people = [
        WorkerSpec(f"F000{i + 1}", f"网格员{i + 1}", f"1380000000{i}", WorkerKind.FULLTIME, None, (g,))
        for i, g in enumerate(grids)
    ] + [WorkerSpec("P0001", "城管队员", "13900000000", WorkerKind.PROFESSIONAL, "chengguan", tuple(grids))]
    with app.uow() as u:
        u.reference.save_workers(people)
        u.commit()
    civic = Civic(app=app, client=TestClient(create_app(app)), clock=clock)
    for name, spec in ACCOUNTS.items():
        civic.add_account(name, spec)
    yield civic
    civic.client.close()
    app.close()
