"""A server warms up (map index, active model) before its first request, and serves even if that fails."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from civicgrid.entrypoints.api.app import create_app
from conftest import Civic


def test_the_server_warms_up_once_before_it_takes_requests(
    civic: Civic, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str] = []
    warm = civic.app.warm_up
    monkeypatch.setattr(civic.app, "warm_up", lambda: (calls.append("warm"), warm())[1])
    with TestClient(create_app(civic.app)) as client:
        assert calls == ["warm"]  # before the first request
        assert client.get("/healthz").status_code == 200
    assert calls == ["warm"]


def test_a_failed_warm_up_does_not_stop_the_server(civic: Civic, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken() -> None:
        raise RuntimeError("the model file is unreadable")

    monkeypatch.setattr(civic.app, "warm_up", broken)
    with TestClient(create_app(civic.app)) as client:
        assert client.get("/healthz").status_code == 200


def test_warming_up_a_district_without_a_model_is_harmless(civic: Civic) -> None:
    civic.app.warm_up()  # the map index is built; no model is active, none is loaded
    located = civic.client.get("/api/v1/locate", params={"lon": 116.6025, "lat": 35.4025})
    assert located.status_code == 200 and "D111" in located.text
