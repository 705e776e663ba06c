"""What the audit log's action codes mean, in the reader's language ('case.accept' is 案件：签收).

The log stores codes (exports and filters keep them); pages show these names, with the code beside.
"""

from __future__ import annotations

from civicgrid.i18n import N_, translate

AUDIT_ACTIONS = {
    "sign_in": N_("Signed in"),
    "sign_out": N_("Signed out"),
    "sign_in.failed": N_("Sign-in failed"),
    "sign_in.refused": N_("Sign-in refused"),
    "sign_in.throttled": N_("Sign-in throttled"),
    "token.issue": N_("Access token issued"),
    "token.revoke": N_("Access token revoked"),
    "api_key.create": N_("API key created"),
    "api_key.revoke": N_("API key revoked"),
    "user.create": N_("Account created"),
    "user.deactivate": N_("Account deactivated"),
    "user.password": N_("Password changed"),
    "worker.create": N_("Grid worker added"),
    "worker.update": N_("Grid worker changed"),
    "organisation.update": N_("Organisation changed"),
    "category.update": N_("Category changed"),
    "calendar.load": N_("Working-day calendar loaded"),
    "map.import": N_("Grid map imported"),
    "dispatch.rule_add": N_("Routing rule added"),
    "dispatch.rule_remove": N_("Routing rule removed"),
    "dispatch.settings": N_("Dispatch settings changed"),
    "case.submit": N_("Report filed"),
    "case.rating": N_("Rated by the resident"),
    "case.auto_dispatch": N_("Dispatched automatically"),
    "case.auto_subcentre": N_("Sent to the street sub-centre automatically"),
}
# The steps of the case workflow (services/workflow.py), logged as 'case.<step>'.
CASE_STEPS = {
    "register": N_("Case registered"),
    "reject": N_("Case rejected"),
    "merge": N_("Cases merged"),
    "dispatch": N_("Case dispatched"),
    "accept": N_("Case accepted"),
    "return": N_("Return requested"),
    "decide": N_("Request decided"),
    "start": N_("Work started"),
    "report": N_("Result reported"),
    "extend": N_("Extension requested"),
    "suspend": N_("Suspension requested"),
    "resume": N_("Work resumed"),
    "verify": N_("Result verified"),
    "callback": N_("Callback recorded"),
    "reopen": N_("Case reopened"),
    "escalate": N_("Case escalated"),
    "supervise": N_("Supervision order"),
    "comment": N_("Comment added"),
}


def audit_action(code: str, locale: str) -> str:
    """The action's name in the reader's language; a code no one named (a newer version's) as it is."""
    step = code.removeprefix("case.") if code.startswith("case.") else None
    name = AUDIT_ACTIONS.get(code) or (CASE_STEPS.get(step) if step else None)
    return translate(name, locale) if name else code
