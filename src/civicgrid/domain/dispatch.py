"""Smart dispatch rules: which organisation and grid worker a report goes to, and why (pure).

The text classifier proposes a category; routing rules (category x area, edited by an administrator) name
the organisation, the most specific area winning (micro-grid > grid > community > street > district), and
without a rule the category's own department handles it. Within that organisation the least-loaded grid
worker of the place is chosen, else its full-time grid worker. A report nobody owns goes to the street's
command sub-centre (首接负责). Every step leaves a plain-language reason the operator reads.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType
from typing import Any, Protocol

from civicgrid.domain.case_types import AreaChain
from civicgrid.domain.errors import N_
from civicgrid.i18n import translate

# Reasons, in the order a suggestion lists them. Parameters are names (already readable), numbers, or %.
READS_LIKE = N_("The text reads like {category} ({p}%)")
NAMES_CATEGORY = N_("The text names {category} (keyword match; no trained model yet)")
NOT_READ = N_(
    "The text is mostly not Chinese, the language the model learned from: the model did not read it"
)
KEYWORD_ONLY = N_("The text names {category} (keyword match)")
CHOSEN_CATEGORY = N_("The reporter chose {category}")
RULE_ROUTE = N_("{org} handles {category} in {area} (rule)")
DEFAULT_ROUTE = N_("{org} handles {category} (the category's department)")
LEAST_LOADED = N_("{worker} serves grid {grid} and has the fewest open cases ({n})")
FULLTIME_FALLBACK = N_(
    "No {org} worker serves grid {grid}: full-time worker {worker} has the fewest open cases ({n})"
)
NO_WORKER = N_("No grid worker serves grid {grid}: {org} assigns it itself")
NOBODY = N_("Nobody owns this in {area}: sent to the street's command sub-centre (首接负责)")
AUTO_YES = N_("Confidence {p}% reaches the automatic dispatch threshold ({t}%)")
AUTO_NO = N_("Confidence {p}% is below the automatic dispatch threshold ({t}%): an operator decides")

FULLTIME = "fulltime"


def reads_as_chinese(text: str) -> bool:
    """Whether a report's text is mostly Chinese (at least half its letters Han characters).

    The trained model reads only such text: it learned from the district's Chinese reports, and on other
    text its confidence means nothing (Latin letters alone read as outdoor advertising at 99 %, because
    shop signs are where the training texts had them).
    """
    letters = [c for c in text if c.isalpha()]
    han = sum(1 for c in letters if "\u3400" <= c <= "\u9fff" or "\uf900" <= c <= "\ufaff")
    return bool(letters) and 2 * han >= len(letters)


class Classifier(Protocol):
    """What dispatch needs of a text classifier; built-in and outside models are used the same way."""

    @property
    def labels(self) -> list[str]: ...

    def predict_top(self, texts: Sequence[str], k: int = 3) -> list[list[tuple[str, float]]]: ...


@dataclass(frozen=True)
class Reason:
    """One plain-language reason: an English template marked for translation, and its parameters."""

    message: str
    params: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))

    def render(self) -> str:
        """The English text (the edges translate ``message`` with ``params`` instead)."""
        return translate(self.message, "en", **self.params)


def reason(message: str, **params: Any) -> Reason:
    return Reason(message, MappingProxyType(params))


def percent(p: float) -> int:
    """A probability as a whole percentage, never rounded up to 100 unless it is 1."""
    return 100 if p >= 1.0 else min(99, round(p * 100))


@dataclass(frozen=True)
class Suggestion:
    """Category, organisation and worker proposed for a report, with confidence and reasons.

    ``org_code`` None means the street's command sub-centre takes it (首接负责).
    """

    category_code: str
    org_code: str | None
    assignee_code: str | None
    confidence: float | None  # None: the category was given, not predicted
    alternatives: tuple[tuple[str, float], ...]  # the classifier's top three (code, probability)
    reasons: tuple[Reason, ...]
    auto_dispatch: bool = False
    model_version: int | None = None


@dataclass(frozen=True)
class RoutingRule:
    """An administrator's rule: in ``area_code`` (any level), ``category_code`` goes to ``org_code``."""

    category_code: str
    area_code: str
    org_code: str
    id: int | None = None
    created_at: datetime | None = None
    created_by: str = ""


