"""Smart dispatch end to end: models trained on stored history, suggestions, rules, duplicates, the CLI."""

from __future__ import annotations

import csv
import json
import random
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from civicgrid.adapters.db.tables import organisations
from civicgrid.demo.people import WorkerKind, WorkerSpec
from civicgrid.demo.workload import WorkerRef, simulate, sites_of
from civicgrid.domain.dispatch import (
    CHOSEN_CATEGORY,
    DEFAULT_ROUTE,
    FULLTIME_FALLBACK,
    KEYWORD_ONLY,
    LEAST_LOADED,
    NAMES_CATEGORY,
    NOBODY,
    NOT_READ,
    READS_LIKE,
    RULE_ROUTE,
    Classifier,
)
from civicgrid.domain.time_limits import default_limit
from civicgrid.entrypoints.cli import app as cli
from civicgrid.services import dispatch
from civicgrid.services.accounts import command_line_actor
from civicgrid.services.dispatch import ModelCache, NotEnoughHistory, RulesNotAllowed
from conftest import Civic
from support import tiny_map

INSIDE = {"lon": 116.6025, "lat": 35.4025}  # micro-grid D1111 of grid D111, community D11, street D1
runner = CliRunner()


def simulate_history(civic: Civic, count: int = 1000, seed: int = 3) -> int:
    """Store ``count`` simulated cases with their whole lifecycle on the test district; returns how many."""
    app = civic.app
    areas = tiny_map()
    sites = sites_of(areas)
    with app.reader() as u:
        catalogue = u.reference.catalogue()
        first_id = u.cases.next_id()
        crews = {
            g: [
                WorkerRef(w["code"], w["name"], w["org_code"], w["kind"])
                for w in u.reference.workers_of_grid(g)
            ]
            for g in ("D111", "D112", "D211", "D212")
        }
    cases = list(
        simulate(
            count=count,
            seed=seed,
            end=civic.clock() - timedelta(days=1),
            days=365,
            sites=sites,
            catalogue=catalogue,
            limits=lambda code, urgency: default_limit(catalogue.category(code).limit_class, urgency),
            deadlines=app.deadlines,
            workers_by_grid=crews,
            first_id=first_id,
        )
    )
    with app.uow() as u:
        u.cases.add_many(cases)
        u.commit()
    return len(cases)


class Constant:
    """A model kind that always answers the same category: worse than any real one."""

    name = "constant"

    def fit(self, texts: Sequence[str], labels: Sequence[str]) -> Classifier:
        return _Always(sorted(set(labels))[0], sorted(set(labels)))

    def dumps(self, model: Classifier) -> bytes:
        return b"constant"

    def loads(self, data: bytes) -> Classifier:
        raise AssertionError("never loaded")


class _Always:
    def __init__(self, label: str, labels: list[str]) -> None:
        self.label, self._labels = label, labels

    @property
    def labels(self) -> list[str]:
        return self._labels

    def predict_top(self, texts: Sequence[str], k: int = 3) -> list[list[tuple[str, float]]]:
        return [[(self.label, 1.0)] for _ in texts]


@pytest.fixture
def trained(civic: Civic) -> Civic:
    simulate_history(civic)
    dispatch.train(uow=civic.app.uow, now=civic.clock(), min_cases=200)
    return civic


# ------------------------------------------------------------------------------------- models
def test_training_stores_a_versioned_model_with_its_evaluation_and_activates_it(civic: Civic) -> None:
    simulate_history(civic)
    info = dispatch.train(uow=civic.app.uow, now=civic.clock(), min_cases=200)
    assert info.version == 1 and info.active and info.kind == "tfidf-svm" and info.n_train >= 250
    m = info.metrics
    assert 0.5 < m["accuracy"] <= 1 and 0 < m["macro_f1"] <= 1 and m["top3_accuracy"] >= m["accuracy"]
    assert m["n_test"] > 50 and m["train_s"] < 30 and m["msgs_per_s"] > 100
    assert m["trained_through"] > 0 and m["compared_with"] is None and m["department_accuracy"] > 0.5
    stored = dispatch.models(uow=civic.app.reader)
    assert [(x.version, x.active) for x in stored] == [(1, True)]
    loaded = dispatch.current_classifier(civic.app.reader, cache=ModelCache())
    assert loaded is not None and loaded.info.version == 1 and len(loaded.labels) > 10


def test_a_worse_model_is_stored_but_the_active_one_stays(trained: Civic) -> None:
    worse = dispatch.train(uow=trained.app.uow, now=trained.clock(), min_cases=200, kind=Constant())
    assert worse.version == 2 and not worse.active
    assert worse.metrics["compared_with"]["version"] == 1
    assert worse.metrics["compared_with"]["new"] < worse.metrics["compared_with"]["old"]
    assert [(m.version, m.active) for m in dispatch.models(uow=trained.app.reader)] == [(2, False), (1, True)]


