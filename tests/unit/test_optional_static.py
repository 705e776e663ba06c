"""Front-end files of a build that has not run are missing (404), not a server error."""

from __future__ import annotations

from pathlib import Path

from starlette.applications import Starlette
from starlette.testclient import TestClient

from civicgrid.entrypoints.web import OptionalStaticFiles


def test_a_missing_asset_folder_answers_404(tmp_path: Path) -> None:
    app = Starlette()
    app.mount("/vendor", OptionalStaticFiles(directory=str(tmp_path / "not-built"), check_dir=False))
    with TestClient(app, raise_server_exceptions=False) as client:
        assert client.get("/vendor/echarts.min.js").status_code == 404


def test_a_built_asset_folder_serves_its_files(tmp_path: Path) -> None:
    (tmp_path / "echarts.min.js").write_text("var echarts;", encoding="utf-8")
    app = Starlette()
    app.mount("/vendor", OptionalStaticFiles(directory=str(tmp_path), check_dir=False))
    with TestClient(app) as client:
        answer = client.get("/vendor/echarts.min.js")
    assert answer.status_code == 200 and answer.text == "var echarts;"
