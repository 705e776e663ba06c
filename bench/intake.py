"""Benchmark: report intake (POST /api/v1/cases) against the trivial GET /healthz, same server, same run.

Builds a throw-away demo district (SQLite file in a temp dir, or a fresh PostgreSQL database with --pg),
starts ``civicgrid serve`` on a free loopback port, and drives both endpoints from a load generator in
separate processes (closed loop with --concurrency connections, or a fixed --rate), alternating the two
endpoints in --rounds slices so that noise on the shared machine hits both alike. Prints one JSON object.
Bar (issue, 2-core machine, SQLite): >= 1,000 reports/s with p99 <= 50 ms.

Run: .venv/bin/python bench/intake.py [--pg] [--workers 2] [--concurrency 32] [--duration 15] [--rate R]
     add --stages to time each step of intake inside the server workers (wall and CPU ms per report).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing as mp
import os
import random
import signal
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import shapely

from _server import (
    LOOPBACK,
    PG_SERVER,
    Server,
    build_demo,
    case_count,
    scratch_database,
    summary,
)

BAR = {"reports_per_s": 1000, "p99_ms": 50}
REQUEST_TIMEOUT_S = 30.0
MAX_BACKLOG = 8  # fixed rate: requests waiting per connection before further ones are dropped (errors)
WORDS = ["井盖缺失", "路灯不亮", "垃圾满溢", "占道经营", "污水外溢", "树木倒伏", "噪音扰民", "违章停车"]


@dataclass(frozen=True)
class Phase:
    """One slice of load on one endpoint, run by each generator process on its share of connections."""

    port: int
    method: str
    path: str
    bodies: list[bytes]  # empty for GET
    connections: int
    seconds: float
    rate: float | None  # requests/s for this process, None for closed loop
    client: str  # "raw" (minimal HTTP/1.1 over asyncio streams) or "httpx"
    seed: int


# --------------------------------------------------------------------------------------- load generator
class RawConnection:
    """A keep-alive HTTP/1.1 connection that only writes prepared requests and reads status + body.

    The last answer's body is kept in ``body`` (the soak reads case numbers from it).
    """

    def __init__(self, port: int) -> None:
        self.port = port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None
        self.body = b""

    async def exchange(self, request: bytes) -> int:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(LOOPBACK, self.port)
        assert self.reader is not None
        self.writer.write(request)
        status_line = await self.reader.readline()
        if not status_line:
            raise ConnectionError("server closed the connection")
        status = int(status_line.split(b" ", 2)[1])
        length, close, chunked = 0, False, False
        while (line := await self.reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                length = int(value)
            elif name == b"connection":
                close = b"close" in value.lower()
            elif name == b"transfer-encoding":
                chunked = b"chunked" in value.lower()
        if chunked:
            parts = []
            while (size := int((await self.reader.readline()).split(b";")[0], 16)) > 0:
                parts.append((await self.reader.readexactly(size + 2))[:-2])
            await self.reader.readline()
            self.body = b"".join(parts)
        else:
            self.body = await self.reader.readexactly(length)
        if close:
            self.close()
        return status

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


def _raw_requests(phase: Phase) -> list[bytes]:
    head = f"{phase.method} {phase.path} HTTP/1.1\r\nHost: {LOOPBACK}:{phase.port}\r\nAccept-Language: en\r\n"
    if not phase.bodies:
        return [(head + "\r\n").encode()]
    return [
        (head + f"Content-Type: application/json\r\nContent-Length: {len(b)}\r\n\r\n").encode() + b
        for b in phase.bodies
    ]


async def _drive(phase: Phase) -> dict[str, Any]:
    """Run one phase; latencies of requests started before the end, statuses of every request sent."""
    rng = random.Random(phase.seed)
    raw = _raw_requests(phase)
    next_i = rng.randrange(len(raw))
    latencies: list[float] = []
    statuses: dict[str, int] = {}
    http = None
    if phase.client == "httpx":
        http = httpx.AsyncClient(
            base_url=f"http://{LOOPBACK}:{phase.port}",
            trust_env=False,
            timeout=REQUEST_TIMEOUT_S,
            limits=httpx.Limits(
                max_connections=phase.connections, max_keepalive_connections=phase.connections
            ),
            headers={"Accept-Language": "en", "Content-Type": "application/json"},
        )
    idle: asyncio.Queue[RawConnection] = asyncio.Queue()
    for _ in range(phase.connections):
        idle.put_nowait(RawConnection(phase.port))

    async def one(scheduled: float) -> None:
        nonlocal next_i
        i, next_i = next_i, (next_i + 1) % len(raw)
        conn = await idle.get() if http is None else None
        try:
            if http is not None:
                body = phase.bodies[i % len(phase.bodies)] if phase.bodies else None
                response = await http.request(phase.method, phase.path, content=body)
                status = response.status_code
            else:
                assert conn is not None
                status = await asyncio.wait_for(conn.exchange(raw[i]), REQUEST_TIMEOUT_S)
        except (OSError, TimeoutError, ValueError, IndexError, httpx.HTTPError, asyncio.IncompleteReadError):
            status = 0
            if conn is not None:
                conn.close()
        finally:
            if conn is not None:
                idle.put_nowait(conn)
        latencies.append(time.perf_counter() - scheduled)
        statuses[str(status)] = statuses.get(str(status), 0) + 1

    cpu0, start = time.process_time(), time.perf_counter()
    end = start + phase.seconds
    if phase.rate is None:  # closed loop: each connection sends its next request when the answer arrives

        async def loop() -> None:
            while (t := time.perf_counter()) < end:
                await one(t)

        await asyncio.gather(*(loop() for _ in range(phase.connections)))
    else:  # open loop: requests due at fixed times, latency counted from then (no coordinated omission)
        tasks: set[asyncio.Task[None]] = set()
        n = 0
        while (due := start + n / phase.rate) < end:
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            n += 1
            if (
                len(tasks) >= MAX_BACKLOG * phase.connections
            ):  # far behind: count it lost, keep the run bounded
                statuses["dropped"] = statuses.get("dropped", 0) + 1
                continue
            task = asyncio.create_task(one(due))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
        if tasks:
            await asyncio.gather(*tasks)
    wall = time.perf_counter() - start
    cpu = time.process_time() - cpu0
    while not idle.empty():
        idle.get_nowait().close()
    if http is not None:
        await http.aclose()
    return {"latencies": latencies, "statuses": statuses, "wall": wall, "cpu": cpu}


def run_phase(phase: Phase) -> dict[str, Any]:
    """Entry point of a generator process (uvloop when available, as the server uses)."""
    try:
        import uvloop

        return uvloop.run(_drive(phase))
    except ImportError:
        return asyncio.run(_drive(phase))


# ------------------------------------------------------------------------------------------ workload
def report_bodies(base: str, n: int, seed: int) -> list[bytes]:
    """``n`` report bodies: random points in random micro-grids, random categories, a phone to call back."""
    rng = random.Random(seed)
    with httpx.Client(base_url=base, trust_env=False, timeout=60) as client:
        codes = [c["code"] for c in client.get("/api/v1/categories").json()]
        features = client.get("/api/v1/areas/geojson", params={"level": "microgrid"}).json()["features"]
    polygons = [shapely.geometry.shape(f["geometry"]) for f in features]
    shapely.prepare(polygons)
    bodies = []
    for k in range(n):
        poly = rng.choice(polygons)
        minx, miny, maxx, maxy = poly.bounds
        while True:
            lon, lat = rng.uniform(minx, maxx), rng.uniform(miny, maxy)
            if shapely.contains_xy(poly, lon, lat):
                break
        body = {
            "category_code": rng.choice(codes),
            "description": f"{rng.choice(WORDS)}，请尽快处理（压测 {k}）",
            "lon": round(lon, 7),
            "lat": round(lat, 7),
            "reporter_name": "压测",
            "reporter_phone": f"138{rng.randrange(10**8):08d}",
        }
        bodies.append(json.dumps(body, ensure_ascii=False).encode())
    return bodies


def machine_cpu() -> list[int]:
    """[busy, total] jiffies of all CPUs since boot, from /proc/stat ([0, 0] elsewhere)."""
    try:
        with open("/proc/stat") as f:
            fields = [int(x) for x in f.readline().split()[1:]]
    except OSError:
        return [0, 0]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    return [sum(fields) - idle, sum(fields)]


class Load:
    """Runs phases on ``procs`` generator processes at once and accumulates per-endpoint results."""

    def __init__(self, pool: Any, server: Server, args: argparse.Namespace) -> None:
        self.pool, self.server, self.args = pool, server, args
        self.results: dict[str, dict[str, Any]] = {}
        self.created = 0  # every 201 of the reports endpoint, warm-up included (for stored_match)
        self.stages: dict[str, list[float]] = {}  # label -> [wall s, cpu s, calls], measured report phases

    def run(
        self, name: str, method: str, path: str, bodies: list[bytes], seconds: float, measure: bool
    ) -> None:
        a = self.args
        procs = a.gen_procs
        phases = [
            Phase(
                port=self.server.port,
                method=method,
                path=path,
                bodies=bodies,
                connections=a.concurrency // procs + (1 if p < a.concurrency % procs else 0),
                seconds=seconds,
                rate=a.rate / procs if a.rate else None,
                client=a.client,
                seed=a.seed * 1000 + p + len(self.results.get(name, {}).get("walls", [])),
            )
            for p in range(procs)
        ]
        timing = self.server.stages if measure and name == "reports" else None
        before = timing.totals() if timing else {}
        cpu0, machine0 = self.server.cpu_seconds(), machine_cpu()
        outs = self.pool.map(run_phase, phases)
        server_cpu = self.server.cpu_seconds() - cpu0
        machine = [b - a for a, b in zip(machine0, machine_cpu(), strict=True)]
        if timing:
            for label, values in timing.totals().items():
                acc_stage = self.stages.setdefault(label, [0.0, 0.0, 0.0])
                for i, v in enumerate(values):
                    acc_stage[i] += v - before.get(label, [0.0, 0.0, 0.0])[i]
        if name == "reports":
            self.created += sum(o["statuses"].get("201", 0) for o in outs)
        if not measure:
            return
        ok = "201" if name == "reports" else "200"
        acc = self.results.setdefault(
            name,
            {"latencies": [], "errors": 0, "walls": [], "gen_cpu": 0.0, "server_cpu": 0.0, "statuses": {}},
        )
        for o in outs:
            acc["latencies"] += o["latencies"]  # every answered request; errors are counted, not dropped
            acc["errors"] += sum(n for s, n in o["statuses"].items() if s != ok)
            acc["gen_cpu"] += o["cpu"]
            for s, n in o["statuses"].items():
                acc["statuses"][s] = acc["statuses"].get(s, 0) + n
        acc["walls"].append(max(o["wall"] for o in outs))
        acc["server_cpu"] += server_cpu
        acc["machine_busy"] = [a + b for a, b in zip(acc.get("machine_busy", [0, 0]), machine, strict=True)]

    def summary(self, name: str) -> dict[str, Any]:
        acc = self.results[name]
        out = summary(acc["latencies"], acc["errors"], sum(acc["walls"]))
        n = max(1, out["count"])
        out["server_cpu_ms_per_req"] = round(acc["server_cpu"] / n * 1000, 3)
        out["generator_cpu_ms_per_req"] = round(acc["gen_cpu"] / n * 1000, 3)
        busy, total = acc["machine_busy"]
        out["machine_cpu_busy_pct"] = round(100 * busy / total, 1) if total else None
        if acc["errors"]:
            out["statuses"] = acc["statuses"]
        return out

    def stage_summary(self) -> dict[str, dict[str, float]]:
        """Per stage: wall and thread-CPU ms per report (every report the server handled while measured)."""
        reports = self.stages.get("report_case (all of intake)", [0.0, 0.0, 0.0])[2] or 1
        return {
            label: {"wall_ms": round(w / reports * 1000, 3), "cpu_ms": round(c / reports * 1000, 3)}
            for label, (w, c, _) in sorted(self.stages.items(), key=lambda kv: -kv[1][0])
        }


# ---------------------------------------------------------------------------------------------- main
def main() -> None:
    """Build, serve, load, check, print one JSON object."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--pg", action="store_true", help="Use a fresh PostgreSQL database (dropped after).")
    ap.add_argument("--pg-server", default=PG_SERVER, help="PostgreSQL server URL for --pg (loopback only).")
    ap.add_argument("--db", help="Use this existing database (with a map) as is; nothing built or dropped.")
    ap.add_argument("--workers", type=int, default=2, help="Server worker processes.")
    ap.add_argument("--concurrency", type=int, default=32, help="Connections in all (closed-loop clients).")
    ap.add_argument("--rate", type=float, help="Fixed request rate per endpoint (open loop) instead.")
    ap.add_argument("--duration", type=float, default=15, help="Measured seconds per endpoint.")
    ap.add_argument("--rounds", type=int, default=3, help="Alternating trivial/report slices.")
    ap.add_argument("--warmup", type=float, default=2, help="Unmeasured seconds per endpoint first.")
    ap.add_argument("--gen-procs", type=int, default=1, help="Load generator processes.")
    ap.add_argument("--client", choices=["raw", "httpx"], default="raw")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--stages", action="store_true", help="Time intake's steps inside the server.")
    args = ap.parse_args()
    # A terminated run still stops its server and drops its database (the context managers' exits run).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    if args.concurrency < args.gen_procs:
        ap.error("--concurrency must be at least --gen-procs")

    with tempfile.TemporaryDirectory(prefix="civicgrid-bench-") as tmp:
        workdir = Path(tmp)
        with scratch_database(None if args.db or not args.pg else args.pg_server, workdir) as scratch:
            url = args.db or scratch
            if not args.db:
                build_demo(url, seed=args.seed, cases=0)
            before = case_count(url)
            ctx = mp.get_context("spawn")
            server = Server(url, workers=args.workers, workdir=workdir, stages=args.stages)
            with server, ctx.Pool(args.gen_procs) as pool:
                bodies = report_bodies(server.base, 5000, args.seed)
                load = Load(pool, server, args)
                trivial = ("trivial", "GET", "/healthz", [])
                reports = ("reports", "POST", "/api/v1/cases", bodies)
                for endpoint in (trivial, reports):
                    load.run(*endpoint, seconds=args.warmup, measure=False)
                for _ in range(args.rounds):
                    for endpoint in (trivial, reports):
                        load.run(*endpoint, seconds=args.duration / args.rounds, measure=True)
                failed = {s for r in load.results.values() for s in r["statuses"]} - {"200", "201", "dropped"}
                if failed:
                    print(f"server output (tail):\n{server.output()}", file=sys.stderr)
            stored = case_count(url) - before

    rep, triv = load.summary("reports"), load.summary("trivial")
    engine = "sqlite" if url.startswith("sqlite") else url.split(":", 1)[0].split("+")[0]
    out = {
        "engine": engine,
        "workers": args.workers,
        "concurrency": args.concurrency,
        "mode": f"fixed rate {args.rate}/s" if args.rate else "closed loop",
        "client": args.client,
        "generator_procs": args.gen_procs,
        "duration_s": args.duration,
        "reports": rep,
        "trivial": triv,
        "ratio_per_s": round(rep["per_s"] / triv["per_s"], 3) if triv["per_s"] else None,
        "ratio_p50": round(rep["p50_ms"] / triv["p50_ms"], 2) if triv["p50_ms"] else None,
        "stored": stored,
        "created_201": load.created,
        "stored_match": stored == load.created,
        "bar": {
            **BAR,
            "met": bool(
                rep["per_s"] >= BAR["reports_per_s"] and rep["p99_ms"] <= BAR["p99_ms"] and rep["errors"] == 0
            ),
        },
        **({"stages_per_report": load.stage_summary()} if args.stages else {}),
        "note": f"load generator and server share this machine's {os.cpu_count()} cores (generator in its "
        "own process(es); *_cpu_ms_per_req show each side's CPU, machine_cpu_busy_pct everything incl. the "
        "database server and other tenants); latency = client-side, send to full response",
    }
    print(json.dumps(out, ensure_ascii=False))


if __name__ == "__main__":
    main()