def test_servers_pick_up_a_newly_activated_model_without_a_restart(trained: Civic) -> None:
    ticks = [0.0]
    cache = ModelCache(check_every_s=30, clock=lambda: ticks[0])
    first = dispatch.current_classifier(trained.app.reader, cache=cache)
    assert first is not None and first.info.version == 1
    with trained.app.uow() as u:  # another process activates a new version
        info, payload = u.dispatch.model(first.info.id) or pytest.fail("no model")
        new_id = u.dispatch.add_model(
            created_at=trained.clock(), version=2, kind=info.kind, n_train=1, metrics={}, payload=payload
        )
        u.dispatch.activate(new_id)
        u.commit()
    ticks[0] = 10.0
    assert dispatch.current_classifier(trained.app.reader, cache=cache) is first  # not asked again yet
    ticks[0] = 31.0
    newer = dispatch.current_classifier(trained.app.reader, cache=cache)
    assert newer is not None and newer.info.version == 2


def test_evaluation_reports_on_held_out_history_and_the_active_model(trained: Civic) -> None:
    result = dispatch.evaluate_history(uow=trained.app.reader, now=trained.clock())
    assert {"macro_f1", "accuracy", "per_class", "train_s", "msgs_per_s", "n_train", "n_test"} <= set(result)
    assert result["active_model"]["version"] == 1


def test_training_on_too_little_history_is_refused(civic: Civic) -> None:
    with pytest.raises(NotEnoughHistory):
        dispatch.train(uow=civic.app.uow, now=civic.clock())


# -------------------------------------------------------------------------------- suggestions
def suggestion(civic: Civic, classifier: Classifier | None = None, **kw: Any) -> dispatch.Suggestion:
    args: dict[str, Any] = {"description": "东苑小区3号楼下井盖缺失，晚上很危险", **INSIDE} | kw
    return dispatch.suggest(uow=civic.app.reader, classifier=classifier, locator=civic.app.locator, **args)


def test_a_suggestion_explains_category_department_and_worker(civic: Civic) -> None:
    found = suggestion(civic, category_code="C0101")
    assert (found.category_code, found.org_code, found.assignee_code) == ("C0101", "chengguan", "P0001")
    assert [r.message for r in found.reasons] == [CHOSEN_CATEGORY, DEFAULT_ROUTE, LEAST_LOADED]
    assert found.reasons[2].params == {"worker": "城管队员", "grid": "高新区-1-1-1", "n": 0}
    assert found.confidence is None and not found.auto_dispatch


def test_without_a_model_the_catalogue_keywords_name_the_category(civic: Civic) -> None:
    found = suggestion(civic)
    assert found.category_code == "C0101" and found.confidence is None
    assert found.reasons[0].message == NAMES_CATEGORY and found.alternatives == ()


def test_the_model_classifies_the_text_with_confidence_and_alternatives(trained: Civic) -> None:
    model = dispatch.current_classifier(trained.app.reader, cache=ModelCache())
    with trained.app.reader() as u:
        known = u.dispatch.finished_cases()[-1]
    found = suggestion(trained, model, description=known.description)
    assert found.confidence is not None and 0 < found.confidence <= 1 and found.model_version == 1
    assert len(found.alternatives) == 3 and found.alternatives[0] == (
        found.category_code,
        round(found.confidence, 4),
    )
    assert found.alternatives[0][1] >= found.alternatives[1][1] >= found.alternatives[2][1]
    assert found.reasons[0].message == READS_LIKE and found.org_code is not None
    assert not found.auto_dispatch  # no threshold: an operator decides
    sure = suggestion(trained, model, description=known.description, thresholds={found.category_code: 0.0})
    assert sure.auto_dispatch and sure.reasons[-1].params["t"] == 0
    unsure = suggestion(trained, model, description=known.description, default_threshold=1.01)
    assert not unsure.auto_dispatch and unsure.reasons[-1].params["t"] == 100


def test_the_model_does_not_read_a_text_that_is_not_chinese(trained: Civic) -> None:
    # It learned from Chinese reports: on Latin letters it said "outdoor advertising, 99 %", and a
    # threshold of 90 % would have dispatched a broken street lamp to the advertising inspectors.
    model = dispatch.current_classifier(trained.app.reader, cache=ModelCache())
    for text in ("The street lamp outside building 3 is broken", "asdf qwerty", "12345"):
        found = suggestion(trained, model, description=text, default_threshold=0.0, category_code="C0104")
        assert found.confidence is None and not found.auto_dispatch and found.alternatives == (), text
        assert found.reasons[0].message == NOT_READ and found.category_code == "C0104"
    named = suggestion(trained, model, description="manhole cover 井盖 missing")  # keywords still count
    assert named.confidence is None and named.reasons[0].message == NOT_READ
    assert named.reasons[1].message == KEYWORD_ONLY and named.category_code == "C0101"
    mixed = suggestion(trained, model, description="小区门口的LED路灯不亮了")  # mostly Chinese: read
    assert mixed.confidence is not None and mixed.reasons[0].message == READS_LIKE


