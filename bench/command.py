"""Benchmark: first render of the command centre (desk and wall) at 20,000 demo cases, in headless Chromium.

"First render" is from the start of navigation to the moment the page's script marks every panel drawn
(figures, map with its areas coloured, trend chart): ``#cc[data-ready-ms]``, read from the page's own
performance clock. Each run is a fresh browser context (no cache: ECharts' 1 MB is fetched every time).
In the same run it times the sign-in page's load event as a baseline, so a loaded machine shows as a
ratio. Bar (issue 4): the command centre renders in under 2 s at 20,000 demo cases.

Prints one JSON object. Needs Debian's chromium and the Python package playwright.
Run: .venv/bin/python bench/command.py [--db sqlite:////tmp/demo.db] [--runs 7]
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
from civicgrid.demo.accounts import demo_password
from civicgrid.demo.browser import launch

PAGES = (("/command", 1440, 900), ("/command", 1920, 1080), ("/command/wall", 1920, 1080))


def summary(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "p50_ms": round(statistics.median(ordered), 1),
        "p95_ms": round(ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))], 1),
        "max_ms": round(ordered[-1], 1),
    }


def measure(base: str, runs: int) -> dict[str, Any]:
    from playwright.sync_api import sync_playwright

    times: dict[str, list[float]] = {"login (baseline)": []}
    with sync_playwright() as p:
        browser = launch(p)
        for _ in range(runs):
            context = browser.new_context(locale="zh-CN")
            page = context.new_page()
            page.goto(base + "/login", wait_until="load")
            times["login (baseline)"].append(
                page.evaluate("performance.getEntriesByType('navigation')[0].loadEventEnd")
            )
            page.fill("#username", "leader")
            page.fill("#password", demo_password("leader"))
            page.click("button[type=submit]")
            page.wait_for_url("**/command")
            for path, width, height in PAGES:
                # A new page each time: nothing of the previous render stays in memory.
                view = context.new_page()
                view.set_viewport_size({"width": width, "height": height})
                view.goto(base + path)
                view.wait_for_selector("#cc[data-ready-ms]", timeout=30_000)
                ms = float(view.get_attribute("#cc", "data-ready-ms") or "nan")
                times.setdefault(f"{path} {width}x{height}", []).append(ms)
                view.close()
            context.close()
        browser.close()
    return {name: summary(samples) for name, samples in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", help="an existing demo database (default: build one)")
    parser.add_argument("--cases", type=int, default=20_000, help="cases of a database built here")
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    require_chromium()
    with tempfile.TemporaryDirectory(prefix="civicgrid-command-bench-") as folder:
        work = Path(folder)
        url = args.db or f"sqlite:///{work / 'demo.db'}"
        if not args.db:
            build_demo(url, cases=args.cases)
        with Server(url, workers=1, workdir=work) as server:
            pages = measure(server.base, args.runs)
    baseline = pages["login (baseline)"]["p50_ms"]
    print(
        json.dumps(
            {
                "bench": "command",
                "cases": case_count(url) if args.db else args.cases,
                "runs": args.runs,
                "load_average": [round(x, 2) for x in os.getloadavg()],
                "pages": pages,
                "ratio_to_baseline_p50": {
                    name: round(v["p50_ms"] / baseline, 2) for name, v in pages.items() if baseline
                },
                "bar_ms": 2000,
            },
            ensure_ascii=False,
        )
    )


if __name__ == "__main__":
    main()
