"""Soak: a bounded mixed load at a fixed rate for a fixed time against a real ``civicgrid serve``.

Builds a throw-away demo district with a year of history (SQLite file in a temp dir, or a fresh PostgreSQL
database with --pg), starts ``civicgrid serve`` on a free loopback port and drives it from a load generator
in its own process, open loop: requests are due at fixed times and latency counts from the time a request
was due, so a slow server cannot hide its backlog (no coordinated omission). The mix, per request:

- 60 % reports (POST /api/v1/cases, anonymous, as residents file them);
- 30 % reads and dashboards: case lists (plain, by status, by street, by text), one case, the figures per
  street, a tracking link's JSON, the areas of a street, locating a point;
- 10 % lifecycle actions on cases filed during the run, each by its role with its own bearer token:
  register and dispatch (operator), accept, start and report (the grid worker), verify (supervisor).

A case has at most one action in flight, so no answer should be a 409: a 409 is counted as an error like
any other non-2xx answer (and shown apart as ``conflicts_409``). ``/healthz`` at the same rate before and
after the mixed load is the same-run baseline. Server memory (RSS of the server and its workers) is sampled
every few seconds. Prints one JSON object. Bar (issue, 2-core machine, SQLite): 200 requests/s for 10
minutes, zero errors, p99 <= 200 ms, memory flat.

Run: .venv/bin/python bench/soak.py [--minutes 10] [--rate 200] [--pg] [--workers 2]
     .venv/bin/python bench/soak.py --minutes 1      (a short try)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing as mp
import os
import random
import shutil
import signal
import sys
import tempfile
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from _server import (
    LOOPBACK,
    PG_SERVER,
    Server,
    build_demo,
    case_count,
    percentile,
    process_tree_cpu,
    scratch_database,
    summary,
)
from intake import RawConnection, report_bodies

BAR = {"rate": 200, "minutes": 10, "p99_ms": 200, "errors": 0, "second_half_rss_growth_pct": 5}
REQUEST_TIMEOUT_S = 30.0
MAX_BACKLOG = 8  # requests waiting per connection before further ones are dropped (counted as errors)
RSS_EVERY_S = 5.0
ACTIVE_CASES = 40  # cases moving through the lifecycle at once; others wait in the filed queue
# (action, role, body) in order: a case filed during the run walks these, one step per lifecycle request.
LIFECYCLE = [
    ("register", "operator", {"note": "立案"}),
    ("dispatch", "operator", {"org_code": "chengguan", "assignee_code": "F0001"}),
    ("accept", "worker", {}),
    ("start", "worker", {}),
    ("report", "worker", {"note": "已处理完毕，现场已恢复"}),
    ("verify", "supervisor", {"ok": True}),
]
READS = [  # (name, weight)
    ("list", 3),
    ("case", 3),
    ("figures", 1),
    ("track", 2),
    ("areas", 1),
    ("locate", 2),
]


@dataclass(frozen=True)
class Plan:
    """What the generator process needs: where, how fast, how long, and the material for requests."""

    port: int
    server_pid: int
    rate: float
    seconds: float
    baseline_seconds: float
    connections: int
    seed: int
    bodies: list[bytes]
    tokens: dict[str, str]  # role -> bearer token
    history: list[str]  # case numbers of the demo's history
    streets: list[str]
    points: list[tuple[float, float]]
    skip: tuple[str, ...] = ()  # read kinds left out (diagnosis only: the bar then counts as not met)


@dataclass
class Tally:
    """Latencies (s) and statuses of one kind of request."""

    latencies: list[float] = field(default_factory=list)
    statuses: dict[str, int] = field(default_factory=dict)

    def add(self, status: str, latency: float | None) -> None:
        self.statuses[status] = self.statuses.get(status, 0) + 1
        if latency is not None:
            self.latencies.append(latency)

    @property
    def errors(self) -> int:
        return sum(n for s, n in self.statuses.items() if not s.startswith("2"))


def rss_mb(pid: int) -> float:
    """Resident memory of a process and all its descendants, in MB (from /proc)."""
    from _server import _children

    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            continue
        todo += _children(p)
    return round(total / 1024, 1)


# --------------------------------------------------------------------------------------- load generator
class Generator:
    """Sends the mix on a schedule and follows the cases it files through their lifecycle."""

    def __init__(self, plan: Plan) -> None:
        self.plan = plan
        self.rng = random.Random(plan.seed)
        self.idle: asyncio.Queue[RawConnection] = asyncio.Queue()
        for _ in range(plan.connections):
            self.idle.put_nowait(RawConnection(plan.port))
        self.tallies: dict[str, Tally] = {}
        self.filed: deque[str] = deque(maxlen=5000)  # numbers filed during the run, not yet in the lifecycle
        self.tokens: deque[str] = deque(maxlen=5000)  # tracking tokens of reports filed during the run
        self.ready: deque[tuple[str, int]] = deque()  # (number, next step) with no action in flight
        self.active = 0
        self.closed = 0
        self.minutes: list[Tally] = []
        self.rss: list[tuple[float, float]] = []
        self.created = 0

    def request(self, method: str, path: str, role: str | None = None, body: Any = None) -> bytes:
        head = f"{method} {path} HTTP/1.1\r\nHost: {LOOPBACK}:{self.plan.port}\r\nAccept-Language: en\r\n"
        if role is not None:
            head += f"Authorization: Bearer {self.plan.tokens[role]}\r\n"
        if body is None:
            return (head + "\r\n").encode()
        data = body if isinstance(body, bytes) else json.dumps(body, ensure_ascii=False).encode()
        return (
            head + f"Content-Type: application/json\r\nContent-Length: {len(data)}\r\n\r\n"
        ).encode() + data

    async def exchange(self, raw: bytes) -> tuple[int, bytes]:
        conn = await self.idle.get()
        try:
            status = await asyncio.wait_for(conn.exchange(raw), REQUEST_TIMEOUT_S)
            return status, conn.body
        except (OSError, TimeoutError, ValueError, IndexError, asyncio.IncompleteReadError):
            conn.close()
            return 0, b""
        finally:
            self.idle.put_nowait(conn)

    def record(self, kind: str, detail: str, status: int, due: float, minute: Tally | None) -> None:
        latency = time.perf_counter() - due
        for name in (kind, f"{kind}:{detail}"):
            self.tallies.setdefault(name, Tally()).add(str(status), latency)
        if minute is not None:
            minute.add(str(status), latency)

    # -- the three kinds ---------------------------------------------------------------------------------
    async def report(self, due: float, minute: Tally | None) -> None:
        body = self.plan.bodies[self.rng.randrange(len(self.plan.bodies))]
        status, answer = await self.exchange(self.request("POST", "/api/v1/cases", body=body))
        if status == 201:
            self.created += 1
            filed = json.loads(answer)
            self.filed.append(filed["number"])
            self.tokens.append(filed["tracking_token"])
        self.record("reports", "file", status, due, minute)

    def read_request(self) -> tuple[str, bytes]:
        names, weights = zip(*[r for r in READS if r[0] not in self.plan.skip], strict=True)
        name = self.rng.choices(names, weights)[0]
        p, rng = self.plan, self.rng
        if name == "list":
            query = rng.choice(
                ["", "&status=dispatched", f"&area={rng.choice(p.streets)}", "&q=%E4%BA%95%E7%9B%96"]
            )
            return name, self.request("GET", f"/api/v1/cases?page_size=20{query}", role="operator")
        if name == "case":
            pool = self.filed if self.filed and rng.random() < 0.5 else p.history
            return name, self.request("GET", f"/api/v1/cases/{rng.choice(pool)}", role="operator")
        if name == "figures":
            return name, self.request("GET", "/api/v1/figures?group_by=street", role="leader")
        if name == "track" and self.tokens:
            return name, self.request("GET", f"/api/v1/track/{rng.choice(self.tokens)}")
        if name == "areas":
            return name, self.request("GET", f"/api/v1/areas?parent={rng.choice(p.streets)}")
        lon, lat = rng.choice(p.points)
        return "locate", self.request("GET", f"/api/v1/locate?lon={lon}&lat={lat}")

    async def read(self, due: float, minute: Tally | None) -> None:
        name, raw = self.read_request()
        status, _ = await self.exchange(raw)
        self.record("reads", name, status, due, minute)

    async def lifecycle(self, due: float, minute: Tally | None) -> None:
        if self.ready and (self.active >= ACTIVE_CASES or not self.filed):
            number, step = self.ready.popleft()
        elif self.filed:
            number, step = self.filed.popleft(), 0
            self.active += 1
        else:  # nothing filed yet (the first milliseconds): a read keeps the rate
            await self.read(due, minute)
            return
        action, role, body = LIFECYCLE[step]
        status, _ = await self.exchange(self.request("POST", f"/api/v1/cases/{number}/{action}", role, body))
        if status == 200 and step + 1 < len(LIFECYCLE):
            self.ready.append((number, step + 1))
        else:  # closed, or refused: it leaves the lifecycle (a refusal is already an error)
            self.active -= 1
            self.closed += status == 200
        self.record("lifecycle", action, status, due, minute)

    async def healthz(self, due: float, minute: Tally | None) -> None:
        status, _ = await self.exchange(self.request("GET", "/healthz"))
        self.record("baseline", "healthz", status, due, minute)

    # -- the schedule --------------------------------------------------------------------------------------
    async def schedule(self, seconds: float, pick: Any, *, mixed: bool) -> float:
        """Send one request every 1/rate s for ``seconds``; returns the wall time including stragglers."""
        tasks: set[asyncio.Task[None]] = set()
        start = time.perf_counter()
        end, n = start + seconds, 0
        minute: Tally | None = None
        next_rss = start
        while (due := start + n / self.plan.rate) < end:
            if mixed and n % int(self.plan.rate * 60) == 0:
                minute = Tally()
                self.minutes.append(minute)
                self.progress(start)
            if mixed and due >= next_rss:
                self.rss.append((round(due - start, 1), rss_mb(self.plan.server_pid)))
                next_rss += RSS_EVERY_S
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            n += 1
            send = pick()
            if (
                len(tasks) >= MAX_BACKLOG * self.plan.connections
            ):  # far behind: lost, and the run stays bounded
                kind = "baseline" if send == self.healthz else "dropped"
                self.tallies.setdefault(kind, Tally()).add("dropped", None)
                if minute is not None:
                    minute.add("dropped", None)
                continue
            task = asyncio.create_task(send(due, minute))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
        if tasks:
            await asyncio.gather(*tasks)
        if mixed:
            self.rss.append((round(time.perf_counter() - start, 1), rss_mb(self.plan.server_pid)))
        return time.perf_counter() - start

    def pick_mixed(self) -> Any:
        r = self.rng.random()
        return self.report if r < 0.6 else self.read if r < 0.9 else self.lifecycle

    def progress(self, start: float) -> None:
        if len(self.minutes) < 2:
            return
        last = self.minutes[-2]
        lat = sorted(last.latencies)
        print(
            f"[soak] {time.perf_counter() - start:5.0f} s: last minute {len(lat)} answers, "
            f"{last.errors} errors, p99 {percentile(lat, 99) * 1000:.1f} ms, "
            f"server RSS {self.rss[-1][1] if self.rss else 0} MB",
            file=sys.stderr,
            flush=True,
        )

    async def run(self) -> dict[str, Any]:
        p = self.plan
        base_before = await self.schedule(p.baseline_seconds, lambda: self.healthz, mixed=False)
        cpu0 = process_tree_cpu(p.server_pid)
        wall = await self.schedule(p.seconds, self.pick_mixed, mixed=True)
        server_cpu = process_tree_cpu(p.server_pid) - cpu0
        base_after = await self.schedule(p.baseline_seconds, lambda: self.healthz, mixed=False)
        while not self.idle.empty():
            self.idle.get_nowait().close()
        return {
            "tallies": {k: (v.latencies, v.statuses) for k, v in self.tallies.items()},
            "minutes": [(m.latencies, m.statuses) for m in self.minutes],
            "rss": self.rss,
            "wall": wall,
            "baseline_wall": base_before + base_after,
            "server_cpu": server_cpu,
            "created": self.created,
            "closed": self.closed,
        }


def run_generator(plan: Plan) -> dict[str, Any]:
    """Entry point of the generator process (uvloop when available, as the server uses)."""
    try:
        import uvloop

        return uvloop.run(Generator(plan).run())
    except ImportError:
        return asyncio.run(Generator(plan).run())


# ---------------------------------------------------------------------------------------------- setup
def sign_in_all(base: str) -> dict[str, str]:
    """A bearer token for each demo role the mix uses."""
    from civicgrid.demo.accounts import demo_password

    tokens = {}
    with httpx.Client(base_url=base, trust_env=False, timeout=60) as client:
        for role in ("operator", "supervisor", "leader", "worker"):
            r = client.post("/api/v1/auth/token", json={"username": role, "password": demo_password(role)})
            r.raise_for_status()
            tokens[role] = r.json()["access_token"]
    return tokens


def material(base: str, token: str, seed: int) -> tuple[list[str], list[str], list[tuple[float, float]]]:
    """Case numbers of the history, street codes and points inside the district, read from the server."""
    rng = random.Random(seed)
    auth = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=base, trust_env=False, timeout=60, headers=auth) as client:
        history = [
            item["number"]
            for page in range(1, 6)
            for item in client.get("/api/v1/cases", params={"page": page, "page_size": 200}).json()["items"]
        ]
        streets = [a["code"] for a in client.get("/api/v1/areas").json()]
    points = [(json.loads(b)["lon"], json.loads(b)["lat"]) for b in report_bodies(base, 200, seed + 1)]
    rng.shuffle(points)
    return history, streets, points


# --------------------------------------------------------------------------------------------- report
def kind_summary(latencies: list[float], statuses: dict[str, int], seconds: float) -> dict[str, Any]:
    errors = sum(n for s, n in statuses.items() if not s.startswith("2"))
    out = summary(latencies, errors, seconds)
    out["max_ms"] = round(max(latencies, default=0.0) * 1000, 1)
    if errors:
        out["statuses"] = statuses
    return out


def memory(rss: list[tuple[float, float]]) -> dict[str, Any]:
    """RSS at the start, middle and end of the mixed load, and how much it grew."""
    if not rss:
        return {}
    start, end = rss[0][1], rss[-1][1]
    middle = min(rss, key=lambda s: abs(s[0] - rss[-1][0] / 2))[1]
    second_half = round(100 * (end - middle) / middle, 1) if middle else None
    return {
        "rss_mb_start": start,
        "rss_mb_middle": middle,
        "rss_mb_end": end,
        "rss_mb_max": max(mb for _, mb in rss),
        "growth_mb": round(end - start, 1),
        "growth_pct": round(100 * (end - start) / start, 1) if start else None,
        "second_half_growth_pct": second_half,
        "samples": len(rss),
        "every_s": RSS_EVERY_S,
    }


def report(args: argparse.Namespace, out: dict[str, Any], url: str, stored: int) -> dict[str, Any]:
    tallies = out["tallies"]
    mixed = {k: v for k, v in tallies.items() if k.split(":")[0] in ("reports", "reads", "lifecycle")}
    wall = out["wall"]
    overall_lat = [x for k, (lat, _) in mixed.items() if ":" not in k for x in lat]
    overall_statuses: dict[str, int] = {}
    for k, (_, statuses) in mixed.items():
        if ":" not in k:
            for s, n in statuses.items():
                overall_statuses[s] = overall_statuses.get(s, 0) + n
    dropped = tallies.get("dropped", ([], {}))[1].get("dropped", 0)
    overall = kind_summary(overall_lat, overall_statuses, wall)
    overall["errors"] += dropped
    mem = memory(out["rss"])
    base = kind_summary(*tallies.get("baseline", ([], {})), out["baseline_wall"])
    answered = len(overall_lat)
    engine = "sqlite" if url.startswith("sqlite") else "postgresql"
    met = (
        not args.skip
        and overall["per_s"] >= BAR["rate"] * 0.99
        and args.minutes >= BAR["minutes"]
        and overall["errors"] == 0
        and overall["p99_ms"] <= BAR["p99_ms"]
        and (mem.get("second_half_growth_pct") or 0) <= BAR["second_half_rss_growth_pct"]
    )
    return {
        "engine": engine,
        "workers": args.workers,
        "rate": args.rate,
        "minutes": args.minutes,
        "history_cases": args.cases,
        "connections": args.connections,
        "reads_skipped": args.skip,
        "achieved_per_s": overall["per_s"],
        "overall": overall,
        "kinds": {k: kind_summary(*mixed[k], wall) for k in ("reports", "reads", "lifecycle") if k in mixed},
        "detail": {k: kind_summary(*v, wall) for k, v in sorted(mixed.items()) if ":" in k},
        "conflicts_409": overall_statuses.get("409", 0),
        "dropped": dropped,
        "lifecycle_closed": out["closed"],
        "baseline_healthz": base,
        "ratio_p99_to_baseline": round(overall["p99_ms"] / base["p99_ms"], 2) if base["p99_ms"] else None,
        "per_minute": [
            {"minute": i + 1, **kind_summary(lat, st, 60.0)} for i, (lat, st) in enumerate(out["minutes"])
        ],
        "memory": mem,
        "server_cpu_ms_per_req": round(out["server_cpu"] / max(1, answered) * 1000, 3),
        "created_201": out["created"],
        "stored": stored,
        "stored_match": stored == out["created"],
        "bar": {**BAR, "met": bool(met)},
        "note": f"generator (one process) and server share this machine's {os.cpu_count()} cores with other "
        "tenants; latency counted from the scheduled send time to the full answer; a 409 counts as an error "
        "(no two actions on one case are ever in flight); memory flat = RSS grows at most "
        f"{BAR['second_half_rss_growth_pct']} % over the second half of the run",
    }


# ---------------------------------------------------------------------------------------------- main
def main() -> None:
    """Build, serve, soak, check, print one JSON object."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--minutes", type=float, default=10, help="Length of the mixed load (minutes).")
    ap.add_argument("--rate", type=float, default=200, help="Requests per second, all kinds together.")
    ap.add_argument("--baseline-seconds", type=float, default=20, help="/healthz before and after, each.")
    ap.add_argument("--workers", type=int, default=2, help="Server worker processes.")
    ap.add_argument("--connections", type=int, default=48, help="Keep-alive connections of the generator.")
    ap.add_argument("--cases", type=int, default=20000, help="Cases of history in the demo built.")
    ap.add_argument("--pg", action="store_true", help="Use a fresh PostgreSQL database (dropped after).")
    ap.add_argument("--pg-server", default=PG_SERVER, help="PostgreSQL server URL for --pg (loopback only).")
    ap.add_argument("--template", type=Path, help="A SQLite demo database to copy instead of building one.")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument(
        "--skip",
        action="append",
        default=[],
        choices=[name for name, _ in READS],
        help="Leave a kind of read out of the mix (to see what the others cost; the bar is then not met).",
    )
    args = ap.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # still stop the server and drop the database

    with tempfile.TemporaryDirectory(prefix="civicgrid-soak-") as tmp:
        workdir = Path(tmp)
        with scratch_database(args.pg_server if args.pg else None, workdir) as url:
            if args.template and not args.pg:
                shutil.copy(args.template, workdir / "bench.db")
            else:
                build_demo(url, seed=args.seed, cases=args.cases)
            before = case_count(url)
            server = Server(url, workers=args.workers, workdir=workdir)
            ctx = mp.get_context("spawn")
            with server, ctx.Pool(1) as pool:
                assert server.proc is not None
                tokens = sign_in_all(server.base)
                history, streets, points = material(server.base, tokens["operator"], args.seed)
                plan = Plan(
                    port=server.port,
                    server_pid=server.proc.pid,
                    rate=args.rate,
                    seconds=args.minutes * 60,
                    baseline_seconds=args.baseline_seconds,
                    connections=args.connections,
                    seed=args.seed,
                    bodies=report_bodies(server.base, 5000, args.seed),
                    tokens=tokens,
                    history=history,
                    streets=streets,
                    points=points,
                    skip=tuple(args.skip),
                )
                out = pool.apply(run_generator, (plan,))
                if any(not s.startswith("2") for _, st in out["tallies"].values() for s in st):
                    print(f"server output (tail):\n{server.output()}", file=sys.stderr)
            stored = case_count(url) - before
    print(json.dumps(report(args, out, url, stored), ensure_ascii=False))


if __name__ == "__main__":
    main()
