"""How often each side road of a case's life is taken, and how fast each unit works."""

from __future__ import annotations

from civicgrid.domain.case_types import Satisfaction
from civicgrid.domain.deadlines import LimitUnit, TimeLimit

# How often each side road is taken, as a share of the cases that reach the step where it branches off.
REJECT = 0.03  # 不予立案
MERGE = 0.6  # of re-reports whose original is still open when the desk sees them
RETURN, RETURN_APPROVED = 0.03, 0.65
EXTENSION, EXTENSION_APPROVED = 0.05, 0.85
SUSPENSION, SUSPENSION_APPROVED = 0.01, 0.8
ESCALATION, SUPERVISION, COMMENT = 0.03, 0.02, 0.12
REWORK = 0.04
# Patrol reports have no caller: the desk asks the residents nearby about half the time.
CALLBACK, CALLBACK_PATROL, CALLBACK_VALID, CONTACTED, REOPEN = 0.96, 0.5, 0.88, 0.95, 1 / 3
# Satisfied / basically / unsatisfied; a late or reworked case is rated worse (overall about 82/12/6).
SATISFACTION, SATISFACTION_LATE = (0.82, 0.115, 0.065), (0.58, 0.22, 0.2)
RESOLVED = {Satisfaction.SATISFIED: 0.96, Satisfaction.BASICALLY: 0.8, Satisfaction.UNSATISFIED: 0.3}
# Median share of its time limit a unit takes to report back; lognormal, so about 8 % run over.
PACE = {"police": 0.3, "fire": 0.3, "chengguan": 0.36, "emergency": 0.35, "governance": 0.4,
        "water_affairs": 0.4, "health": 0.42, "market": 0.45, "environment": 0.45, "education": 0.45,
        "civil_affairs": 0.45, "transport": 0.45, "housing": 0.45, "hrss": 0.48, "planning": 0.48,
        "petitions": 0.5}  # fmt: skip
PACE_SIGMA = 0.65


def pace(org: str, limit: TimeLimit) -> tuple[float, float]:
    """Median share of the limit used, and the spread, for a unit and a limit."""
    if limit.unit is LimitUnit.HOURS and limit.amount <= 2:
        return 0.35, 0.45  # emergencies are run to ground at once
    if limit.unit is LimitUnit.HOURS:
        return 0.85 * PACE.get(org, 0.38), PACE_SIGMA  # the day's verification must fit in too
    return PACE.get(org, 0.38), PACE_SIGMA
