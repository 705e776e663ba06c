"""Suggestions stored at intake, automatic dispatch, overrides, merged reporters, duplicate settings."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, ClassVar

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from civicgrid.adapters.db.account_tables import audit_log
from civicgrid.adapters.db.tables import organisations
from civicgrid.domain.dispatch import Classifier
from civicgrid.domain.roles import Actor
from civicgrid.entrypoints.cli import app as cli
from civicgrid.services import dispatch
from civicgrid.services.intake import ReportCase, report_case
from conftest import Civic

INSIDE = {"lon": 116.6025, "lat": 35.4025}  # micro-grid D1111 of grid D111, street D1
runner = CliRunner()


class Fixed:
    """A stored model kind whose classifier always answers the same probabilities (set per test)."""

    name = "fixed-test"
    answer: ClassVar[list[tuple[str, float]]] = [("C0101", 0.95), ("C0102", 0.03), ("H0201", 0.02)]

    def fit(self, texts: Sequence[str], labels: Sequence[str]) -> Classifier:
        raise AssertionError("never trained")

    def dumps(self, model: Classifier) -> bytes:
        return b"fixed"

    def loads(self, data: bytes) -> Classifier:
        return _FixedClassifier(list(Fixed.answer))


class _FixedClassifier:
    def __init__(self, answer: list[tuple[str, float]]) -> None:
        self.answer = answer

    @property
    def labels(self) -> list[str]:
        return [c for c, _ in self.answer]

    def predict_top(self, texts: Sequence[str], k: int = 3) -> list[list[tuple[str, float]]]:
        return [self.answer[:k] for _ in texts]


@pytest.fixture
def modelled(civic: Civic) -> Civic:
    """The test district with an active model that reads every text as 井盖 (C0101) at 95 %."""
    dispatch.register_kind(Fixed())
    with civic.app.uow() as u:
        model_id = u.dispatch.add_model(
            created_at=civic.clock(), version=1, kind=Fixed.name, n_train=1, metrics={}, payload=b"fixed"
        )
        u.dispatch.activate(model_id)
        u.commit()
    return civic


def file(civic: Civic, **extra: Any) -> dict[str, Any]:
    body = {
        "category_code": "C0101",
        "description": "东苑小区3号楼下井盖缺失，晚上很危险",
        **INSIDE,
        "reporter_name": "张三",
        "reporter_phone": "13812341234",
    } | extra
    r = civic.client.post("/api/v1/cases", json=body)
    assert r.status_code == 201, r.text
    assert civic.app.suggester.drain(timeout=30), "the suggestion worker did not finish"
    return dict(r.json())


def act(civic: Civic, who: str, number: str, action: str, **body: Any) -> dict[str, Any]:
    r = civic.client.post(f"/api/v1/cases/{number}/{action}", json=body, headers=civic.as_(who))
    assert r.status_code == 200, (action, r.text)
    return dict(r.json())


def suggestion_of(civic: Civic, number: str, lang: str = "en") -> dict[str, Any]:
    r = civic.client.get(f"/api/v1/cases/{number}/suggestion?lang={lang}", headers=civic.as_("operator"))
    assert r.status_code == 200, r.text
    return dict(r.json())


def set_auto(civic: Civic, category: str, **body: Any) -> dict[str, Any]:
    r = civic.client.put(f"/api/v1/dispatch/settings/{category}", json=body, headers=civic.as_("admin"))
    assert r.status_code == 200, r.text
    return dict(r.json())


# ------------------------------------------------------------------------------- at intake
def test_every_report_gets_its_suggestion_stored_when_it_is_filed(modelled: Civic) -> None:
    created = file(modelled, category_code="H0201")  # the reporter chose 物业管理; the text says 井盖
    body = suggestion_of(modelled, created["number"])
    assert body["stored"] and body["created_at"] is not None and body["model_version"] == 1
    assert (body["category_code"], body["org_code"], body["assignee_code"]) == ("C0101", "chengguan", "P0001")
    assert body["confidence"] == 0.95 and [a["category_code"] for a in body["alternatives"]] == [
        "C0101",
        "C0102",
        "H0201",
    ]
    assert any("95%" in r for r in body["reasons"]) and not body["auto_dispatch"]
    assert not body["auto_dispatched"] and body["decided_at"] is None and body["taken"] is None
    zh = suggestion_of(modelled, created["number"], lang="zh")
    assert zh["reasons"] != body["reasons"] and zh["created_at"] == body["created_at"]
    case = modelled.client.get(f"/api/v1/cases/{created['number']}", headers=modelled.as_("operator")).json()
    assert case["status"] == "submitted"  # no automatic dispatch unless a category asks for it


def test_without_a_model_the_suggestion_keeps_the_reporters_category(civic: Civic) -> None:
    created = file(civic)
    body = suggestion_of(civic, created["number"])
    assert body["stored"] and body["model_version"] is None and body["confidence"] is None
    assert (body["category_code"], body["org_code"]) == ("C0101", "chengguan")


def test_a_confident_category_is_dispatched_by_the_system_with_its_reasons(modelled: Civic) -> None:
    settings = set_auto(modelled, "C0101", auto_mode="on", auto_min_confidence=0.9)
    assert settings["auto_mode"] == "on" and settings["auto_min_confidence"] == 0.9
    created = file(modelled, category_code="H0201")
    case = modelled.client.get(f"/api/v1/cases/{created['number']}", headers=modelled.as_("operator")).json()
    assert case["status"] == "dispatched" and case["category_code"] == "C0101"
    assert (case["org_code"], case["assignee_code"]) == ("chengguan", "P0001") and case["due"] is not None
    steps = [(h["action"], h["actor_role"]) for h in case["history"]]
    assert steps == [("submit", "resident"), ("register", "system"), ("dispatch", "system")]
    assert "95%" in case["history"][2]["note"] and "城管" in case["history"][2]["note"]
    body = suggestion_of(modelled, created["number"])
    assert body["auto_dispatched"] and body["taken"] == {"category": True, "org": True, "assignee": True}
    with modelled.app.reader() as u:
        audited = u.conn.execute(
            sa.select(audit_log.c.actor_role).where(
                audit_log.c.action == "case.auto_dispatch", audit_log.c.target == created["number"]
            )
        ).all()
    assert [a.actor_role for a in audited] == ["system"]
    # The worker given one report by the system has one open case now, and the reason says so.
    assert (
        modelled.client.get("/api/v1/dispatch/settings", headers=modelled.as_("operator")).json()[0][
            "category_code"
        ]
        == "C0101"
    )


def test_below_the_categorys_confidence_an_operator_decides(modelled: Civic) -> None:
    set_auto(modelled, "C0101", auto_mode="on", auto_min_confidence=0.99)
    created = file(modelled)
    body = suggestion_of(modelled, created["number"])
    assert not body["auto_dispatched"] and any("below" in r for r in body["reasons"])
    set_auto(modelled, "C0101", auto_mode="off")
    later = suggestion_of(modelled, file(modelled)["number"])
    assert not later["auto_dispatched"] and not any("threshold" in r for r in later["reasons"])


def test_the_global_default_applies_to_categories_without_their_own_setting(modelled: Civic) -> None:
    modelled.app.settings.auto_dispatch_min_confidence = 0.5
    try:
        created = file(modelled)
        case = modelled.client.get(
            f"/api/v1/cases/{created['number']}", headers=modelled.as_("operator")
        ).json()
        assert case["status"] == "dispatched"
        set_auto(modelled, "C0101", auto_mode="off")  # a category may opt out of the default
        other = file(modelled)
        assert suggestion_of(modelled, other["number"])["auto_dispatched"] is False
    finally:
        modelled.app.settings.auto_dispatch_min_confidence = None


def test_a_confident_report_nobody_owns_goes_to_the_street_command_subcentre(modelled: Civic) -> None:
    with modelled.app.uow() as u:
        u.conn.execute(
            sa.update(organisations).where(organisations.c.code == "chengguan").values(active=False)
        )
        u.commit()
    set_auto(modelled, "C0101", auto_mode="on", auto_min_confidence=0.9)
    created = file(modelled)
    case = modelled.client.get(f"/api/v1/cases/{created['number']}", headers=modelled.as_("operator")).json()
    assert case["status"] == "registered" and case["escalation"] == "street" and case["org_code"] is None
    assert [(h["action"], h["actor_role"]) for h in case["history"]][1:] == [
        ("register", "system"),
        ("escalate", "system"),
    ]
    body = suggestion_of(modelled, created["number"])
    assert body["org_code"] is None and body["auto_dispatched"]
    assert any("sub-centre" in r for r in body["reasons"])


def test_cases_stored_without_a_suggestion_are_caught_up_by_the_backlog(modelled: Civic) -> None:
    report = ReportCase(source=_web(), category_code="C0101", description="井盖没了", **INSIDE)
    receipt = report_case(
        uow=modelled.app.uow,
        locator=modelled.app.locator,
        report=report,
        actor=Actor.system(),
        now=modelled.clock(),
    )
    assert modelled.app.suggest_backlog().suggested == 0  # too new: a worker queue may still hold it
    modelled.clock.advance(minutes=1)
    assert modelled.app.suggest_backlog().suggested == 1
    assert modelled.app.suggest_backlog().suggested == 0
    assert suggestion_of(modelled, receipt.number)["stored"]


def _web() -> Any:
    from civicgrid.domain.case_types import Source

    return Source.WEB


# ------------------------------------------------------------------------------- overrides
def test_an_operator_choosing_otherwise_is_recorded_and_listed(modelled: Civic) -> None:
    first = file(modelled)["number"]
    act(modelled, "operator", first, "register", category_code="H0201")
    act(modelled, "operator", first, "dispatch", org_code="housing", assignee_code="F0001")
    second = file(modelled)["number"]
    act(modelled, "operator", second, "register")
    act(modelled, "operator", second, "dispatch", org_code="chengguan", assignee_code="P0001")
    r = modelled.client.get("/api/v1/dispatch/overrides", headers=modelled.as_("supervisor"))
    assert r.status_code == 200, r.text
    page = r.json()
    assert page["total"] == 2 and [o["action"] for o in page["items"]] == ["dispatch", "register"]
    dispatched, registered = page["items"]
    assert registered["case_number"] == first and registered["actor_name"] == "王受理"
    assert registered["suggested"] == {
        "category_code": "C0101",
        "org_code": "chengguan",
        "assignee_code": "P0001",
    }
    assert registered["chosen"] == {"category_code": "H0201", "org_code": None, "assignee_code": None}
    assert dispatched["chosen"] == {"category_code": "H0201", "org_code": "housing", "assignee_code": "F0001"}
    assert dispatched["confidence"] == 0.95 and dispatched["model_version"] == 1
    taken = page["acceptance"]
    assert (taken["suggested"], taken["decided"], taken["taken"], taken["acceptance_rate"]) == (2, 2, 1, 0.5)
    assert suggestion_of(modelled, first)["taken"] == {"category": False, "org": False, "assignee": False}
    for who in ("operator", "worker", "handler"):
        assert modelled.client.get("/api/v1/dispatch/overrides", headers=modelled.as_(who)).status_code == 403
    assert modelled.client.get("/api/v1/dispatch/overrides").status_code == 401
    code, out = cli_run(modelled, "dispatch", "overrides", "--json")
    assert code == 0, out
    assert json.loads(out)["total"] == 2 and json.loads(out)["acceptance"]["acceptance_rate"] == 0.5
    code, out = cli_run(modelled, "dispatch", "models", "--json")
    assert (
        code == 0 and json.loads(out)[0]["acceptance_rate"] == 0.5 and json.loads(out)[0]["suggestions"] == 2
    )


def test_the_final_human_category_is_what_training_learns(modelled: Civic) -> None:
    number = file(modelled)["number"]
    act(modelled, "operator", number, "register", category_code="H0201")
    act(modelled, "operator", number, "dispatch", org_code="housing", assignee_code="F0001")
    act(modelled, "worker", number, "accept")
    act(modelled, "worker", number, "start")
    act(modelled, "worker", number, "report", note="已处理")
    act(modelled, "operator", number, "verify", ok=True)
    with modelled.app.reader() as u:
        [row] = u.dispatch.finished_cases()
    assert (row.category_code, row.org_code) == ("H0201", "housing")
    bad = modelled.client.post(
        f"/api/v1/cases/{file(modelled)['number']}/register",
        json={"category_code": "NOPE"},
        headers=modelled.as_("operator"),
    )
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "unknown_category", bad.text


# ------------------------------------------------------------------------- merged reporters
def close(civic: Civic, number: str) -> None:
    act(civic, "operator", number, "register")
    act(civic, "operator", number, "dispatch", org_code="chengguan", assignee_code="F0001")
    act(civic, "worker", number, "accept")
    act(civic, "worker", number, "start")
    act(civic, "worker", number, "report", note="已补装井盖")
    act(civic, "operator", number, "verify", ok=True)


def test_merged_reporters_follow_the_surviving_case_and_rate_it_too(civic: Civic) -> None:
    survivor = file(civic)
    merged = file(civic, description="东苑小区井盖丢了", reporter_name="李四", reporter_phone="13900001111")
    third = file(civic, description="3号楼井盖没有了", reporter_name="王五", reporter_phone="13900002222")
    act(civic, "operator", merged["number"], "merge", into=survivor["number"])
    act(civic, "operator", third["number"], "merge", into=survivor["number"])
    view = civic.client.get(f"/api/v1/track/{merged['tracking_token']}").json()
    assert view["number"] == survivor["number"] and view["merged_from"] == merged["number"]
    assert view["status"] == "submitted" and not view["can_rate"] and "李四" not in str(view)
    early = civic.client.post(
        f"/api/v1/track/{merged['tracking_token']}/rating", json={"satisfaction": "satisfied"}
    )
    assert early.status_code == 400 and early.json()["error"]["code"] == "rule_violation", early.text
    awaiting = {"awaiting_callback": "true"}
    assert (
        civic.client.get("/api/v1/cases", params=awaiting, headers=civic.as_("operator")).json()["total"] == 0
    )
    close(civic, survivor["number"])
    listed = civic.client.get("/api/v1/cases", params=awaiting, headers=civic.as_("operator")).json()
    assert {c["number"] for c in listed["items"]} == {survivor["number"], merged["number"], third["number"]}
    view = civic.client.get(f"/api/v1/track/{merged['tracking_token']}").json()
    assert view["status"] == "closed" and view["can_rate"] and view["rating"] is None
    rated = civic.client.post(
        f"/api/v1/track/{merged['tracking_token']}/rating", json={"satisfaction": "basically_satisfied"}
    )
    assert rated.status_code == 200, rated.text
    assert rated.json()["rating"] == "basically_satisfied" and not rated.json()["can_rate"]
    again = civic.client.post(
        f"/api/v1/track/{merged['tracking_token']}/rating", json={"satisfaction": "satisfied"}
    )
    assert again.status_code == 400 and again.json()["error"]["code"] == "rule_violation"
    # The survivor's own reporter still rates their case; an operator calls the third reporter back.
    own = civic.client.get(f"/api/v1/track/{survivor['tracking_token']}").json()
    assert own["can_rate"] and own["merged_from"] is None
    civic.client.post(
        f"/api/v1/track/{survivor['tracking_token']}/rating", json={"satisfaction": "satisfied"}
    )
    act(
        civic,
        "operator",
        third["number"],
        "callback",
        valid=True,
        contacted=True,
        resolved=False,
        satisfaction="unsatisfied",
    )
    assert (
        civic.client.get("/api/v1/cases", params=awaiting, headers=civic.as_("operator")).json()["total"] == 0
    )
    figures = civic.client.get(
        "/api/v1/figures",
        params={"from": "2026-11-01", "to": "2026-11-30", "group_by": "org"},
        headers=civic.as_("leader"),
    ).json()
    [org] = [g for g in figures["groups"] if g["key"] == "chengguan"]
    counts = org["counts"]
    assert (counts["valid_callbacks"], counts["satisfied"], counts["basically_satisfied"]) == (3, 1, 1)
    assert counts["resolved"] == 2
    merged_case = civic.client.get(f"/api/v1/cases/{merged['number']}", headers=civic.as_("operator")).json()
    assert merged_case["status"] == "merged" and merged_case["history"][-1]["action"] == "callback"


# ------------------------------------------------------------------------------- duplicates
def test_duplicates_search_follows_each_categorys_radius_and_window(civic: Civic) -> None:
    number = file(civic)["number"]
    query = {"category": "C0101", "text": "东苑小区井盖没了", "lon": 116.6027, "lat": 35.4027}
    assert [d["number"] for d in civic.client.get("/api/v1/duplicates", params=query).json()] == [number]
    set_auto(civic, "C0101", duplicate_radius_m=5)
    assert civic.client.get("/api/v1/duplicates", params=query).json() == []
    set_auto(civic, "C0101", duplicate_radius_m=None, duplicate_window_days=1)
    civic.clock.advance(days=2)
    assert civic.client.get("/api/v1/duplicates", params=query).json() == []
    set_auto(civic, "C0101", duplicate_window_days=None)
    assert len(civic.client.get("/api/v1/duplicates", params=query).json()) == 1
    r = civic.client.put(
        "/api/v1/dispatch/settings/C0101", json={"duplicate_radius_m": 10}, headers=civic.as_("operator")
    )
    assert r.status_code == 403
    r = civic.client.put(
        "/api/v1/dispatch/settings/NOPE", json={"auto_mode": "off"}, headers=civic.as_("admin")
    )
    assert r.status_code == 422 and r.json()["error"]["code"] == "unknown_category"
    r = civic.client.put(
        "/api/v1/dispatch/settings/C0101", json={"auto_mode": "on"}, headers=civic.as_("admin")
    )
    assert r.status_code == 400 and r.json()["error"]["code"] == "invalid_setting", r.text


# -------------------------------------------------------------------------------------- CLI
def cli_run(civic: Civic, *args: str) -> tuple[int, str]:
    db = civic.app.engine.url.render_as_string(hide_password=False)
    result = runner.invoke(cli, [*args, "--db", db], env={"CIVICGRID_LANG": "en_US.UTF-8"})
    return result.exit_code, result.output


def test_cli_sets_automatic_dispatch_and_duplicate_search_per_category(civic: Civic) -> None:
    code, out = cli_run(civic, "dispatch", "auto", "C0101", "--min-confidence", "0.9")
    assert code == 0 and "0.9" in out, out
    code, out = cli_run(civic, "dispatch", "duplicates", "C0101", "--radius", "100")
    assert code == 0 and "100" in out, out
    code, out = cli_run(civic, "dispatch", "settings", "--json")
    [row] = json.loads(out)["categories"]
    assert (row["auto_mode"], row["auto_min_confidence"], row["duplicate_radius_m"]) == ("on", 0.9, 100)
    code, out = cli_run(civic, "dispatch", "auto", "C0101", "--off")
    assert (
        code == 0
        and json.loads(cli_run(civic, "dispatch", "settings", "--json")[1])["categories"][0][
            "effective_min_confidence"
        ]
        is None
    )
    code, out = cli_run(civic, "dispatch", "auto", "C0101", "--off", "--min-confidence", "0.5")
    assert code != 0 and "exactly one" in out
    code, out = cli_run(civic, "dispatch", "auto", "NOPE", "--off")
    assert code != 0
    code, out = cli_run(civic, "dispatch", "suggest", "--json")
    assert code == 0 and json.loads(out)["suggested"] == 0


def test_desk_staff_see_duplicate_candidates_only_within_their_scope(civic: Civic) -> None:
    """A desk limited to street D1 is not shown a look-alike case across the street boundary in D2."""
    from datetime import timedelta

    from civicgrid.domain.accounts import UserSpec
    from civicgrid.domain.roles import Role
    from civicgrid.services import accounts, sign_in
    from conftest import FAST, PASSWORD

    text = "东苑小区3号楼下井盖缺失，晚上很危险"
    west = civic.client.post(
        "/api/v1/cases", json={"category_code": "C0101", "description": text, "lon": 116.6095, "lat": 35.405}
    ).json()["number"]
    east = civic.client.post(
        "/api/v1/cases", json={"category_code": "C0101", "description": text, "lon": 116.6105, "lat": 35.405}
    ).json()["number"]
    everyone = civic.client.get(f"/api/v1/cases/{west}/duplicates", headers=civic.as_("operator")).json()
    assert east in [d["number"] for d in everyone]
    user = accounts.create_user(
        uow=civic.app.uow,
        actor=accounts.command_line_actor(),
        spec=UserSpec("desk_d1", Role.OPERATOR, "西片受理", area_codes=frozenset({"D1"})),
        password=PASSWORD,
        now=civic.clock(),
        passwords=FAST,
    )
    token = sign_in.issue_token(
        uow=civic.app.uow, user=user, name="t", now=civic.clock(), ttl=timedelta(days=1)
    )
    mine = civic.client.get(f"/api/v1/cases/{west}/duplicates", headers={"Authorization": f"Bearer {token}"})
    assert mine.status_code == 200 and east not in [d["number"] for d in mine.json()]