@dataclass(frozen=True)
class WorkerLoad:
    """A grid worker serving the place, with the number of open cases assigned to them."""

    code: str
    name: str
    kind: str  # "fulltime" | "professional"
    org_code: str | None
    open_cases: int


@dataclass(frozen=True)
class Route:
    """Where a report goes and why."""

    org_code: str | None
    assignee_code: str | None
    reasons: tuple[Reason, ...]


# Most specific first; the district is the root, matched only when its code is given.
LEVELS = ("microgrid", "grid", "community", "street", "district")


def pick_rule(
    rules: Sequence[RoutingRule], category_code: str, chain: AreaChain, district_code: str | None = None
) -> RoutingRule | None:
    """The rule for this category whose area is the most specific one containing the place, if any."""
    rank = {
        chain.microgrid: 0,
        chain.grid: 1,
        chain.community: 2,
        chain.street: 3,
    }
    if district_code is not None:
        rank.setdefault(district_code, 4)
    matching = [r for r in rules if r.category_code == category_code and r.area_code in rank]
    if not matching:
        return None
    # Two rules for one area cannot be stored; the id keeps the choice stable anyway.
    return min(matching, key=lambda r: (rank[r.area_code], r.id or 0))


def least_loaded(workers: Sequence[WorkerLoad]) -> WorkerLoad | None:
    """The worker with the fewest open cases (ties: the lowest code, so the choice is stable)."""
    return min(workers, key=lambda w: (w.open_cases, w.code), default=None)


def route(
    *,
    category_code: str,
    category_name: str | Mapping[str, str],
    default_org: str,
    chain: AreaChain,
    rules: Sequence[RoutingRule],
    workers: Sequence[WorkerLoad],
    organisations: Mapping[str, str | Mapping[str, str]],
    area_names: Mapping[str, str],
    district_code: str | None = None,
) -> Route:
    """Route a category at a place: rule or default organisation, then the least-loaded eligible worker.

    ``organisations`` maps the active organisations' codes to names (``i18n.both`` for both languages, as
    ``category_name`` may be): a rule or default naming anything else
    leaves the report unowned, and it goes to the street's command sub-centre. ``workers`` are those serving
    the grid or micro-grid of the place.
    """

    def name(code: str) -> str:
        return area_names.get(code, code)

    rule = pick_rule(rules, category_code, chain, district_code)
    org = rule.org_code if rule is not None else default_org
    if org not in organisations:
        return Route(None, None, (reason(NOBODY, area=name(chain.street)),))
    org_name = organisations[org]
    if rule is not None:
        why = reason(RULE_ROUTE, org=org_name, category=category_name, area=name(rule.area_code))
    else:
        why = reason(DEFAULT_ROUTE, org=org_name, category=category_name)
    own = least_loaded([w for w in workers if w.org_code == org and w.kind != FULLTIME])
    if own is not None:
        who = reason(LEAST_LOADED, worker=own.name, grid=name(chain.grid), n=own.open_cases)
        return Route(org, own.code, (why, who))
    fulltime = least_loaded([w for w in workers if w.kind == FULLTIME])
    if fulltime is not None:
        who = reason(
            FULLTIME_FALLBACK,
            org=org_name,
            worker=fulltime.name,
            grid=name(chain.grid),
            n=fulltime.open_cases,
        )
        return Route(org, fulltime.code, (why, who))
    return Route(org, None, (why, reason(NO_WORKER, grid=name(chain.grid), org=org_name)))


def auto_dispatch_decision(
    confidence: float | None, threshold: float | None, org_code: str | None
) -> tuple[bool, Reason | None]:
    """Dispatch without an operator only when the model is sure enough for this category.

    ``threshold`` None means this category always waits for an operator; so does a given category (no
    confidence) and an unowned report.
    """
    if confidence is None or threshold is None or org_code is None:
        return False, None
    p, t = percent(confidence), percent(threshold)
    if confidence >= threshold:
        return True, reason(AUTO_YES, p=p, t=t)
    return False, reason(AUTO_NO, p=p, t=t)


@dataclass(frozen=True)
class ModelInfo:
    """A stored classifier version and its evaluation on held-out history (no weights)."""

    id: int
    version: int
    kind: str
    created_at: datetime
    n_train: int
    metrics: Mapping[str, Any]
    active: bool
