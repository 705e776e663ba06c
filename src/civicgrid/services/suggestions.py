"""Suggestions: the category, organisation and grid worker proposed for a report, with reasons.

One path serves a single report (the operator asks again) and a batch (every report right after intake):
what routing reads from the database (rules, organisations, workers and their loads, area names) is read
once per batch, and the texts are classified in one call.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from civicgrid.adapters.db.dispatch_control_repository import StoredSuggestion
from civicgrid.adapters.db.unit_of_work import UnitOfWork
from civicgrid.domain.case_types import AreaChain
from civicgrid.domain.catalogue import Category, UnknownCategory
from civicgrid.domain.dispatch import (
    CHOSEN_CATEGORY,
    KEYWORD_ONLY,
    NAMES_CATEGORY,
    NOT_READ,
    READS_LIKE,
    Classifier,
    Reason,
    RoutingRule,
    Suggestion,
    WorkerLoad,
    auto_dispatch_decision,
    percent,
    reads_as_chinese,
    reason,
    route,
)
from civicgrid.domain.errors import N_, DomainError
from civicgrid.domain.roles import Actor
from civicgrid.i18n import both
from civicgrid.services.locating import Locator
from civicgrid.services.workflow import view_case

Threshold = Callable[[str], float | None]  # category code -> minimum confidence for automatic dispatch


class CannotClassify(DomainError):
    code = "cannot_classify"
    message = N_("No category could be recognised in the text; choose one.")


@dataclass
class RoutingContext:
    """What routing reads from the database, once for a batch of reports."""

    rules: dict[str, list[RoutingRule]]
    organisations: dict[str, dict[str, str]]
    district: str | None
    workers: dict[str, list[dict[str, object]]]  # grid or micro-grid code -> workers serving it
    load: Counter[str]  # open cases per worker (those dispatched by this batch included)
    names: dict[str, str]
    catalogue_rows: dict[str, Category | None] = field(default_factory=dict)


def _named(category: Category) -> dict[str, str]:
    """A category's name in both languages, for a reason's text."""
    return both(category.name_zh, category.name_en)


def routing_context(u: UnitOfWork, chains: Sequence[AreaChain]) -> RoutingContext:
    """Read what routing needs for reports at these places."""
    rules: dict[str, list[RoutingRule]] = {}
    for rule in u.dispatch.rules():
        rules.setdefault(rule.category_code, []).append(rule)
    places = {code for c in chains for code in (c.microgrid, c.grid)}
    workers = u.control.workers_of(sorted(places))
    codes = sorted({str(w["code"]) for ws in workers.values() for w in ws})
    names = u.areas.names(
        sorted({code for c in chains for code in (c.microgrid, c.grid, c.community, c.street)})
        + sorted({r.area_code for rs in rules.values() for r in rs})
    )
    return RoutingContext(
        rules=rules,
        organisations=u.dispatch.organisation_names(),
        district=u.dispatch.district_code(),
        workers=workers,
        load=Counter(u.dispatch.open_counts(codes)),
        names=names,
    )


def classify(classifier: Classifier | None, texts: Sequence[str]) -> list[list[tuple[str, float]]]:
    """The classifier's top three for each text (nothing without a model, or for a text the model cannot
    read: ``reads_as_chinese``)."""
    tops: list[list[tuple[str, float]]] = [[] for _ in texts]
    readable = [i for i, text in enumerate(texts) if reads_as_chinese(text)]
    if classifier is None or not readable:
        return tops
    for i, top in zip(readable, classifier.predict_top([texts[i] for i in readable], k=3), strict=True):
        tops[i] = top
    return tops


def model_version(classifier: Classifier | None) -> int | None:
    """The stored version of a loaded model (None for a model that is not a stored one)."""
    info = getattr(classifier, "info", None)
    version = getattr(info, "version", None)
    return int(version) if isinstance(version, int) else None


def build(
    u: UnitOfWork,
    ctx: RoutingContext,
    *,
    top: Sequence[tuple[str, float]],
    chain: AreaChain,
    description: str,
    category_code: str | None,
    threshold: Threshold,
    version: int | None,
) -> Suggestion:
    """The suggestion for one report from its classification (``category_code``: the category is given)."""
    reasons: list[Reason] = []
    confidence: float | None = None
    unread = version is not None and not reads_as_chinese(description)  # a model, but not for this text
    if unread:
        reasons.append(reason(NOT_READ))
    if category_code is not None:
        category = u.reference.category(category_code)
        reasons.append(reason(CHOSEN_CATEGORY, category=_named(category)))
        confidence = dict(top).get(category.code)
        if top and top[0][0] != category.code:
            other = _active_category(u, ctx, top[0][0])
            if other is not None:
                reasons.append(reason(READS_LIKE, category=_named(other), p=percent(top[0][1])))
    else:
        category, confidence = _classified(u, ctx, top, description)
        if confidence is not None:
            reasons.append(reason(READS_LIKE, category=_named(category), p=percent(confidence)))
        elif unread:
            reasons.append(reason(KEYWORD_ONLY, category=_named(category)))
        else:
            reasons.append(reason(NAMES_CATEGORY, category=_named(category)))
    serving = [w for place in (chain.grid, chain.microgrid) for w in ctx.workers.get(place, [])]
    unique = {str(w["code"]): w for w in serving}
    routed = route(
        category_code=category.code,
        category_name=_named(category),
        default_org=category.department,
        chain=chain,
        rules=ctx.rules.get(category.code, []),
        workers=[
            WorkerLoad(
                code=code,
                name=str(w["name"]),
                kind=str(w["kind"]),
                org_code=str(w["org_code"]) if w["org_code"] is not None else None,
                open_cases=ctx.load[code],
            )
            for code, w in sorted(unique.items())
        ],
        organisations=ctx.organisations,
        area_names=ctx.names,
        district_code=ctx.district,
    )
    reasons.extend(routed.reasons)
    auto, why = auto_dispatch_decision(confidence, threshold(category.code), routed.org_code)
    if why is not None:
        reasons.append(why)
    return Suggestion(
        category_code=category.code,
        org_code=routed.org_code,
        assignee_code=routed.assignee_code,
        confidence=confidence,
        alternatives=tuple((code, round(p, 4)) for code, p in top),
        reasons=tuple(reasons),
        auto_dispatch=auto,
        model_version=version,
    )


def _classified(
    u: UnitOfWork, ctx: RoutingContext, top: Sequence[tuple[str, float]], description: str
) -> tuple[Category, float | None]:
    for code, p in top:  # the best category the model knows that is still in the catalogue
        category = _active_category(u, ctx, code)
        if category is not None:
            return category, p
    for found in u.reference.catalogue().search(description):  # no model yet: the catalogue's keywords
        category = _active_category(u, ctx, found.code)
        if category is not None:
            return category, None
    raise CannotClassify()


def _active_category(u: UnitOfWork, ctx: RoutingContext, code: str) -> Category | None:
    if code not in ctx.catalogue_rows:
        try:
            ctx.catalogue_rows[code] = u.reference.category(code)
        except UnknownCategory:
            ctx.catalogue_rows[code] = None
    return ctx.catalogue_rows[code]


def thresholds_of(
    thresholds: Mapping[str, float | None] | None, default_threshold: float | None
) -> Threshold:
    """A threshold lookup: the category's own where it has one, else the default."""
    own = dict(thresholds or {})
    return lambda code: own.get(code, default_threshold)


