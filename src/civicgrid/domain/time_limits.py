"""Default time limits (时限) per category class and urgency, after Beijing's 接诉即办.

Emergency 2 h, water/power/gas/heating 24 h (natural time); ordinary 7 and complex 15 working days.
An urgent report never gets more than 24 natural hours; an emergency always gets 2. An administrator
can override any category x urgency pair; these are only the defaults written at ``civicgrid init``.
"""

from __future__ import annotations

from civicgrid.domain.catalogue import LimitClass, Urgency
from civicgrid.domain.deadlines import LimitMode, LimitUnit, TimeLimit

EMERGENCY = TimeLimit(2, LimitUnit.HOURS, LimitMode.NATURAL)
UTILITY = TimeLimit(24, LimitUnit.HOURS, LimitMode.NATURAL)
ORDINARY = TimeLimit(7, LimitUnit.DAYS, LimitMode.WORKING)
COMPLEX = TimeLimit(15, LimitUnit.DAYS, LimitMode.WORKING)

BY_CLASS = {
    LimitClass.EMERGENCY: EMERGENCY,
    LimitClass.UTILITY: UTILITY,
    LimitClass.ORDINARY: ORDINARY,
    LimitClass.COMPLEX: COMPLEX,
}


def default_limit(limit_class: LimitClass, urgency: Urgency) -> TimeLimit:
    """The default limit for a category of ``limit_class`` reported with ``urgency``."""
    if urgency is Urgency.EMERGENCY:
        return EMERGENCY
    if urgency is Urgency.URGENT and limit_class in (LimitClass.ORDINARY, LimitClass.COMPLEX):
        return UTILITY
    return BY_CLASS[limit_class]
