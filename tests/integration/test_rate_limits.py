"""Rate limits: public intake per client address, sign-in per address and per user name, photo uploads.

The limits come from the settings (``CIVICGRID_PUBLIC_REPORTS_PER_MINUTE``, ``..._SIGN_INS_PER_MINUTE``,
``..._UPLOADS_PER_MINUTE``) through the composition root, as in a server; client addresses are set per
test client. Failed sign-ins are throttled on top of that, per user name and per address, in the database.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from PIL import Image

from civicgrid.adapters.ratelimit import RateLimiter
from civicgrid.bootstrap import App, bootstrap
from civicgrid.config import Settings
from civicgrid.entrypoints.api.app import create_app
from conftest import PASSWORD, Civic

REPORT = {"category_code": "C0101", "description": "井盖缺失", "lon": 116.6025, "lat": 35.4025}
LIMIT = 3


@pytest.fixture
def limited(civic: Civic, db_url: str, tmp_path: Path) -> Iterator[App]:
    """A second application on the civic database, with every per-minute limit at LIMIT."""
    settings = Settings(
        database_url=db_url,
        upload_dir=tmp_path / "limited-uploads",
        public_reports_per_minute=LIMIT,
        sign_ins_per_minute=LIMIT,
        uploads_per_minute=LIMIT,
        sweep_interval_seconds=0,
    )
    app = bootstrap(settings, clock=civic.clock)
    yield app
    app.close()


def client_at(app: App, address: str) -> TestClient:
    return TestClient(create_app(app), client=(address, 40000), headers={"Accept-Language": "en"})


def test_public_intake_is_limited_per_client_address(limited: App, civic: Civic) -> None:
    one, other = client_at(limited, "203.0.113.7"), client_at(limited, "198.51.100.9")
    assert [one.post("/api/v1/cases", json=REPORT).status_code for _ in range(LIMIT)] == [201] * LIMIT
    refused = one.post("/api/v1/cases", json=REPORT)
    assert refused.status_code == 429 and refused.json()["error"]["code"] == "rate_limited"
    assert 0 < int(refused.headers["Retry-After"]) <= 60
    assert "Too many requests" in refused.json()["error"]["message"]
    assert other.post("/api/v1/cases", json=REPORT).status_code == 201  # another address is not held up
    # Staff filing for callers on the hotline are not public intake: no limit.
    operator = one.post("/api/v1/cases", json=REPORT, headers=civic.as_("operator"))
    assert operator.status_code == 201
    with limited.reader() as u:
        assert len(u.accounts.audit_entries(action="case.submit", limit=100)) == LIMIT + 2


def test_sign_in_attempts_are_limited_per_client_address(limited: App) -> None:
    one, other = client_at(limited, "203.0.113.7"), client_at(limited, "198.51.100.9")
    good = {"username": "operator", "password": PASSWORD}
    for _ in range(LIMIT):
        assert one.post("/api/v1/auth/token", json=good).status_code == 200
    for url in ("/api/v1/auth/token", "/api/v1/auth/session"):  # both doors share the address's budget
        r = one.post(url, json=good)
        assert r.status_code == 429 and r.json()["error"]["code"] == "rate_limited", url
    assert other.post("/api/v1/auth/token", json=good).status_code == 200


def test_failed_sign_ins_lock_an_address_whatever_the_user_names(civic: Civic) -> None:
    # civic has no per-minute limiter, so only the failure throttle (20 per address in 15 minutes) acts.
    guesser, colleague = client_at(civic.app, "203.0.113.7"), client_at(civic.app, "198.51.100.9")
    for n in range(20):  # 20 different names: no name reaches its own limit of 5
        r = guesser.post("/api/v1/auth/token", json={"username": f"user{n}", "password": "guess-guess"})
        assert r.status_code == 401
    locked = guesser.post("/api/v1/auth/token", json={"username": "operator", "password": PASSWORD})
    assert locked.status_code == 429 and locked.json()["error"]["code"] == "too_many_attempts"
    assert int(locked.headers["Retry-After"]) > 0
    assert (
        colleague.post("/api/v1/auth/token", json={"username": "operator", "password": PASSWORD}).status_code
        == 200
    )
    civic.clock.advance(minutes=2)
    ok = guesser.post("/api/v1/auth/token", json={"username": "operator", "password": PASSWORD})
    assert ok.status_code == 200


def test_failed_sign_ins_lock_a_user_name_from_every_address(civic: Civic) -> None:
    for n in range(5):
        r = client_at(civic.app, f"203.0.113.{n + 1}").post(
            "/api/v1/auth/token", json={"username": "leader", "password": "not the password"}
        )
        assert r.status_code == 401
    fresh = client_at(civic.app, "198.51.100.9")
    r = fresh.post("/api/v1/auth/session", json={"username": "leader", "password": PASSWORD})
    assert r.status_code == 429 and r.json()["error"]["code"] == "too_many_attempts"
    other_name = fresh.post("/api/v1/auth/token", json={"username": "operator", "password": PASSWORD})
    assert other_name.status_code == 200


def test_photo_uploads_are_limited_per_client_address(limited: App) -> None:
    picture = io.BytesIO()
    Image.new("RGB", (8, 8), (0, 90, 0)).save(picture, "PNG")
    files = [("files", ("p.png", picture.getvalue(), "image/png"))]
    one, other = client_at(limited, "203.0.113.7"), client_at(limited, "198.51.100.9")
    assert [one.post("/api/v1/photos", files=files).status_code for _ in range(LIMIT)] == [201] * LIMIT
    assert one.post("/api/v1/photos", files=files).status_code == 429
    assert other.post("/api/v1/photos", files=files).status_code == 201


def test_the_limiter_window_slides_per_key() -> None:
    now = [1000.0]
    limiter = RateLimiter(2, 60.0, clock=lambda: now[0])
    assert limiter.allow("a") == limiter.allow("a") == 0.0
    assert limiter.allow("a") == pytest.approx(60.0)
    assert limiter.allow("b") == 0.0
    now[0] += 30
    assert limiter.allow("a") == pytest.approx(30.0)  # a refusal is not counted as an event
    now[0] += 30.5
    assert limiter.allow("a") == 0.0