def test_a_routing_rule_overrides_the_department_and_the_most_specific_wins(civic: Civic) -> None:
    admin = command_line_actor()
    dispatch.add_rule(
        uow=civic.app.uow,
        actor=admin,
        category_code="C0101",
        area_code="D11",
        org_code="housing",
        now=civic.clock(),
    )
    found = suggestion(civic, category_code="C0101")
    assert found.org_code == "housing" and found.assignee_code == "F0001"  # no housing worker: full-time one
    assert [r.message for r in found.reasons[1:]] == [RULE_ROUTE, FULLTIME_FALLBACK]
    micro = dispatch.add_rule(
        uow=civic.app.uow,
        actor=admin,
        category_code="C0101",
        area_code="D1111",
        org_code="police",
        now=civic.clock(),
    )
    assert suggestion(civic, category_code="C0101").org_code == "police"
    dispatch.remove_rule(uow=civic.app.uow, actor=admin, rule_id=micro.id or 0, now=civic.clock())
    assert suggestion(civic, category_code="C0101").org_code == "housing"
    assert suggestion(civic, category_code="C0101", lon=116.6175, lat=35.4175).org_code == "chengguan"


def test_only_administrators_change_rules(civic: Civic) -> None:
    from civicgrid.domain.roles import Actor, Role

    with pytest.raises(RulesNotAllowed):
        dispatch.add_rule(
            uow=civic.app.uow,
            actor=Actor(role=Role.OPERATOR, name="x"),
            category_code="C0101",
            area_code="D1",
            org_code="housing",
            now=civic.clock(),
        )


def test_the_worker_with_the_fewest_open_cases_gets_it(civic: Civic) -> None:
    with civic.app.uow() as u:
        u.reference.save_workers(
            [WorkerSpec("P0002", "城管二", "13900000001", WorkerKind.PROFESSIONAL, "chengguan", ("D111",))]
        )
        u.commit()
    assert suggestion(civic, category_code="C0101").assignee_code == "P0001"  # tie: the lower code
    number = file_report(civic)
    for action, body in (("register", {}), ("dispatch", {"org_code": "chengguan", "assignee_code": "P0001"})):
        r = civic.client.post(f"/api/v1/cases/{number}/{action}", json=body, headers=civic.as_("operator"))
        assert r.status_code == 200, r.text
    found = suggestion(civic, category_code="C0101")
    assert found.assignee_code == "P0002" and found.reasons[2].params["n"] == 0


def test_a_report_nobody_owns_goes_to_the_street_command_subcentre(civic: Civic) -> None:
    with civic.app.uow() as u:
        u.conn.execute(
            sa.update(organisations).where(organisations.c.code == "chengguan").values(active=False)
        )
        u.commit()
    found = suggestion(civic, category_code="C0101")
    assert found.org_code is None and found.assignee_code is None and not found.auto_dispatch
    assert found.reasons[-1].message == NOBODY and found.reasons[-1].params == {"area": "高新区-1"}


# ------------------------------------------------------------------------------------------ API
def file_report(civic: Civic, **extra: Any) -> str:
    body = {
        "category_code": "C0101",
        "description": "东苑小区3号楼下井盖缺失，晚上很危险，联系我13812345678",
        **INSIDE,
        "reporter_name": "张三",
        "reporter_phone": "13812341234",
    } | extra
    r = civic.client.post("/api/v1/cases", json=body)
    assert r.status_code == 201, r.text
    return str(r.json()["number"])


def test_residents_see_possible_duplicates_without_anybodys_personal_data(civic: Civic) -> None:
    number = file_report(
        civic, description="东苑小区3号楼下井盖缺失，晚上很危险，联系我13812345678，" + "很急" * 40
    )
    civic.clock.advance(hours=5)
    query = {"category": "C0101", "text": "东苑小区井盖没了", "lon": 116.6026, "lat": 35.4026}
    r = civic.client.get("/api/v1/duplicates", params=query)
    assert r.status_code == 200, r.text
    [hit] = r.json()
    assert set(hit) == {"number", "category_code", "distance_m", "days", "status", "description"}
    assert hit["number"] == number and hit["status"] == "submitted" and 0 < hit["distance_m"] < 30
    assert (
        len(hit["description"]) <= 60
        and "13812345678" not in hit["description"]
        and "***" in hit["description"]
    )
    assert "张三" not in r.text and "1234" not in r.text
    far = civic.client.get("/api/v1/duplicates", params=query | {"lon": 116.6175, "lat": 35.4175})
    assert far.json() == []
    other = civic.client.get("/api/v1/duplicates", params=query | {"category": "H0201"})
    assert other.json() == []


