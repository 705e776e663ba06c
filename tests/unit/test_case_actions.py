"""The actions a page offers are the ones the lifecycle would accept from this actor now, and no others."""

from __future__ import annotations

import pytest
from test_case_lifecycle import HANDLER, LEADER, OPERATOR, OTHER_WORKER, RESIDENT, SUPERVISOR, WORKER, at
from test_transition_table import BUILDERS

from civicgrid.domain.case_actions import CASE_ACTIONS, allowed_actions
from civicgrid.domain.roles import Actor, Role
from civicgrid.services.workflow import ACTIONS

NOW = at(30)


def test_the_pages_actions_are_the_workflows_actions() -> None:
    assert set(CASE_ACTIONS) == set(ACTIONS)


def test_an_operator_registers_rejects_or_merges_a_new_report() -> None:
    assert allowed_actions(BUILDERS["submitted"](), OPERATOR, NOW) == (
        "register",
        "reject",
        "merge",
        "escalate",
        "comment",
    )


def test_a_registered_case_is_dispatched_or_merged_by_the_desk() -> None:
    found = allowed_actions(BUILDERS["registered"](), SUPERVISOR, NOW)
    assert found == ("merge", "dispatch", "escalate", "supervise", "comment")


def test_only_the_assignee_accepts_or_returns_a_dispatched_case() -> None:
    case = BUILDERS["dispatched"]()
    assert allowed_actions(case, WORKER, NOW) == ("accept", "return", "escalate", "comment")
    assert "accept" not in allowed_actions(case, OTHER_WORKER, NOW)
    assert "comment" not in allowed_actions(case, OTHER_WORKER, NOW)
    assert allowed_actions(case, OPERATOR, NOW) == ("escalate", "comment")


def test_the_worker_starts_then_reports_asks_for_time_or_a_pause() -> None:
    assert allowed_actions(BUILDERS["accepted"](), WORKER, NOW) == (
        "return",
        "start",
        "extend",
        "suspend",
        "escalate",
        "comment",
    )
    assert allowed_actions(BUILDERS["in_progress"](), WORKER, NOW) == (
        "report",
        "extend",
        "suspend",
        "escalate",
        "comment",
    )


def test_a_pending_request_waits_for_the_supervisor_and_blocks_another() -> None:
    case = BUILDERS["in_progress"]()
    case.request_extension(actor=WORKER, at=at(2), new_due=at(500), reason="材料未到")
    assert "decide" in allowed_actions(case, SUPERVISOR, NOW)
    assert "decide" not in allowed_actions(case, OPERATOR, NOW)
    worker = allowed_actions(case, WORKER, NOW)
    assert "extend" not in worker and "suspend" not in worker and "report" in worker


def test_the_desk_verifies_a_handled_case_and_calls_back_a_closed_one() -> None:
    assert "verify" in allowed_actions(BUILDERS["handled"](), OPERATOR, NOW)
    assert "verify" not in allowed_actions(BUILDERS["handled"](), WORKER, NOW)
    closed = allowed_actions(BUILDERS["closed"](), OPERATOR, NOW)
    assert "callback" in closed and "reopen" not in closed
    assert "reopen" in allowed_actions(BUILDERS["evaluated"](), OPERATOR, NOW)  # rated unsatisfied


def test_a_rejected_case_gets_no_callback() -> None:
    assert "callback" not in allowed_actions(BUILDERS["rejected"](), OPERATOR, NOW)


def test_a_suspended_case_is_resumed_by_the_assignee_or_a_supervisor() -> None:
    case = BUILDERS["suspended"]()
    assert "resume" in allowed_actions(case, WORKER, NOW)
    assert "resume" in allowed_actions(case, SUPERVISOR, NOW)
    assert "resume" not in allowed_actions(case, OPERATOR, NOW)


@pytest.mark.parametrize("status", sorted(BUILDERS))
@pytest.mark.parametrize("actor", [LEADER, RESIDENT, Actor(role=Role.ADMIN, id=9, name="管理")])
def test_leaders_residents_and_administrators_take_no_action_from_the_case_page(
    status: str, actor: Actor
) -> None:
    found = allowed_actions(BUILDERS[status](), actor, NOW)
    # A signed-in resident rates through the tracking link, which is not this page.
    assert set(found) <= ({"callback"} if actor is RESIDENT else set())


@pytest.mark.parametrize("status", sorted(BUILDERS))
@pytest.mark.parametrize("actor", [OPERATOR, SUPERVISOR, WORKER, OTHER_WORKER, HANDLER])
def test_asking_changes_nothing_and_every_answer_is_accepted_by_the_case(status: str, actor: Actor) -> None:
    case = BUILDERS[status]()
    before = (case.status, case.version, len(case.history()), case.due, case.pending, case.escalation)
    found = allowed_actions(case, actor, NOW)
    assert (case.status, case.version, len(case.history()), case.due, case.pending, case.escalation) == before
    assert set(found) <= set(CASE_ACTIONS)
