"""What the case page says after each action, and when someone else changed the case first."""

from __future__ import annotations

from civicgrid.i18n import N_

DONE = {
    "register": N_("Case registered."),
    "reject": N_("The report was not registered; the case is closed."),
    "merge": N_("Merged into the duplicate case."),
    "dispatch": N_("Case dispatched."),
    "accept": N_("Case accepted."),
    "return": N_("Return requested; a supervisor will decide."),
    "decide": N_("Decision recorded."),
    "start": N_("Work started."),
    "report": N_("Result reported."),
    "extend": N_("Extension requested; a supervisor will decide."),
    "suspend": N_("Suspension requested; a supervisor will decide."),
    "resume": N_("Case resumed."),
    "verify": N_("Verification recorded."),
    "callback": N_("Callback recorded."),
    "reopen": N_("Case reopened."),
    "escalate": N_("Case escalated."),
    "supervise": N_("Supervision order issued."),
    "comment": N_("Comment added."),
}

STALE = N_("The case changed while you were looking at it; nothing was saved. Check it and try again.")

SORT_LABELS = (
    ("newest", N_("Newest first")),
    ("oldest", N_("Oldest first")),
    ("due", N_("Due soonest")),
    ("due_desc", N_("Due latest")),
)

# Codes shown by label on the case pages (``_("source_" ~ code)``, ``_("level_" ~ code)``...).
CODE_LABELS = (
    N_("source_web"),
    N_("source_hotline"),
    N_("source_open311"),
    N_("source_patrol"),
    N_("source_enterprise"),
    N_("satisfied"),
    N_("basically_satisfied"),
    N_("unsatisfied"),
    N_("outcome_resolved"),
    N_("outcome_rejected"),
    N_("pending_return"),
    N_("pending_extension"),
    N_("pending_suspension"),
    N_("level_street"),
    N_("level_community"),
    N_("level_grid"),
    N_("level_microgrid"),
    N_("level_district"),
    N_("warning_yellow"),
    N_("warning_red"),
    N_("resolved"),
    N_("fulltime"),
    N_("professional"),
)

# The button of each action on the case page.
BUTTONS = {
    "register": N_("Register"),
    "reject": N_("Reject"),
    "merge": N_("Merge into a duplicate"),
    "dispatch": N_("Dispatch"),
    "accept": N_("Accept"),
    "return": N_("Ask to return it"),
    "decide": N_("Decide the request"),
    "start": N_("Start work"),
    "report": N_("Report the result"),
    "extend": N_("Ask for more time"),
    "suspend": N_("Ask to suspend"),
    "resume": N_("Resume"),
    "verify": N_("Verify the result"),
    "callback": N_("Record the callback"),
    "reopen": N_("Reopen"),
    "escalate": N_("Escalate"),
    "supervise": N_("Supervise (督办)"),
    "comment": N_("Comment"),
}
