"""Benchmark: locating points to micro-grids with SpatialIndex against naive shapely loops, same run.

Prints one JSON object.  Bars (issue): batch >= 1,000,000 points/s, single lookup <= 20 µs, one core.
Run: .venv/bin/python bench/locate.py [--points 1000000]
"""

from __future__ import annotations

import os

# Set before numpy loads: the bars are per core, so no hidden thread pools may help either side.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import json  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
import tracemalloc  # noqa: E402
from typing import Any  # noqa: E402

import numpy as np  # noqa: E402
import numpy.typing as npt  # noqa: E402
import shapely  # noqa: E402

from civicgrid.adapters.spatial import SpatialIndex  # noqa: E402

Ints = npt.NDArray[np.int64]
Floats = npt.NDArray[np.float64]


def pin_one_core() -> int | None:
    """Pin this process to one CPU of those allowed; None where the OS has no affinity call."""
    if not hasattr(os, "sched_setaffinity"):
        return None
    cpu = max(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {cpu})
    return cpu


def micro_grids(seed: int) -> tuple[str, list[Any]]:
    """The demo district's micro-grids, or a Voronoi stand-in of the same count if the demo is missing."""
    try:
        from civicgrid.demo.district import generate_district
    except ImportError:
        pass
    else:
        areas = generate_district(seed=seed)
        return "demo", [a.geometry for a in areas if getattr(a.level, "value", a.level) == "microgrid"]
    rng = np.random.default_rng(seed)
    # about 20 km x 15 km near lon 116.6, lat 35.4 (a degree of longitude is ~90.7 km there)
    frame = shapely.box(116.6 - 0.11, 35.4 - 0.0675, 116.6 + 0.11, 35.4 + 0.0675)
    xmin, ymin, xmax, ymax = frame.bounds
    seeds = shapely.multipoints(np.c_[rng.uniform(xmin, xmax, 2627), rng.uniform(ymin, ymax, 2627)])
    cells = shapely.get_parts(shapely.voronoi_polygons(seeds, extend_to=frame))
    return "synthetic", [g for g in shapely.intersection(cells, frame) if not g.is_empty]


def naive_tree(tree: shapely.STRtree, x: npt.NDArray[np.float64], y: npt.NDArray[np.float64]) -> Ints:
    """Lowest index of a covering polygon per point, by STRtree alone (no raster)."""
    which, poly = tree.query(shapely.points(x, y), predicate="intersects")
    best = np.full(len(x), np.iinfo(np.int64).max)
    np.minimum.at(best, which, poly)
    return np.where(best == np.iinfo(np.int64).max, -1, best)


def naive_loop(geoms: list[Any], x: npt.NDArray[np.float64], y: npt.NDArray[np.float64]) -> Ints:
    """Lowest index of a covering polygon per point, one vectorised test per polygon, reverse order."""
    out = np.full(len(x), -1)
    for i in range(len(geoms) - 1, -1, -1):
        out[shapely.intersects_xy(geoms[i], x, y)] = i
    return out


def naive_single(geoms: list[Any], lon: float, lat: float) -> int:
    """The per-point loop a first version would write: test polygons in order, stop at the first."""
    for i, g in enumerate(geoms):
        if shapely.intersects_xy(g, lon, lat):
            return i
    return -1


def timed(fn: Any, repeat: int) -> list[float]:
    """Wall times of ``repeat`` calls."""
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return times


def sample_points(
    index: SpatialIndex, geoms: list[Any], n: int, rng: np.random.Generator
) -> tuple[Floats, Floats]:
    """``n`` points, ~90% inside the district, the rest in its bounding box (plus 5%) but outside."""
    xmin, ymin, xmax, ymax = shapely.total_bounds(geoms)
    mx, my = 0.05 * (xmax - xmin), 0.05 * (ymax - ymin)
    pool_x, pool_y = rng.uniform(xmin - mx, xmax + mx, 3 * n), rng.uniform(ymin - my, ymax + my, 3 * n)
    hit = index.locate_many(pool_x, pool_y) >= 0  # checked against the naive answer later
    n_in = int(0.9 * n)
    pick = np.r_[np.flatnonzero(hit)[:n_in], np.flatnonzero(~hit)[: n - n_in]]
    rng.shuffle(pick)
    return pool_x[pick], pool_y[pick]


