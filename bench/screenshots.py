"""PNGs of every page in both languages at phone and desk sizes into docs/screenshots/ (make screenshots).

The pages come from the page routers (``civicgrid.entrypoints.web.PAGE_ROUTERS``): every GET route except
files and redirects, opened by a role that may see it; ``/cases/{number}`` with a case of the demo and
``/track/{token}`` and ``/report/sent/{token}`` with a report this script files through the public API.
Names are ``<page>-<lang>-<size>.png`` (``cases-number-en-desk.png``); ``/command/wall`` is also taken
at 1920x1080 (``-wall``). Every PNG is reduced to a 256-colour palette (a tenth of the bytes, text stays
sharp). Only the set the README shows is committed (docs/screenshots/.gitignore).

Run: .venv/bin/python bench/screenshots.py [--db sqlite:///demo.db] [--only report,command]
(without --db it builds the demo database once in /tmp and reuses it: about 15 s the first time)
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from PIL import Image

sys.path.insert(0, str(Path(__file__).parent))
from _browser import require_chromium, sign_in
from _server import Server, build_demo
from civicgrid.demo.browser import OPENERS, launch, opener_of, page_paths

OUT = Path(__file__).parents[1] / "docs" / "screenshots"
SIZES = {"phone": (390, 844), "desk": (1440, 900)}
WALL = (1920, 1080)
# Twelve sign-ins a run (six roles, two languages) pass the default limit per client address.
NO_SIGN_IN_LIMIT = {"CIVICGRID_SIGN_INS_PER_MINUTE": "0"}
LANGS = ("zh-CN", "en")


def slug(path: str) -> str:
    return re.sub(r"[{}]", "", path.strip("/").replace("/", "-")) or "home"


def sample_report(context: Any, base: str) -> str:
    """A report filed through the public API at a micro-grid of the demo; its tracking token."""
    areas = context.request.get(base + "/api/v1/areas/geojson?level=microgrid").json()["features"]
    ring = areas[len(areas) // 2]["geometry"]["coordinates"][0]
    if isinstance(ring[0][0], list):  # a MultiPolygon
        ring = ring[0]
    lon = sum(p[0] for p in ring) / len(ring)
    lat = sum(p[1] for p in ring) / len(ring)
    body = {
        "source": "web",
        "category_code": "C0101",
        "description": "小区门口井盖缺失，晚上很危险",
        "lon": lon,
        "lat": lat,
        "anonymous": True,
    }
    answer = context.request.post(
        base + "/api/v1/cases", data=body, headers={"Idempotency-Key": f"shots-{time.time_ns()}"}
    )
    if not answer.ok:
        raise SystemExit(f"could not file the sample report: {answer.status} {answer.text()[:300]}")
    return str(answer.json()["tracking_token"])


def sample_case(context: Any, base: str) -> str:
    """The first case in progress on the operator's case list (one with a history to show)."""
    page = context.new_page()
    page.goto(base + "/cases?status=in_progress")
    found = re.search(r'href="/cases/([^"/?#]+)"', page.content())
    page.close()
    if not found:
        raise SystemExit("the demo has no case to show on /cases/{number}")
    return found.group(1)


def shoot(context: Any, url: str, size: tuple[int, int], target: Path) -> None:
    page = context.new_page()
    page.set_viewport_size({"width": size[0], "height": size[1]})
    page.goto(url, wait_until="networkidle", timeout=60_000)
    if page.locator("#cc").count():  # the command centre marks when every panel is drawn
        page.wait_for_selector("#cc[data-ready-ms]", timeout=30_000)
    page.wait_for_timeout(300)  # map tiles of boundaries and chart animations settle
    page.screenshot(path=str(target), full_page=size != WALL)
    page.close()
    image = Image.open(target).convert("RGB")
    image.quantize(colors=256, method=Image.Quantize.MEDIANCUT).save(target, optimize=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", help="an existing demo database (default: built once in /tmp and reused)")
    parser.add_argument("--only", default="", help="comma-separated slugs to take (default: every page)")
    args = parser.parse_args()
    require_chromium()
    url = args.db or f"sqlite:///{tempfile.gettempdir()}/civicgrid-screenshots-{os.getuid()}.db"
    if not args.db and not Path(url.removeprefix("sqlite:///")).exists():
        build_demo(url)
    only = {s for s in args.only.split(",") if s}
    OUT.mkdir(parents=True, exist_ok=True)
    from playwright.sync_api import sync_playwright

    started = time.monotonic()
    written = 0
    with (
        tempfile.TemporaryDirectory(prefix="civicgrid-shots-") as folder,
        Server(url, workers=1, workdir=Path(folder), env=NO_SIGN_IN_LIMIT) as server,
        sync_playwright() as p,
    ):
        browser = launch(p)
        for lang in LANGS:
            contexts: dict[str | None, Any] = {}
            for user in {user for _, user in OPENERS}:
                contexts[user] = browser.new_context(locale=lang)
                if user is not None:
                    sign_in(contexts[user], server.base, user)
            token = sample_report(contexts[None], server.base)
            number = sample_case(contexts["operator"], server.base)
            for path in page_paths():
                name = slug(path)
                if only and name not in only:
                    continue
                real = path.replace("{number}", number).replace("{token}", token)
                if "{" in real:
                    continue  # a page that needs an id this script does not make
                context = contexts[opener_of(path)]
                sizes = dict(SIZES) | ({"wall": WALL} if path == "/command/wall" else {})
                for size_name, size in sizes.items():
                    shoot(context, server.base + real, size, OUT / f"{name}-{lang}-{size_name}.png")
                    written += 1
            for context in contexts.values():
                context.close()
        browser.close()
    print(f"{written} screenshots in {OUT} ({time.monotonic() - started:.0f} s)")


if __name__ == "__main__":
    main()
