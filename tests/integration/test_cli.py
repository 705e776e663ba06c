"""The command-line contract: commands, JSON shapes, exit codes and one-line errors in the user's language."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from civicgrid.domain.geojson import to_feature_collection
from civicgrid.entrypoints.cli import app
from support import tiny_map

runner = CliRunner()


def run(*args: str, lang: str = "en_US.UTF-8") -> tuple[int, str]:
    result = runner.invoke(app, list(args), env={"CIVICGRID_LANG": lang})
    return result.exit_code, result.output


@pytest.fixture
def map_file(tmp_path: Path) -> Path:
    path = tmp_path / "map.geojson"
    path.write_text(json.dumps(to_feature_collection(tiny_map()), ensure_ascii=False), encoding="utf-8")
    return path


@pytest.fixture
def ready_db(db_url: str, map_file: Path) -> str:
    code, out = run("init", "--db", db_url)
    assert code == 0, out
    code, out = run("grids", "import", str(map_file), "--db", db_url)
    assert code == 0, out
    return db_url


def test_locate_json_names_every_level(ready_db: str) -> None:
    code, out = run("locate", "116.6025", "35.4025", "--db", ready_db, "--json")
    assert code == 0, out
    assert json.loads(out) == {
        "microgrid": {"code": "D1111", "name": "高新区-1-1-1-1"},
        "grid": {"code": "D111", "name": "高新区-1-1-1"},
        "community": {"code": "D11", "name": "高新区-1-1"},
        "street": {"code": "D1", "name": "高新区-1"},
    }


def test_a_point_outside_the_district_exits_2_and_says_so(ready_db: str) -> None:
    code, out = run("locate", "120.0", "30.0", "--db", ready_db)
    assert code == 2
    assert "outside the district" in out
    code, out = run("locate", "120.0", "30.0", "--db", ready_db, lang="zh_CN.UTF-8")
    assert code == 2 and "不在本辖区内" in out


def test_stats_json_counts(ready_db: str) -> None:
    code, out = run("stats", "--db", ready_db, "--json")
    assert code == 0, out
    data = json.loads(out)
    assert data["areas"] == {"street": 2, "community": 2, "grid": 4, "microgrid": 8}
    assert data["departments"] == 21
    assert data["cases"] == {"total": 0, "by_status": {}}


def test_export_per_level_round_trips(ready_db: str, tmp_path: Path) -> None:
    code, out = run("grids", "export", "--level", "microgrid", "--db", ready_db)
    assert code == 0
    assert len(json.loads(out)["features"]) == 8
    code, out = run("grids", "export", "--level", "moon", "--db", ready_db)
    assert code == 1 and "Unknown level" in out
    code, out = run("grids", "export", "--db", ready_db)
    whole = tmp_path / "whole.geojson"
    whole.write_text(out, encoding="utf-8")
    assert run("grids", "check", str(whole))[0] == 0


def test_grids_check_reports_each_offending_area(tmp_path: Path) -> None:
    data = to_feature_collection(tiny_map())
    data["features"][5]["properties"]["parent_code"] = "NOPE"
    bad = tmp_path / "bad.geojson"
    bad.write_text(json.dumps(data), encoding="utf-8")
    code, out = run("grids", "check", str(bad))
    assert code == 1
    assert "unknown_parent" in out and "NOPE" in out


def test_user_errors_are_one_line_never_a_traceback(db_url: str, tmp_path: Path) -> None:
    notjson = tmp_path / "x.geojson"
    notjson.write_text("{oops", encoding="utf-8")
    for args in (
        ("grids", "check", str(notjson)),
        ("grids", "check", str(tmp_path / "missing.geojson")),
        ("stats", "--db", f"sqlite:///{tmp_path / 'nothing.db'}"),
        ("stats", "--db", "mysql+nope://x"),
        ("locate", "116.6", "35.4", "--db", db_url),  # no map imported yet
    ):
        code, out = run(*args)
        assert code == 1, (args, out)
        assert "Traceback" not in out and out.strip().count("\n") == 0, (args, out)


def test_calendar_load_makes_a_year_official(db_url: str, tmp_path: Path) -> None:
    run("init", "--db", db_url)
    code, out = run("calendar", "show", "2031", "--db", db_url, "--json")
    assert code == 0 and json.loads(out)["provisional"] is True
    schedule = tmp_path / "2031.json"
    schedule.write_text(
        json.dumps(
            {"year": 2031, "holidays": ["2031-01-01", "2031-10-01", "2031-10-02"], "workdays": ["2031-10-11"]}
        ),
        encoding="utf-8",
    )
    code, out = run("calendar", "load", str(schedule), "--db", db_url)
    assert code == 0, out
    data = json.loads(run("calendar", "show", "2031", "--db", db_url, "--json")[1])
    assert data["provisional"] is False
    assert data["weekend_workdays"] == ["2031-10-11"]
    assert "2031-10-01" in data["weekday_holidays"]
    schedule.write_text('{"year": 2031, "holidays": ["2031-13-01"]}', encoding="utf-8")
    code, out = run("calendar", "load", str(schedule), "--db", db_url)
    assert code == 1 and "Traceback" not in out
