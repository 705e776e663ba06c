"""Shared benchmark helpers: a throw-away demo database, a civicgrid server on loopback, CPU accounting.

Everything here talks to 127.0.0.1 only; HTTP clients ignore proxy variables (trust_env=False).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx

LOOPBACK = "127.0.0.1"
PG_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/"
CIVICGRID = str(Path(sys.executable).with_name("civicgrid"))


def civicgrid(*args: str, timeout: float = 120) -> str:
    """Run the civicgrid CLI and return its standard output (raises with its stderr on failure)."""
    done = subprocess.run(
        [CIVICGRID, *args], capture_output=True, text=True, timeout=timeout, env=_env({}), check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"civicgrid {' '.join(args)} failed ({done.returncode}): {done.stderr[-2000:]}")
    return done.stdout


def build_demo(url: str, *, seed: int = 7, cases: int = 0) -> None:
    """The demo district (2,627 micro-grids, catalogue, workers) with ``cases`` of history."""
    civicgrid("demo", "--db", url, "--seed", str(seed), "--cases", str(cases), "--no-serve")


def case_count(url: str) -> int:
    """Cases stored, as ``civicgrid stats --json`` reports them."""
    return int(json.loads(civicgrid("stats", "--db", url, "--json"))["cases"]["total"])


@contextmanager
def scratch_database(pg_server: str | None, workdir: Path) -> Iterator[str]:
    """A fresh, empty database URL: a SQLite file in ``workdir``, or a new PostgreSQL database (dropped)."""
    if pg_server is None:
        yield f"sqlite:///{workdir / 'bench.db'}"
        return
    import psycopg
    from sqlalchemy.engine import make_url

    server = make_url(pg_server)
    if server.host not in (LOOPBACK, "localhost"):
        raise SystemExit("the benchmark only talks to a PostgreSQL server on 127.0.0.1")
    name = f"civicgrid_bench_{os.getpid()}"
    admin = server.set(drivername="postgresql", database="postgres").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def free_port() -> int:
    """A TCP port nobody listens on at the moment, on loopback."""
    with socket.socket() as s:
        s.bind((LOOPBACK, 0))
        return int(s.getsockname()[1])


def _env(extra: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CIVICGRID_")}
    env.update(extra)
    return env


class Server:
    """``civicgrid serve`` in a subprocess on a free loopback port; ready once /readyz answers 200.

    With ``stages=True`` it runs the same app under uvicorn with the same options, but through
    ``instrumented_app`` below, which times the stages of intake in every worker (see ``Stages``).
    """

    def __init__(
        self,
        url: str,
        *,
        workers: int,
        workdir: Path,
        env: dict[str, str] | None = None,
        stages: bool = False,
    ) -> None:
        self.url = url
        self.workers = workers
        self.stages = Stages(workdir / "stages") if stages else None
        self.port = free_port()
        self.base = f"http://{LOOPBACK}:{self.port}"
        self.workdir = workdir
        self.env = {
            "CIVICGRID_PUBLIC_REPORTS_PER_MINUTE": "0",  # the bench is one client address: no public limit
            "CIVICGRID_UPLOAD_DIR": str(workdir / "uploads"),
            **(env or {}),
        }
        if self.stages is not None:
            self.env["CIVICGRID_DATABASE_URL"] = url
            self.env["PYTHONPATH"] = str(Path(__file__).parent)
            self.env[STAGES_DIR_VAR] = str(self.stages.folder)
        self.proc: subprocess.Popen[bytes] | None = None
        self.log = tempfile.TemporaryFile()  # noqa: SIM115 (closed in __exit__)

    def __enter__(self) -> Server:
        cmd = [CIVICGRID, "serve", "--db", self.url, "--host", LOOPBACK, "--port", str(self.port)]
        cmd += ["--workers", str(self.workers)]
        if self.stages is not None:  # what ``civicgrid serve`` runs, with the timing factory
            run = (
                f"import uvicorn; uvicorn.run('_server:instrumented_app', factory=True, host={LOOPBACK!r}, "
                f"port={self.port}, workers={self.workers}, log_level='warning', proxy_headers=True)"
            )
            cmd = [sys.executable, "-c", run]
        self.proc = subprocess.Popen(
            cmd,
            cwd=self.workdir,
            env=_env(self.env),
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, so stopping it reaches every worker
        )
        self._wait_ready(60)
        return self

    def _wait_ready(self, timeout: float) -> None:
        assert self.proc is not None
        deadline = time.monotonic() + timeout
        ready = 0
        with httpx.Client(base_url=self.base, trust_env=False, timeout=5) as client:
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    raise RuntimeError(f"the server exited ({self.proc.returncode}): {self.output()}")
                try:
                    ready = ready + 1 if client.get("/readyz").status_code == 200 else 0
                except httpx.TransportError:
                    ready = 0
                if ready >= 2 * self.workers:  # several answers: likely every worker is up
                    return
                time.sleep(0.1)
        raise RuntimeError(f"the server was not ready within {timeout} s: {self.output()}")

    def output(self) -> str:
        """What the server printed so far (the tail)."""
        self.log.seek(0)
        return self.log.read().decode(errors="replace")[-3000:]

    def cpu_seconds(self) -> float:
        """User + system CPU time used so far by the server and its worker processes."""
        assert self.proc is not None
        return process_tree_cpu(self.proc.pid)

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        os.killpg(self.proc.pid, signal.SIGINT)  # our own process group, created by start_new_session
        try:
            self.proc.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(5)
        self.log.close()


def _children(pid: int) -> list[int]:
    out: list[int] = []
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return out
    for tid in tasks:
        with suppress(OSError):
            out += [int(c) for c in Path(f"/proc/{pid}/task/{tid}/children").read_text().split()]
    return out


def process_tree_cpu(pid: int) -> float:
    """CPU seconds (user + system) of a process and all its descendants, from /proc (0 elsewhere)."""
    total, todo, tick = 0.0, [pid], os.sysconf("SC_CLK_TCK")
    while todo:
        p = todo.pop()
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / tick  # utime, stime
        todo += _children(p)
    return total


def percentile(sorted_values: list[float], q: float) -> float:
    """The q-th percentile (0-100) of already sorted values, nearest-rank."""
    if not sorted_values:
        return float("nan")
    k = max(0, min(len(sorted_values) - 1, round(q / 100 * len(sorted_values) + 0.5) - 1))
    return sorted_values[k]


def summary(latencies: list[float], errors: int, seconds: float) -> dict[str, Any]:
    """count / errors / per_s / p50_ms / p99_ms of one measured phase (latencies in seconds)."""
    lat = sorted(latencies)
    return {
        "count": len(lat),
        "errors": errors,
        "per_s": round(len(lat) / seconds, 1) if seconds > 0 else 0.0,
        "p50_ms": round(percentile(lat, 50) * 1000, 2),
        "p99_ms": round(percentile(lat, 99) * 1000, 2),
    }


# ------------------------------------------------------------------------ stage timing inside the server
STAGES_DIR_VAR = "CIVICGRID_BENCH_STAGES_DIR"
# (module, attribute path, label): the steps of POST /api/v1/cases, patched where they are looked up
STAGES = [
    ("civicgrid.entrypoints.api.routes.cases", "report_case", "report_case (all of intake)"),
    (
        "civicgrid.adapters.db.unit_of_work",
        "UnitOfWork.__enter__",
        "uow enter: connect, BEGIN IMMEDIATE (lock wait)",
    ),
    ("civicgrid.adapters.db.reference_repository", "ReferenceRepository.category", "category lookup"),
    ("civicgrid.services.locating", "Locator.locate", "locate (map_version query + index)"),
    ("civicgrid.adapters.db.case_repository", "CaseRepository.add", "insert case + number update + event"),
    ("civicgrid.adapters.db.case_repository", "CaseRepository.set_tracking_hash", "update tracking_hash"),
    ("civicgrid.adapters.db.account_repository", "AccountRepository.audit", "insert audit_log"),
    ("civicgrid.services.intake", "ReportCase.fingerprint", "fingerprint"),
    ("civicgrid.adapters.db.unit_of_work", "UnitOfWork.commit", "COMMIT (fsync)"),
    ("civicgrid.adapters.db.unit_of_work", "UnitOfWork.__exit__", "uow exit: close connection"),
]


class Stages:
    """Reads the per-worker stage totals that ``instrumented_app`` writes, as sums over all workers."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)

    def totals(self) -> dict[str, list[float]]:
        """label -> [wall s, thread CPU s, calls], summed over workers (files are rewritten every 0.2 s)."""
        time.sleep(0.5)
        out: dict[str, list[float]] = {}
        for f in self.folder.glob("*.json"):
            try:
                data = json.loads(f.read_text())
            except (OSError, ValueError):
                continue
            for label, values in data.items():
                acc = out.setdefault(label, [0.0, 0.0, 0.0])
                for i, v in enumerate(values):
                    acc[i] += v
        return out


