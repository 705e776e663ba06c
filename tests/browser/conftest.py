"""A real ``civicgrid serve`` and headless Chromium for browser tests: one server per xdist worker.

The database is the integration tests' tiny district (tests/integration/conftest.py: map, catalogue,
workers and one account per role, password ``PASSWORD``), seeded once per worker in a few hundred ms.
Chromium is Debian's (``/usr/bin/chromium``, installed by ``make test`` where it can); Playwright's Python
package only drives it. Without either, every browser test skips and says why.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from civicgrid.demo.browser import launch, why_no_browser

LOOPBACK = "127.0.0.1"
CIVICGRID = str(Path(sys.executable).with_name("civicgrid"))
INSIDE = {"longitude": 116.6025, "latitude": 35.4025}  # micro-grid D1111 of grid D111 (the tiny map)


def _integration() -> Any:
    """The integration tests' fixtures module (its accounts, password and worker set-up), loaded by path."""
    path = Path(__file__).parents[1] / "integration" / "conftest.py"
    spec = importlib.util.spec_from_file_location("civicgrid_integration_conftest", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


integration = _integration()
PASSWORD: str = integration.PASSWORD
ACCOUNTS: dict[str, Any] = integration.ACCOUNTS


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    reason = why_no_browser()
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.browser)
            if reason:
                item.add_marker(pytest.mark.skip(reason=reason))


def seed(url: str, uploads: Path) -> None:
    """The tiny district with the integration tests' workers and accounts, on the real clock."""
    from civicgrid.adapters.db import schema
    from civicgrid.adapters.db.engine import make_engine
    from civicgrid.bootstrap import bootstrap
    from civicgrid.config import Settings
    from civicgrid.demo.people import WorkerKind, WorkerSpec
    from civicgrid.services import accounts
    from civicgrid.services.grids import import_areas
    from civicgrid.services.reference import seed_reference_data
    from support import tiny_map

    engine = make_engine(url)
    schema.upgrade(engine)
    engine.dispose()
    app = bootstrap(Settings(database_url=url, upload_dir=uploads))
    now = datetime.now(UTC)
    seed_reference_data(uow=app.uow)
    import_areas(uow=app.uow, areas=tiny_map(), actor=accounts.command_line_actor(), now=now)
    grids = ["D111", "D112", "D211", "D212"]
    people = [
        WorkerSpec(f"F000{i + 1}", f"网格员{i + 1}", f"1380000000{i}", WorkerKind.FULLTIME, None, (g,))
        for i, g in enumerate(grids)
    ] + [WorkerSpec("P0001", "城管队员", "13900000000", WorkerKind.PROFESSIONAL, "chengguan", tuple(grids))]
    with app.uow() as u:
        u.reference.save_workers(people)
        u.commit()
    for spec in ACCOUNTS.values():
        accounts.create_user(
            uow=app.uow,
            actor=accounts.command_line_actor(),
            spec=spec,
            password=PASSWORD,
            now=now,
            passwords=integration.FAST,
        )
    app.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind((LOOPBACK, 0))
        return int(s.getsockname()[1])


@dataclass
class Served:
    """A running ``civicgrid serve``: its base URL and database."""

    base: str
    db_url: str
    log: Path


@pytest.fixture(scope="session")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    if reason := why_no_browser():
        pytest.skip(reason)
    folder = tmp_path_factory.mktemp("browser")
    url = f"sqlite:///{folder / 'civic.db'}"
    seed(url, folder / "uploads")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CIVICGRID_")}
    env |= {
        "CIVICGRID_UPLOAD_DIR": str(folder / "uploads"),
        "CIVICGRID_PUBLIC_REPORTS_PER_MINUTE": "0",
        "CIVICGRID_SIGN_INS_PER_MINUTE": "0",
        "CIVICGRID_UPLOADS_PER_MINUTE": "0",
    }
    log = folder / "server.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [CIVICGRID, "serve", "--db", url, "--host", LOOPBACK, "--port", str(port)],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
        )
    base = f"http://{LOOPBACK}:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"civicgrid serve exited: {log.read_text()[-2000:]}")
            try:
                if httpx.get(base + "/readyz", timeout=2, trust_env=False).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"civicgrid serve not ready in 60 s: {log.read_text()[-2000:]}")
            time.sleep(0.1)
        yield Served(base=base, db_url=url, log=log)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        shutil.rmtree(folder / "uploads", ignore_errors=True)


@pytest.fixture
def browser(served: Served) -> Iterator[Any]:
    # Per test, not per session: Playwright's sync API holds an asyncio loop running while it lives, and
    # later tests in the same worker call asyncio.run().
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = launch(p)
        yield chromium
        chromium.close()


class Dialogs:
    """Every JavaScript dialog a page opened (alert, confirm, prompt); confirms are accepted."""

    def __init__(self) -> None:
        self.seen: list[str] = []

    def __call__(self, dialog: Any) -> None:
        self.seen.append(f"{dialog.type}: {dialog.message}")
        dialog.accept()


@dataclass
class Browsing:
    """Pages for each role on the running server; ``dialogs`` records what they popped up."""

    served: Served
    browser: Any
    dialogs: Dialogs
    contexts: list[Any]

    def page(self, role: str | None = None, *, lang: str = "zh-CN", phone: bool = False) -> Any:
        """A fresh browser (own cookies) signed in as ``role`` through /login; anonymous when None."""
        size = {"width": 390, "height": 844} if phone else {"width": 1440, "height": 900}
        context = self.browser.new_context(
            base_url=self.served.base,
            locale=lang,
            viewport=size,
            geolocation=INSIDE,
            permissions=["geolocation"],
        )
        context.set_default_timeout(15_000)
        self.contexts.append(context)
        page = context.new_page()
        page.on("dialog", self.dialogs)
        if role is not None:
            page.goto("/login")
            page.fill("#username", role)
            page.fill("#password", PASSWORD)
            page.press("#password", "Enter")
            page.wait_for_url(lambda u: "/login" not in u)
        return page


@pytest.fixture
def browsing(served: Served, browser: Any) -> Iterator[Browsing]:
    b = Browsing(served=served, browser=browser, dialogs=Dialogs(), contexts=[])
    yield b
    for context in b.contexts:
        context.close()
