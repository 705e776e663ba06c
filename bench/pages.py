"""Benchmark: the resident report page's weight and speed, and the command centre's first render (issue 4).

Report page (/report, as a resident on a phone, a fresh browser each run so nothing comes from cache):
bytes transferred by every request as served (gzip on; the default map has no tiles, so none are counted),
first contentful paint and the load event, from the page's own performance clock. Bars: at most 300 KB,
first paint under 1 s on loopback. The same run measures /login the same way as a baseline.

Command centre (/command and /command/wall at 20,000 demo cases): the time until the page marks every
panel drawn (``#cc[data-ready-ms]``), measured by bench/command.py's ``measure`` (one implementation),
with its own /login baseline. Bar: under 2 s.

Prints one JSON object. Needs Debian's chromium and the Python package playwright.
Run: .venv/bin/python bench/pages.py [--db sqlite:////tmp/demo.db] [--runs 7]
(without --db it builds a demo database of 20,000 cases in a temporary folder, about a minute)
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
from _browser import require_chromium
from _server import Server, build_demo, case_count
from civicgrid.demo.browser import launch

PHONE = {"width": 390, "height": 844}
BAR_BYTES = 300 * 1024
BAR_FCP_MS = 1000
BAR_COMMAND_MS = 2000
# Every byte the page caused to be transferred: the document and each resource, headers included.
TRANSFER = """() => {
  const nav = performance.getEntriesByType('navigation')[0];
  const res = performance.getEntriesByType('resource');
  const fcp = performance.getEntriesByName('first-contentful-paint')[0];
  return {
    bytes: nav.transferSize + res.reduce((n, r) => n + r.transferSize, 0),
    requests: 1 + res.length,
    tiles: res.filter(r => /tile|\\/\\d+\\/\\d+\\/\\d+\\.(png|jpg)/.test(r.name)).length,
    fcp_ms: fcp ? fcp.startTime : null,
    load_ms: nav.loadEventEnd,
  };
}"""


def median(samples: list[float]) -> float:
    return round(statistics.median(samples), 1)


def weigh(browser: Any, url: str, runs: int) -> dict[str, Any]:
    """Bytes, requests, first paint and load of ``url`` on a phone, each run in a fresh context."""
    seen: list[dict[str, Any]] = []
    for _ in range(runs):
        context = browser.new_context(locale="zh-CN", viewport=PHONE)
        page = context.new_page()
        page.goto(url, wait_until="load")
        page.wait_for_load_state("networkidle")  # what the page's scripts fetch after load counts too
        seen.append(page.evaluate(TRANSFER))
        context.close()
    return {
        "bytes": max(s["bytes"] for s in seen),
        "requests": max(s["requests"] for s in seen),
        "tile_requests": max(s["tiles"] for s in seen),
        "fcp_p50_ms": median([s["fcp_ms"] for s in seen if s["fcp_ms"] is not None]),
        "fcp_max_ms": round(max(s["fcp_ms"] or 0 for s in seen), 1),
        "load_p50_ms": median([s["load_ms"] for s in seen]),
    }


def command_figures(base: str, runs: int) -> dict[str, Any]:
    """The command centre's first render, by bench/command.py (on main once the command pages are)."""
    try:
        from command import measure
    except ImportError:
        return {"skipped": "bench/command.py (the command centre pages) is not on this branch"}
    pages: dict[str, Any] = measure(base, runs)
    baseline = pages["login (baseline)"]["p50_ms"]
    return {
        "pages": pages,
        "ratio_to_baseline_p50": {k: round(v["p50_ms"] / baseline, 2) for k, v in pages.items() if baseline},
        "bar_ms": BAR_COMMAND_MS,
        "within_bar": all(v["p50_ms"] < BAR_COMMAND_MS for k, v in pages.items() if k.startswith("/")),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", help="an existing demo database (default: build one)")
    parser.add_argument("--cases", type=int, default=20_000, help="cases of a database built here")
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    require_chromium()
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="civicgrid-pages-bench-") as folder:
        work = Path(folder)
        url = args.db or f"sqlite:///{work / 'demo.db'}"
        if not args.db:
            build_demo(url, cases=args.cases)
        with Server(url, workers=1, workdir=work) as server:
            with sync_playwright() as p:
                browser = launch(p)
                baseline = weigh(browser, server.base + "/login", args.runs)
                report = weigh(browser, server.base + "/report", args.runs)
                browser.close()
            command = command_figures(server.base, args.runs)
        cases = case_count(url)
    print(
        json.dumps(
            {
                "bench": "pages",
                "cases": cases,
                "runs": args.runs,
                "load_average": [round(x, 2) for x in os.getloadavg()],
                "report_page": report
                | {
                    "ratio_to_login_fcp_p50": round(report["fcp_p50_ms"] / baseline["fcp_p50_ms"], 2),
                    "bar_bytes": BAR_BYTES,
                    "bar_fcp_ms": BAR_FCP_MS,
                    "within_bars": report["bytes"] <= BAR_BYTES and report["fcp_max_ms"] < BAR_FCP_MS,
                },
                "login_baseline": baseline,
                "command_centre": command,
            },
            ensure_ascii=False,
        )
    )


if __name__ == "__main__":
    main()
