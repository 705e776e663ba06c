"""Hostile grid map files at the command line: refused in one line, before they can cost memory or time.

A file over ``CIVICGRID_MAX_MAP_BYTES`` is refused from its size, unread; JSON nested far too deeply, a
file that is not UTF-8 and geometry nested where numbers belong are refused with one clear line (or the
problem report) and an exit code, never a traceback; the stored map stays as it was.
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from civicgrid.domain.geojson import to_feature_collection
from civicgrid.entrypoints.cli import app
from support import tiny_map

runner = CliRunner()


def run(*args: str, **env: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args), env={"CIVICGRID_LANG": "en_US.UTF-8", **env})
    return result.exit_code, result.output


@pytest.fixture
def ready_db(db_url: str, tmp_path: Path) -> str:
    path = tmp_path / "map.geojson"
    path.write_text(json.dumps(to_feature_collection(tiny_map())), encoding="utf-8")
    assert run("init", "--db", db_url)[0] == 0
    assert run("grids", "import", str(path), "--db", db_url)[0] == 0
    return db_url


def stored_map(db_url: str) -> str:
    code, out = run("grids", "export", "--db", db_url)
    assert code == 0, out
    return out


def assert_one_line_refusal(code: int, out: str, *needles: str) -> None:
    assert code == 1, out
    assert "Traceback" not in out and out.strip().count("\n") == 0, out
    for needle in needles:
        assert needle in out, out


def test_a_map_file_over_the_size_limit_is_refused_unread(ready_db: str, tmp_path: Path) -> None:
    before = stored_map(ready_db)
    huge = tmp_path / "huge.geojson"
    with huge.open("wb") as f:  # 4 GB, sparse: refused from its size, or reading it would take the test
        f.truncate(4 * 1024**3)
    for args in (("grids", "check", str(huge)), ("grids", "import", str(huge), "--db", ready_db)):
        started = time.monotonic()
        assert_one_line_refusal(*run(*args), "huge.geojson", "64 MB", "CIVICGRID_MAX_MAP_BYTES")
        assert time.monotonic() - started < 5
    assert stored_map(ready_db) == before


def test_the_size_limit_is_a_setting(ready_db: str, tmp_path: Path) -> None:
    path = tmp_path / "map.geojson"
    path.write_text(json.dumps(to_feature_collection(tiny_map())), encoding="utf-8")
    limit = str(path.stat().st_size - 1)
    code, out = run("grids", "import", str(path), "--db", ready_db, CIVICGRID_MAX_MAP_BYTES=limit)
    assert_one_line_refusal(code, out, "CIVICGRID_MAX_MAP_BYTES")
    limit = str(path.stat().st_size)
    assert run("grids", "import", str(path), "--db", ready_db, CIVICGRID_MAX_MAP_BYTES=limit)[0] == 0


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_a_stream_without_a_size_is_cut_at_the_limit(tmp_path: Path) -> None:
    # A pipe's size is unknown up front: it is read up to the limit and no further.
    pipe = tmp_path / "pipe.geojson"
    os.mkfifo(pipe)

    def feed() -> None:
        with contextlib.suppress(BrokenPipeError), pipe.open("wb") as f:  # the reader stops early
            f.write(b" " * (3 * 1024 * 1024))

    writer = threading.Thread(target=feed)
    writer.start()
    code, out = run("grids", "check", str(pipe), CIVICGRID_MAX_MAP_BYTES=str(1024 * 1024))
    writer.join(timeout=10)
    assert_one_line_refusal(code, out, "CIVICGRID_MAX_MAP_BYTES")


@pytest.mark.parametrize(
    "content",
    [b"[" * 200_000 + b"]" * 200_000, b'{"a":' * 100_000 + b"1" + b"}" * 100_000],
    ids=["lists", "objects"],
)
def test_json_nested_far_too_deeply_is_one_line(ready_db: str, tmp_path: Path, content: bytes) -> None:
    before = stored_map(ready_db)
    path = tmp_path / "deep.geojson"
    path.write_bytes(content)
    for args in (("grids", "check", str(path)), ("grids", "import", str(path), "--db", ready_db)):
        assert_one_line_refusal(*run(*args), "nested too deeply")
    assert stored_map(ready_db) == before


def test_a_map_that_is_not_utf8_is_one_line(tmp_path: Path) -> None:
    path = tmp_path / "gbk.geojson"
    path.write_bytes('{"type": "FeatureCollection", "name": "高新区"}'.encode("gbk"))
    assert_one_line_refusal(*run("grids", "check", str(path)), "not UTF-8")


def test_nesting_where_numbers_belong_is_a_reported_problem(ready_db: str, tmp_path: Path) -> None:
    before = stored_map(ready_db)
    collection = to_feature_collection(tiny_map())
    deep: object = 116.6
    for _ in range(500):
        deep = [deep]
    collection["features"][3]["geometry"]["coordinates"][0][1] = [deep, deep]
    path = tmp_path / "nested.geojson"
    path.write_text(json.dumps(collection), encoding="utf-8")
    code, out = run("grids", "import", str(path), "--db", ready_db)
    assert code == 1 and "Traceback" not in out
    assert "invalid_geometry" in out and "something other than numbers" in out
    assert stored_map(ready_db) == before
