"""Routing rules, worker choice and automatic dispatch, without a database."""

from __future__ import annotations

from typing import Any

from civicgrid.domain.case_types import AreaChain
from civicgrid.domain.dispatch import (
    AUTO_NO,
    AUTO_YES,
    DEFAULT_ROUTE,
    FULLTIME_FALLBACK,
    LEAST_LOADED,
    NO_WORKER,
    NOBODY,
    RULE_ROUTE,
    Reason,
    Route,
    RoutingRule,
    WorkerLoad,
    auto_dispatch_decision,
    least_loaded,
    percent,
    pick_rule,
    route,
)

CHAIN = AreaChain(microgrid="D1111", grid="D111", community="D11", street="D1")
NAMES = {"D1111": "微网格一", "D111": "网格一", "D11": "社区一", "D1": "街道一", "D": "高新区"}
ORGS = {"chengguan": "城管", "housing": "住建", "water_supply": "供水"}


def rule(area: str, org: str, category: str = "C0101", id: int = 1) -> RoutingRule:
    return RoutingRule(category, area, org, id=id)


def worker(code: str, open_cases: int, org: str | None = "chengguan") -> WorkerLoad:
    kind = "fulltime" if org is None else "professional"
    return WorkerLoad(code=code, name=f"名{code}", kind=kind, org_code=org, open_cases=open_cases)


def go(**kw: Any) -> Route:
    args: dict[str, Any] = {
        "category_code": "C0101",
        "category_name": "井盖",
        "default_org": "chengguan",
        "chain": CHAIN,
        "rules": [],
        "workers": [],
        "organisations": ORGS,
        "area_names": NAMES,
        "district_code": "D",
    }
    args.update(kw)
    return route(**args)


def test_the_most_specific_area_rule_wins() -> None:
    rules = [rule("D1", "housing", id=1), rule("D111", "water_supply", id=2), rule("D11", "chengguan", id=3)]
    assert pick_rule(rules, "C0101", CHAIN, "D") == rules[1]
    rules.append(rule("D1111", "housing", id=4))
    assert pick_rule(rules, "C0101", CHAIN, "D") == rules[3]


def test_a_district_rule_is_the_least_specific() -> None:
    rules = [rule("D", "housing", id=1), rule("D1", "water_supply", id=2)]
    assert pick_rule(rules, "C0101", CHAIN, "D") == rules[1]
    assert pick_rule(rules[:1], "C0101", CHAIN, "D") == rules[0]
    assert pick_rule(rules[:1], "C0101", CHAIN, None) is None


def test_rules_of_other_categories_and_other_places_do_not_apply() -> None:
    rules = [rule("D1", "housing", category="H0201"), rule("D2", "housing"), rule("D112", "housing")]
    assert pick_rule(rules, "C0101", CHAIN, "D") is None


def test_without_a_rule_the_categorys_department_handles_it() -> None:
    result = go(workers=[worker("P1", 2)])
    assert result.org_code == "chengguan" and result.assignee_code == "P1"
    assert result.reasons[0].message == DEFAULT_ROUTE


def test_a_rule_overrides_the_default_and_says_so() -> None:
    result = go(rules=[rule("D11", "housing")], workers=[worker("P1", 0), worker("H1", 5, "housing")])
    assert result.org_code == "housing" and result.assignee_code == "H1"
    first: Reason = result.reasons[0]
    assert first.message == RULE_ROUTE and first.params["area"] == "社区一"
    assert first.render() == "住建 handles 井盖 in 社区一 (rule)"


def test_the_least_loaded_worker_of_the_organisation_is_chosen() -> None:
    crew = [
        worker("P3", 4),
        worker("P1", 2),
        worker("P2", 2),
        worker("F1", 0, None),
        worker("H1", 0, "housing"),
    ]
    result = go(workers=crew)
    assert result.assignee_code == "P1"  # fewest open cases, then lowest code
    who: Reason = result.reasons[1]
    assert who.message == LEAST_LOADED and who.params == {"worker": "名P1", "grid": "网格一", "n": 2}


def test_without_a_worker_of_the_organisation_the_fulltime_grid_worker_takes_it() -> None:
    result = go(workers=[worker("F2", 3, None), worker("F1", 1, None), worker("H1", 0, "housing")])
    assert result.org_code == "chengguan" and result.assignee_code == "F1"
    assert result.reasons[1].message == FULLTIME_FALLBACK


def test_without_any_worker_the_organisation_assigns_it_itself() -> None:
    result = go(workers=[])
    assert result.org_code == "chengguan" and result.assignee_code is None
    assert result.reasons[1].message == NO_WORKER


def test_a_report_nobody_owns_goes_to_the_street_command_subcentre() -> None:
    result = go(default_org="gone", workers=[worker("F1", 0, None)])
    assert result.org_code is None and result.assignee_code is None
    only: Reason = result.reasons[0]
    assert only.message == NOBODY and only.params == {"area": "街道一"}
    assert "首接负责" in only.render()


def test_least_loaded_of_nobody_is_nobody() -> None:
    assert least_loaded([]) is None


def test_auto_dispatch_needs_confidence_at_the_categorys_threshold() -> None:
    assert auto_dispatch_decision(0.95, 0.9, "chengguan")[0] is True
    assert auto_dispatch_decision(0.9, 0.9, "chengguan")[0] is True
    ok, why = auto_dispatch_decision(0.95, 0.9, "chengguan")
    assert ok
    assert why is not None and why.message == AUTO_YES and why.params == {"p": 95, "t": 90}
    no, why = auto_dispatch_decision(0.6, 0.9, "chengguan")
    assert no is False and why is not None and why.message == AUTO_NO


def test_no_auto_dispatch_without_threshold_confidence_or_owner() -> None:
    assert auto_dispatch_decision(0.99, None, "chengguan") == (False, None)
    assert auto_dispatch_decision(None, 0.5, "chengguan") == (False, None)
    assert auto_dispatch_decision(0.99, 0.5, None) == (False, None)


def test_percentages_never_round_up_to_certainty() -> None:
    assert percent(0.996) == 99 and percent(1.0) == 100 and percent(0.004) == 0 and percent(0.5) == 50