def measure_batch(index: SpatialIndex, geoms: list[Any], tree: Any, x: Floats, y: Floats) -> dict[str, Any]:
    """Batch throughput of the index and of both naive methods (on prefixes), and their agreement."""
    batch = statistics.median(timed(lambda: index.locate_many(x, y), 5))
    result = index.locate_many(x, y)
    n_tree, n_loop = min(200_000, len(x)), min(2_000, len(x))
    tree_s = min(timed(lambda: naive_tree(tree, x[:n_tree], y[:n_tree]), 2))
    loop_s = min(timed(lambda: naive_loop(geoms, x[:n_loop], y[:n_loop]), 1))
    agree = (naive_tree(tree, x[:n_tree], y[:n_tree]) == result[:n_tree]).all()
    agree &= (naive_loop(geoms, x[:n_loop], y[:n_loop]) == result[:n_loop]).all()
    pps = len(x) / batch
    return {
        "points": len(x),
        "inside_fraction": round(float((result >= 0).mean()), 3),
        "batch_points_per_s": round(pps),
        "naive_tree_batch_points_per_s": round(n_tree / tree_s),
        "naive_loop_batch_points_per_s": round(n_loop / loop_s),
        "batch_speedup_vs_tree": round(pps / (n_tree / tree_s), 1),
        "batch_speedup_vs_loop": round(pps / (n_loop / loop_s)),
        "batch_agrees": bool(agree),
    }


def measure_single(index: SpatialIndex, geoms: list[Any], tree: Any, x: Floats, y: Floats) -> dict[str, Any]:
    """Single lookups, each timed alone (the ~0.1 µs timer cost included), against both naive ways."""
    xs, ys = x.tolist(), y.tolist()
    per_call, answers = [], []
    for lon, lat in zip(xs, ys, strict=True):
        t = time.perf_counter_ns()
        answers.append(index.locate(lon, lat))
        per_call.append((time.perf_counter_ns() - t) / 1000)
    loop_us = min(timed(lambda: [index.locate(a, b) for a, b in zip(xs, ys, strict=True)], 3)) / len(xs) * 1e6
    few = list(zip(xs[:200], ys[:200], strict=True))  # the naive loop costs milliseconds a point
    naive_us = min(timed(lambda: [naive_single(geoms, a, b) for a, b in few], 1)) / len(few) * 1e6
    many = list(zip(xs[:2000], ys[:2000], strict=True))
    tree_us = min(
        timed(lambda: [tree.query(shapely.Point(a, b), predicate="intersects") for a, b in many], 2)
    )
    tree_us *= 1e6 / len(many)
    mean = statistics.fmean(per_call)
    return {
        "single_p50_us": round(statistics.median(per_call), 3),
        "single_mean_us": round(mean, 3),
        "single_p99_us": round(float(np.percentile(per_call, 99)), 3),
        "single_max_us": round(max(per_call), 1),
        "single_loop_mean_us": round(loop_us, 3),
        "naive_single_loop_us": round(naive_us, 1),
        "naive_single_tree_us": round(tree_us, 2),
        "single_speedup_vs_loop": round(naive_us / mean),
        "single_speedup_vs_tree": round(tree_us / mean, 1),
        "single_agrees": answers == naive_tree(tree, x, y).tolist()
        and answers[: len(few)] == [naive_single(geoms, a, b) for a, b in few],
    }


def edges_agree(index: SpatialIndex, tree: Any, geoms: list[Any]) -> bool:
    """Points exactly on vertices and edge midpoints, the cases a raster gets wrong first."""
    coords = shapely.get_coordinates(geoms)
    mids = (coords[:-1] + coords[1:]) / 2
    ex, ey = np.r_[coords[:, 0], mids[:, 0]], np.r_[coords[:, 1], mids[:, 1]]
    batch = index.locate_many(ex, ey)
    single = [index.locate(a, b) for a, b in zip(ex[:5000].tolist(), ey[:5000].tolist(), strict=True)]
    return bool((naive_tree(tree, ex, ey) == batch).all()) and single == batch[:5000].tolist()


def main() -> None:
    """Measure and print one JSON object."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--points", type=int, default=1_000_000)
    ap.add_argument("--singles", type=int, default=20_000)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    cpu = pin_one_core()
    source, geoms = micro_grids(args.seed)
    shapely.prepare(geoms)  # the naive side gets prepared geometries too: a fair baseline

    build_s = statistics.median(timed(lambda: SpatialIndex.build(geoms), 3))
    tracemalloc.start()
    index = SpatialIndex.build(geoms)
    build_peak_mb = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    tree = shapely.STRtree(geoms)
    x, y = sample_points(index, geoms, args.points, np.random.default_rng(args.seed))
    batch = measure_batch(index, geoms, tree, x, y)
    single = measure_single(index, geoms, tree, x[: args.singles], y[: args.singles])
    out = {
        "source": source,
        "polygons": len(index),
        "cpu": cpu,
        "raster": list(index.shape),
        "mixed_cells": index.mixed_cells,
        "index_mb": round(index.nbytes / 2**20, 1),
        "build_peak_mb": round(build_peak_mb, 1),
        "build_s": round(build_s, 3),
        **batch,
        **single,
        "agree_on_edges_and_vertices": edges_agree(index, tree, geoms),
    }
    out["agree_with_naive"] = bool(out.pop("batch_agrees") and out.pop("single_agrees"))
    out["meets_bars"] = bool(
        batch["batch_points_per_s"] >= 1e6
        and single["single_p50_us"] <= 20
        and single["single_mean_us"] <= 20
    )
    print(json.dumps(out))


if __name__ == "__main__":
    main()
