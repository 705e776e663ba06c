"""Every action the services write to the audit log has a name on the audit page, in both languages."""

from __future__ import annotations

import re
from pathlib import Path

from civicgrid.entrypoints.web.audit_labels import AUDIT_ACTIONS, CASE_STEPS, audit_action
from civicgrid.services.workflow import ACTIONS

SERVICES = Path(__file__).parents[2] / "src" / "civicgrid" / "services"
# An audit action as the services spell it: 'sign_in', 'sign_out' or 'kind.what' ('user.create' ...).
CODE = re.compile(
    r'"((?:token|api_key|user|worker|organisation|category|calendar|map|dispatch|case|sign_in)\.[a-z_]+'
    r'|sign_in|sign_out)"'
)


def written_codes() -> set[str]:
    """Every such literal in the services' code (the one formatted code, 'case.<step>', aside)."""
    return {code for path in SERVICES.glob("*.py") for code in CODE.findall(path.read_text(encoding="utf-8"))}


def test_every_code_the_services_write_is_named() -> None:
    codes = written_codes()
    assert {"sign_in", "user.create", "worker.create", "worker.update", "case.submit"} <= codes
    unnamed = [c for c in codes if c not in AUDIT_ACTIONS and c.removeprefix("case.") not in CASE_STEPS]
    assert sorted(unnamed) == []


def test_every_workflow_step_is_named_in_both_languages() -> None:
    assert set(CASE_STEPS) == set(ACTIONS)
    for step in ACTIONS:
        zh, en = audit_action(f"case.{step}", "zh_CN"), audit_action(f"case.{step}", "en")
        assert re.search("[\u4e00-\u9fff]", zh) and en[0].isupper() and zh != en, step


def test_a_code_nobody_named_is_shown_as_it_is() -> None:
    assert audit_action("case.teleport", "zh_CN") == "case.teleport"
    assert audit_action("archive.purge", "en") == "archive.purge"
    assert audit_action("sign_in", "zh_CN") == "登录"
