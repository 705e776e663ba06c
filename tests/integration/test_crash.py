"""No acknowledged report is ever lost: the server is killed with SIGKILL mid-load, again and again.

A real ``civicgrid serve`` runs in its own process; this test drives report creation over loopback with an
``Idempotency-Key`` per report, kills the server at a random moment, restarts it, retries every report whose
answer it never saw, and finally checks that each report that got a 201 is stored intact, exactly once.
"""

from __future__ import annotations

import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from civicgrid.bootstrap import bootstrap
from civicgrid.config import Settings
from civicgrid.domain.roles import Actor
from civicgrid.services.grids import import_areas
from civicgrid.services.reference import seed_reference_data
from support import tiny_map

KILLS = 10
CIVICGRID = str(Path(sys.executable).with_name("civicgrid"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(db_url: str, port: int, tmp: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "CIVICGRID_PUBLIC_REPORTS_PER_MINUTE": "0",
        "CIVICGRID_UPLOAD_DIR": str(tmp / "uploads"),
        "CIVICGRID_SWEEP_INTERVAL_SECONDS": "0",
    }
    proc = subprocess.Popen(
        [CIVICGRID, "serve", "--db", db_url, "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=0.5, trust_env=False).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.05)
    proc.kill()
    raise AssertionError("the server did not start")


def body(key: str) -> dict[str, object]:
    return {"category_code": "C0101", "description": f"井盖缺失 {key}", "lon": 116.6025, "lat": 35.4025}


@pytest.mark.slow
def test_every_acknowledged_report_survives_sigkill_and_retries_make_no_duplicates(
    db_url: str, tmp_path: Path
) -> None:
    app = bootstrap(Settings(database_url=db_url))
    seed_reference_data(uow=app.uow)
    import_areas(uow=app.uow, areas=tiny_map(), actor=Actor.system(), now=app.clock())
    app.close()

    rng = random.Random(20261128)
    acknowledged: dict[str, str] = {}  # key -> case number from a 201
    unanswered: set[str] = set()  # sent, but the answer never arrived
    sequence = 0
    for _ in range(KILLS + 1):
        port = free_port()
        server = start_server(db_url, port, tmp_path)
        base = f"http://127.0.0.1:{port}"
        stop = threading.Event()

        def send(key: str, client: httpx.Client, base: str = base) -> None:
            try:
                r = client.post(f"{base}/api/v1/cases", json=body(key), headers={"Idempotency-Key": key})
            except httpx.HTTPError:
                unanswered.add(key)
                return
            assert r.status_code == 201, r.text
            assert acknowledged.setdefault(key, r.json()["number"]) == r.json()["number"]
            unanswered.discard(key)

        with httpx.Client(timeout=5, trust_env=False) as client:
            for key in sorted(unanswered):  # retries first, with their original keys
                send(key, client)
            assert not unanswered

            def load(stop: threading.Event = stop) -> None:
                nonlocal sequence
                while not stop.is_set():
                    sequence += 1
                    send(f"k{sequence:05d}", client)

            worker = threading.Thread(target=load)
            worker.start()
            time.sleep(rng.uniform(0.2, 0.8))
            os.killpg(server.pid, signal.SIGKILL)  # the whole uvicorn process group, mid-request
            server.wait(timeout=10)
            stop.set()
            worker.join(timeout=30)

    port = free_port()
    server = start_server(db_url, port, tmp_path)
    try:
        with httpx.Client(timeout=5, trust_env=False) as client:
            for key in sorted(unanswered):
                r = client.post(
                    f"http://127.0.0.1:{port}/api/v1/cases", json=body(key), headers={"Idempotency-Key": key}
                )
                assert r.status_code == 201
                acknowledged[key] = r.json()["number"]
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=10)

    engine = sa.create_engine(db_url.replace("postgresql://", "postgresql+psycopg://"))
    with engine.connect() as conn:
        stored = dict(conn.execute(sa.text("SELECT number, description FROM cases")).all())
    engine.dispose()
    assert len(acknowledged) > KILLS  # the load really ran between kills
    for key, number in acknowledged.items():
        assert stored.get(number) == f"井盖缺失 {key}", f"report {key} ({number}) was lost or changed"
    keys = [d.split()[-1] for d in stored.values()]
    assert len(keys) == len(set(keys)), "a retried report was stored twice"
    assert set(keys) == set(acknowledged)