# ------------------------------------------------------------------------------- one report
def suggest(
    *,
    uow: Callable[[], UnitOfWork],
    classifier: Classifier | None,
    locator: Locator,
    description: str,
    lon: float,
    lat: float,
    category_code: str | None = None,
    thresholds: Mapping[str, float | None] | None = None,
    default_threshold: float | None = None,
) -> Suggestion:
    """Category (classified unless given), organisation and grid worker for a report, with reasons.

    ``thresholds`` (per category) and ``default_threshold`` decide automatic dispatch; None: never.
    """
    with uow() as u:
        chain = locator.locate(u.areas, lon, lat).chain
        limit = thresholds_of(thresholds, default_threshold)
        return _one(u, classifier, chain, description, category_code, limit)


def suggest_for_case(
    *,
    uow: Callable[[], UnitOfWork],
    classifier: Classifier | None,
    number: str,
    actor: Actor,
    thresholds: Mapping[str, float | None] | None = None,
    default_threshold: float | None = None,
) -> Suggestion:
    """The suggestion for a filed case the actor may see: its text classified, routed at its place."""
    case = view_case(uow=uow, number=number, actor=actor)
    given = None if classifier is not None else case.category_code
    with uow() as u:
        limit = thresholds_of(thresholds, default_threshold)
        return _one(u, classifier, case.areas, case.description, given, limit)


def stored_for_case(*, uow: Callable[[], UnitOfWork], number: str, actor: Actor) -> StoredSuggestion | None:
    """The suggestion stored when a case the actor may see was filed (None: none was stored)."""
    case = view_case(uow=uow, number=number, actor=actor)
    assert case.id is not None
    with uow() as u:
        return u.control.suggestion(case.id)


def _one(
    u: UnitOfWork,
    classifier: Classifier | None,
    chain: AreaChain,
    description: str,
    category_code: str | None,
    threshold: Threshold,
) -> Suggestion:
    [top] = classify(classifier, [description])
    return build(
        u,
        routing_context(u, [chain]),
        top=top,
        chain=chain,
        description=description,
        category_code=category_code,
        threshold=threshold,
        version=model_version(classifier),
    )