def test_desk_staff_see_a_cases_suggestion_and_duplicates_in_their_language(civic: Civic) -> None:
    first = file_report(civic)
    second = file_report(civic, description="东苑小区楼下井盖丢了")
    r = civic.client.get(f"/api/v1/cases/{second}/suggestion?lang=en", headers=civic.as_("operator"))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["org_code"] == "chengguan" and body["assignee_code"] == "P0001"
    assert any("handles" in reason for reason in body["reasons"])
    zh = civic.client.get(f"/api/v1/cases/{second}/suggestion", headers=civic.as_("operator")).json()
    assert zh["reasons"] != body["reasons"]
    dupes = civic.client.get(f"/api/v1/cases/{second}/duplicates", headers=civic.as_("operator")).json()
    assert [d["number"] for d in dupes] == [first]
    for who, status in (("handler", 403), ("resident", 403)):
        assert (
            civic.client.get(f"/api/v1/cases/{second}/suggestion", headers=civic.as_(who)).status_code
            == status
        )
    assert civic.client.get(f"/api/v1/cases/{second}/suggestion").status_code == 401


# ------------------------------------------------------------------------------------------ CLI
def cli_run(*args: str) -> tuple[int, str]:
    result = runner.invoke(cli, list(args), env={"CIVICGRID_LANG": "en_US.UTF-8"})
    return result.exit_code, result.output


def write_csv(path: Path, rows: list[tuple[str, str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["text", "label"])
        w.writerows(rows)
    return path


def labelled(n: int, seed: int, spaced: bool = False) -> list[tuple[str, str]]:
    rng = random.Random(seed)
    topics = {"交通运输": ["公交", "车站", "红绿灯", "拥堵"], "环境保护": ["噪音", "污水", "粉尘", "异味"]}
    filler = ["小区", "居民", "反映", "希望", "尽快", "处理"]
    rows = []
    for label, words in topics.items():
        for _ in range(n):
            tokens = rng.sample(words, 2) + rng.sample(filler, 3)
            rng.shuffle(tokens)
            rows.append(((" " if spaced else "").join(tokens) + ("" if spaced else "。"), label))
    return rows


def test_cli_evaluates_csv_files_under_both_protocols_without_a_database(tmp_path: Path) -> None:
    train = write_csv(tmp_path / "train.csv", labelled(20, 1))
    test = write_csv(tmp_path / "test.csv", labelled(10, 2))
    code, out = cli_run("dispatch", "evaluate", "--train", str(train), "--test", str(test), "--json")
    assert code == 0, out
    result = json.loads(out)
    assert list(result)[:4] == ["macro_f1", "per_class", "train_s", "msgs_per_s"]
    assert result["macro_f1"] > 0.9 and set(result["per_class"]) == {"交通运输", "环境保护"}
    data = write_csv(tmp_path / "all.csv", labelled(15, 3, spaced=True))
    code, out = cli_run("dispatch", "evaluate", "--cv", "3", "--data", str(data), "--json")
    assert code == 0, out
    assert json.loads(out)["n_test"] == 30
    code, out = cli_run("dispatch", "evaluate", "--train", str(train), "--json")
    assert code != 0 and "--test" in out


def test_cli_edits_rules_and_refuses_training_on_little_history(civic: Civic) -> None:
    db = str(civic.app.engine.url.render_as_string(hide_password=False))
    code, out = cli_run("dispatch", "rules", "add", "C0101", "D11", "housing", "--db", db)
    assert code == 0, out
    code, out = cli_run("dispatch", "rules", "list", "--json", "--db", db)
    [rule] = json.loads(out)
    assert (rule["category"], rule["area"], rule["org"]) == ("C0101", "D11", "housing")
    code, out = cli_run("dispatch", "rules", "add", "C0101", "D11", "police", "--db", db)
    assert code == 1 and "exists already" in out
    code, out = cli_run("dispatch", "rules", "add", "C0101", "NOWHERE", "police", "--db", db)
    assert code == 1 and "Unknown area" in out
    code, out = cli_run("dispatch", "rules", "remove", str(rule["id"]), "--db", db)
    assert code == 0 and json.loads(cli_run("dispatch", "rules", "list", "--json", "--db", db)[1]) == []
    code, out = cli_run("dispatch", "train", "--db", db)
    assert code == 1 and "at least 200" in out