def instrumented_app() -> Any:
    """uvicorn factory: civicgrid's app with each intake stage timed (wall and thread CPU) in this worker."""
    import importlib
    import threading

    from civicgrid.entrypoints.api.app import create_app

    totals: dict[str, list[float]] = {}
    lock = threading.Lock()

    def timed(fn: Any, label: str) -> Any:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            wall, cpu = time.perf_counter(), time.thread_time()
            try:
                return fn(*args, **kwargs)
            finally:
                wall, cpu = time.perf_counter() - wall, time.thread_time() - cpu
                with lock:
                    acc = totals.setdefault(label, [0.0, 0.0, 0.0])
                    acc[0] += wall
                    acc[1] += cpu
                    acc[2] += 1

        return wrapper

    for module_name, path, label in STAGES:
        owner: Any = importlib.import_module(module_name)
        *parents, name = path.split(".")
        for parent in parents:
            owner = getattr(owner, parent, None)
        if owner is not None and hasattr(owner, name):  # a renamed step is skipped, not fatal
            setattr(owner, name, timed(getattr(owner, name), label))

    target = Path(os.environ[STAGES_DIR_VAR]) / f"{os.getpid()}.json"

    def dump() -> None:
        while True:
            time.sleep(0.2)
            with lock:
                text = json.dumps(totals)
            tmp = target.with_suffix(".tmp")
            tmp.write_text(text)
            tmp.replace(target)

    threading.Thread(target=dump, daemon=True).start()
    return create_app()
