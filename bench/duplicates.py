"""Benchmark: duplicate detection on the demo workload's labelled re-reports. Prints one JSON object.

Builds the demo district in memory (no database), simulates --cases cases of a year's history with the
simulator's ground truth of duplicate pairs (the same problem reported again nearby, in other words), and
for every case, at the moment it was submitted, scores the cases still open then with
``civicgrid.domain.duplicates`` exactly as the service does. Two re-reports of one problem are duplicates
of each other too (pairs are joined into problems).

Precision: of the (report, open case) pairs at or above the threshold, the share that are one problem.
Recall: of the pairs that are one problem with the earlier case still open, the share found. A re-report
of a problem already closed cannot be found by contract (only open cases are proposed); that share is
printed apart as ``recall_including_closed``.
Bar (issue 5): precision >= 0.90 at recall >= 0.80.

Run: .venv/bin/python bench/duplicates.py [--cases 5000] [--seed 7] [--threshold T] [--tune-seeds 1 2 3]
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from civicgrid.adapters.calendar import ChinaWorkCalendar
from civicgrid.demo.district import generate_district
from civicgrid.demo.people import generate_people
from civicgrid.demo.workload import crews_of, simulate, sites_of
from civicgrid.domain.case_types import OPEN_STATUSES
from civicgrid.domain.cases import Case
from civicgrid.domain.catalogue import load_catalogue
from civicgrid.domain.deadlines import TimeLimit, WorkingHours
from civicgrid.domain.duplicates import DuplicatePolicy, Sighting, bounding_box, compare
from civicgrid.domain.geography import Level
from civicgrid.domain.time_limits import default_limit
from civicgrid.services.deadline_policy import CalendarDeadlines

BAR = {"precision": 0.90, "recall": 0.80}
END = datetime(2026, 11, 28, tzinfo=UTC)


def history(seed: int, count: int) -> tuple[list[Case], list[tuple[int, int]]]:
    """The demo district's simulated history and its duplicate pairs (index of original, of re-report)."""
    catalogue = load_catalogue()
    areas = generate_district(seed=seed)
    people = generate_people(
        [a.code for a in areas if a.level is Level.GRID], catalogue.organisations, seed=seed
    )
    sites = sites_of(areas)
    workers = crews_of(people)
    hours = WorkingHours.parse("08:30-12:00,13:30-17:30", tz="Asia/Shanghai")
    deadlines = CalendarDeadlines(ChinaWorkCalendar(), hours, TimeLimit.parse("2h working"))
    pairs: list[tuple[int, int]] = []
    cases = list(
        simulate(
            count=count,
            seed=seed,
            end=END,
            days=365,
            sites=sites,
            catalogue=catalogue,
            limits=lambda code, urgency: default_limit(catalogue.category(code).limit_class, urgency),
            deadlines=deadlines,
            workers_by_grid=workers,
            duplicates=pairs,
        )
    )
    return cases, pairs


def closed_at(case: Case) -> datetime | None:
    """When the case first left the open states (closed, rejected or merged); reopening is ignored."""
    for event in case.history():
        if event.to_status not in OPEN_STATUSES:
            return event.at
    return None


def scored_pairs(seed: int, count: int, policy: DuplicatePolicy) -> dict[str, Any]:
    """Every (report, then-open case) pair that passes the hard filters, with its score and the truth."""
    cases, pairs = history(seed, count)
    catalogue = load_catalogue()
    problem = list(range(len(cases)))

    def find(i: int) -> int:
        while problem[i] != i:
            problem[i] = problem[problem[i]]
            i = problem[i]
        return i

    for a, b in pairs:
        problem[find(b)] = find(a)
    ends = [closed_at(c) for c in cases]
    sightings = [
        Sighting(
            c.category_code,
            catalogue.category(c.category_code).major,
            c.location.lon,
            c.location.lat,
            c.submitted_at,
            c.description,
        )
        for c in cases
    ]
    found: list[tuple[float, bool]] = []
    positives = positives_all = 0
    for i, new in enumerate(sightings):
        min_lon, min_lat, max_lon, max_lat = bounding_box(
            new.lon, new.lat, policy.radius_for(new.category_code)
        )
        for j in range(i - 1, -1, -1):
            old = sightings[j]
            if new.at - old.at > policy.window:
                break
            one_problem = find(i) == find(j)
            still_open = ends[j] is None or ends[j] > new.at  # type: ignore[operator]
            positives_all += one_problem
            if not still_open:
                continue
            positives += one_problem
            if not (min_lon <= old.lon <= max_lon and min_lat <= old.lat <= max_lat):
                continue
            match = compare(new, old, policy)
            if match is not None:
                found.append((match.score, one_problem))
    return {
        "cases": len(cases),
        "duplicate_pairs": len(pairs),
        "positives": positives,
        "positives_all": positives_all,
        "scored": found,
    }


def at_threshold(run: dict[str, Any], threshold: float) -> dict[str, float]:
    tp = sum(1 for score, ok in run["scored"] if score >= threshold and ok)
    fp = sum(1 for score, ok in run["scored"] if score >= threshold and not ok)
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / run["positives"] if run["positives"] else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    recall_all = tp / run["positives_all"] if run["positives_all"] else 1.0
    return {
        "threshold": round(threshold, 3),
        "precision": round(precision, 4),
        "recall": round(recall, 4),
        "f1": round(f1, 4),
        "recall_including_closed": round(recall_all, 4),
        "proposed": tp + fp,
    }


def tune(runs: Sequence[dict[str, Any]]) -> float:
    """The threshold with the best F1 over the pooled tuning runs, among those meeting the precision bar."""
    pooled = {
        "scored": [p for r in runs for p in r["scored"]],
        "positives": sum(r["positives"] for r in runs),
        "positives_all": sum(r["positives_all"] for r in runs),
    }
    grid = [t / 100 for t in range(40, 96)]
    ok = [t for t in grid if at_threshold(pooled, t)["precision"] >= BAR["precision"]]
    return max(ok or grid, key=lambda t: (at_threshold(pooled, t)["f1"], -t))


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--cases", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=7, help="seed of the measured history")
    parser.add_argument("--threshold", type=float, default=None, help="default: the shipped threshold")
    parser.add_argument("--tune-seeds", type=int, nargs="*", default=[], help="choose a threshold on these")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    policy = DuplicatePolicy()
    out: dict[str, Any] = {}
    threshold = policy.threshold if args.threshold is None else args.threshold
    if args.tune_seeds:
        threshold = tune([scored_pairs(s, args.cases, policy) for s in args.tune_seeds])
        out["tuned_on_seeds"] = args.tune_seeds
    run = scored_pairs(args.seed, args.cases, policy)
    result = at_threshold(run, threshold)
    out.update(
        seed=args.seed,
        cases=run["cases"],
        duplicate_pairs=run["duplicate_pairs"],
        positive_pairs_open=run["positives"],
        positive_pairs_all=run["positives_all"],
        candidates_scored=len(run["scored"]),
        **result,
        bar=BAR,
        passed=result["precision"] >= BAR["precision"] and result["recall"] >= BAR["recall"],
        curve=[at_threshold(run, t / 20) for t in range(8, 20)],
        seconds=round(time.perf_counter() - start, 1),
    )
    print(json.dumps(out, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
