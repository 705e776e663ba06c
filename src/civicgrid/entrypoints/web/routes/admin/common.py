"""What every administration page shares: the admin-only caller, the page size, the codes shown by label."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from civicgrid.domain.roles import Role
from civicgrid.entrypoints.api.deps import Caller
from civicgrid.entrypoints.web.access import require
from civicgrid.i18n import N_

AdminCaller = Annotated[Caller, Depends(require(Role.ADMIN))]
PAGE_SIZE = 50


# Codes the admin pages show by label (levels, kinds, utilities): marked here so Babel extracts them.
CODE_LABELS = (
    N_("microgrid"),
    N_("fulltime"),
    N_("professional"),
    N_("department"),
    N_("utility"),
    N_("water"),
    N_("power"),
    N_("gas"),
    N_("heating"),
    N_("telecom"),
)
