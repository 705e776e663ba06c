"""Smart dispatch use cases: learn from finished cases, suggest a route with reasons, edit routing rules.

Models are versioned rows; a new one becomes active only if it is at least as good as the active one on
cases that one never saw. Servers pick up a newly activated model without a restart: ``ModelCache``
checks the newest active id at most every ``check_every_s`` seconds.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy.exc import IntegrityError

from civicgrid.adapters.db.dispatch_repository import TrainingCase
from civicgrid.adapters.db.unit_of_work import UnitOfWork
from civicgrid.domain.catalogue import UnknownOrganisation
from civicgrid.domain.dispatch import Classifier, ModelInfo, RoutingRule
from civicgrid.domain.dispatch import Suggestion as Suggestion
from civicgrid.domain.errors import N_, DomainError, NotFound
from civicgrid.domain.roles import Actor, Role

# Suggestions live in suggestions.py; callers of this module's earlier names keep working.
from civicgrid.services.suggestions import CannotClassify as CannotClassify
from civicgrid.services.suggestions import suggest as suggest
from civicgrid.services.suggestions import suggest_for_case as suggest_for_case

HOLDOUT = 0.2  # the newest fifth of the finished cases is held out
MIN_PER_LABEL = 3  # fewer examples teach nothing and break the confidence calibration's folds
MIN_UNSEEN = 30  # cases the active model never saw, needed to compare it with a new one directly
RULE_EDITORS = frozenset({Role.ADMIN, Role.SYSTEM})
CHANGE_RULES = N_("change routing rules")


class NotEnoughHistory(DomainError):
    code = "not_enough_history"
    message = N_("Only {n} finished cases to learn from; at least {minimum} are needed.")


class RuleExists(DomainError):
    code = "rule_exists"
    message = N_("A routing rule for {category} in {area} exists already; remove it first.")


class UnknownArea(NotFound):
    code = "unknown_area"
    message = N_("Unknown area: {code}.")


class UnknownRule(NotFound):
    code = "unknown_rule"
    message = N_("There is no routing rule {id}.")


class RulesNotAllowed(DomainError):
    code = "not_allowed"
    message = N_("You are not allowed to {action}.")


# ------------------------------------------------------------------------------------ model kinds
class ModelKind(Protocol):
    """A way to train, store and load a classifier; register outside ones with ``register_kind``."""

    @property
    def name(self) -> str: ...

    def fit(self, texts: Sequence[str], labels: Sequence[str]) -> Classifier: ...

    def dumps(self, model: Classifier) -> bytes: ...

    def loads(self, data: bytes) -> Classifier: ...


class TfidfSvm:
    """The built-in classifier: TF-IDF character n-grams and a linear SVM with calibrated confidence."""

    name = "tfidf-svm"

    # scikit-learn is imported on first use: the server and the CLI start in well under a second without it.
    def fit(self, texts: Sequence[str], labels: Sequence[str]) -> Classifier:
        from civicgrid.adapters.classifier import TextClassifier
        from civicgrid.adapters.classifier_eval import PROTOCOL_A_HP

        return TextClassifier(**PROTOCOL_A_HP).fit(texts, labels)

    def dumps(self, model: Classifier) -> bytes:
        from civicgrid.adapters.classifier import TextClassifier

        assert isinstance(model, TextClassifier)
        return model.to_bytes()

    def loads(self, data: bytes) -> Classifier:
        from civicgrid.adapters.classifier import TextClassifier

        return TextClassifier.from_bytes(data)


BUILTIN = TfidfSvm()
KINDS: dict[str, ModelKind] = {BUILTIN.name: BUILTIN}


def register_kind(kind: ModelKind) -> None:
    """Make a classifier kind known, so stored models of that kind can be loaded (composition root)."""
    KINDS[kind.name] = kind


# ------------------------------------------------------------------------------- train, evaluate
def train(
    *, uow: Callable[[], UnitOfWork], now: datetime, min_cases: int = 200, kind: ModelKind = BUILTIN
) -> ModelInfo:
    """Learn the category from the older 80 % of finished cases, score the newest 20 %, store the model.

    It becomes active only if it is at least as good as the active model (on cases that one never saw).
    """
    rows, departments, active = _history(uow, min_cases)
    held_in, held_out = _split(rows)
    candidate, metrics = _fit_and_score(kind, held_in, held_out, departments)
    good, comparison = True, None
    if active is not None and active[0].kind in KINDS:
        info, payload = active
        good, comparison = _compare(candidate, KINDS[info.kind].loads(payload), info, held_out)
    # The stored model is the one evaluated (no refit on the held-out fifth): its figures are its own, and
    # training stays within one fit's time. The next training learns from the newest cases.
    metrics.update(
        trained_through=max(r.id for r in held_in),
        dropped_labels=_learnable(held_in)[1],
        compared_with=comparison,
        activated=good,
    )
    with uow() as u:
        version = u.dispatch.next_version()
        model_id = u.dispatch.add_model(
            created_at=now,
            version=version,
            kind=kind.name,
            n_train=metrics["n_train"],
            metrics=metrics,
            payload=kind.dumps(candidate),
        )
        if good:
            u.dispatch.activate(model_id)
        u.commit()
    return ModelInfo(model_id, version, kind.name, now, metrics["n_train"], metrics, good)


def evaluate_history(
    *, uow: Callable[[], UnitOfWork], now: datetime, min_cases: int = 200, kind: ModelKind = BUILTIN
) -> dict[str, Any]:
    """Train on the older 80 % of finished cases and score the newest 20 %; the active model on new cases."""
    rows, departments, active = _history(uow, min_cases)
    held_in, held_out = _split(rows)
    _, metrics = _fit_and_score(kind, held_in, held_out, departments)
    result: dict[str, Any] = {
        "evaluated_at": now.isoformat(),
        "kind": kind.name,
        **metrics,
        "active_model": None,
    }
    if active is not None:
        info, payload = active
        unseen = [r for r in rows if r.id > int(info.metrics.get("trained_through", 0))]
        result["active_model"] = {"id": info.id, "version": info.version, "stored_metrics": info.metrics}
        if unseen and info.kind in KINDS:
            scores = _score(KINDS[info.kind].loads(payload), unseen, departments)
            result["active_model"]["on_unseen_cases"] = scores
    return result


def _departments(u: UnitOfWork) -> dict[str, str]:
    return {c.code: c.department for c in u.reference.catalogue().categories}


def _history(
    uow: Callable[[], UnitOfWork], min_cases: int
) -> tuple[list[TrainingCase], dict[str, str], tuple[ModelInfo, bytes] | None]:
    """Finished cases to learn from, each category's department, and the active model (if any)."""
    with uow() as u:
        rows = u.dispatch.finished_cases()
        departments = _departments(u)
        active_id = u.dispatch.newest_active_id()
        active = u.dispatch.model(active_id) if active_id is not None else None
    if len(rows) < min_cases:
        raise NotEnoughHistory(n=len(rows), minimum=min_cases)
    return rows, departments, active


def _split(rows: Sequence[TrainingCase]) -> tuple[list[TrainingCase], list[TrainingCase]]:
    # By time, not at random: a model is judged on cases newer than those it learnt from, as in use.
    cut = len(rows) - max(1, round(len(rows) * HOLDOUT))
    return list(rows[:cut]), list(rows[cut:])


def _learnable(rows: Sequence[TrainingCase]) -> tuple[list[TrainingCase], list[str]]:
    counts = Counter(r.category_code for r in rows)
    dropped = sorted(code for code, n in counts.items() if n < MIN_PER_LABEL)
    return [r for r in rows if counts[r.category_code] >= MIN_PER_LABEL], dropped


def _fit_and_score(
    kind: ModelKind,
    held_in: Sequence[TrainingCase],
    held_out: Sequence[TrainingCase],
    departments: Mapping[str, str],
) -> tuple[Classifier, dict[str, Any]]:
    learnable, _ = _learnable(held_in)
    if len({r.category_code for r in learnable}) < 2:
        raise NotEnoughHistory(n=len(learnable), minimum=2 * MIN_PER_LABEL)
    start = time.perf_counter()
    model = kind.fit([r.description for r in learnable], [r.category_code for r in learnable])
    train_s = time.perf_counter() - start
    metrics = _score(model, held_out, departments)
    metrics.update(train_s=round(train_s, 3), n_train=len(learnable))
    return model, metrics


def _score(model: Classifier, rows: Sequence[TrainingCase], departments: Mapping[str, str]) -> dict[str, Any]:
    """Macro-F1 and accuracy of the category, top-3 accuracy, department accuracy, throughput."""
    from sklearn.metrics import f1_score

    start = time.perf_counter()
    top = model.predict_top([r.description for r in rows], k=3)
    seconds = time.perf_counter() - start
    truth = [r.category_code for r in rows]
    pred = [t[0][0] for t in top]
    labels = sorted(set(truth))
    per_class = f1_score(truth, pred, labels=labels, average=None, zero_division=0)
    n = max(1, len(rows))
    return {
        "macro_f1": round(float(f1_score(truth, pred, labels=labels, average="macro", zero_division=0)), 4),
        "accuracy": round(sum(p == t for p, t in zip(pred, truth, strict=True)) / n, 4),
        "top3_accuracy": round(
            sum(t in {c for c, _ in row} for t, row in zip(truth, top, strict=True)) / n, 4
        ),
        # The department the predicted category routes to by default against the one that finally handled it.
        "department_accuracy": round(
            sum(departments.get(p) == r.org_code for p, r in zip(pred, rows, strict=True) if r.org_code)
            / max(1, sum(1 for r in rows if r.org_code)),
            4,
        ),
        "per_class": {label: round(float(f), 4) for label, f in zip(labels, per_class, strict=True)},
        "msgs_per_s": round(len(rows) / seconds, 1) if seconds > 0 else None,
        "n_test": len(rows),
    }


def _compare(
    candidate: Classifier, active: Classifier, info: ModelInfo, held_out: Sequence[TrainingCase]
) -> tuple[bool, dict[str, Any]]:
    """Is the candidate at least as good as the active model? On cases the active one never saw if enough."""
    unseen = [r for r in held_out if r.id > int(info.metrics.get("trained_through", 0))]
    if len(unseen) >= MIN_UNSEEN:
        new, old = _accuracy(candidate, unseen), _accuracy(active, unseen)
        basis = "unseen_cases"
    else:  # almost nothing new since: compare the stored evaluations
        new = _accuracy(candidate, held_out)
        old = float(info.metrics.get("accuracy", 0.0))
        basis = "stored_metrics"
    return new >= old, {
        "id": info.id,
        "version": info.version,
        "basis": basis,
        "n": len(unseen),
        "new": new,
        "old": old,
    }


def _accuracy(model: Classifier, rows: Sequence[TrainingCase]) -> float:
    top = model.predict_top([r.description for r in rows], k=1)
    return round(
        sum(t[0][0] == r.category_code for t, r in zip(top, rows, strict=True)) / max(1, len(rows)), 4
    )


# ------------------------------------------------------------------------------- the active model
@dataclass
class LoadedModel:
    """The active classifier with its stored description; usable wherever a ``Classifier`` is."""

    info: ModelInfo
    classifier: Classifier

    @property
    def labels(self) -> list[str]:
        return self.classifier.labels

    def predict_top(self, texts: Sequence[str], k: int = 3) -> list[list[tuple[str, float]]]:
        return self.classifier.predict_top(texts, k)


@dataclass
class _Entry:
    checked_at: float
    model: LoadedModel | None


@dataclass
class ModelCache:
    """The active model per database, reloaded when another is activated (checked every ``check_every_s``)."""

    check_every_s: float = 30.0
    clock: Callable[[], float] = time.monotonic
    _entries: dict[str, _Entry] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def get(self, uow: Callable[[], UnitOfWork]) -> LoadedModel | None:
        """The newest active model, from memory unless the last check is older than ``check_every_s``."""
        unit = uow()
        key = unit.engine.url.render_as_string(hide_password=True)
        with self._lock:
            entry = self._entries.get(key)
            now = self.clock()
            if entry is not None and now - entry.checked_at < self.check_every_s:
                return entry.model
            with unit as u:
                newest = u.dispatch.newest_active_id()
                current = entry.model if entry is not None else None
                if newest is None:
                    current = None
                elif current is None or current.info.id != newest:
                    stored = u.dispatch.model(newest)
                    current = None
                    if stored is not None and stored[0].kind in KINDS:
                        current = LoadedModel(stored[0], KINDS[stored[0].kind].loads(stored[1]))
            self._entries[key] = _Entry(now, current)
            return current


MODELS = ModelCache()


def current_classifier(
    uow: Callable[[], UnitOfWork], *, cache: ModelCache | None = None
) -> LoadedModel | None:
    """The classifier servers should use now (None until a model is trained and activated)."""
    return (cache or MODELS).get(uow)


def models(*, uow: Callable[[], UnitOfWork]) -> list[ModelInfo]:
    """Every stored model version, newest first."""
    with uow() as u:
        return u.dispatch.models()


# ---------------------------------------------------------------------------------- routing rules
def list_rules(*, uow: Callable[[], UnitOfWork], category_code: str | None = None) -> list[RoutingRule]:
    """Every routing rule (or those of one category)."""
    with uow() as u:
        return u.dispatch.rules(category_code)


def add_rule(
    *,
    uow: Callable[[], UnitOfWork],
    actor: Actor,
    category_code: str,
    area_code: str,
    org_code: str,
    now: datetime,
) -> RoutingRule:
    """Route a category in an area (any level) to an organisation (administrators only)."""
    _may_edit(actor)
    with uow() as u:
        u.reference.category(category_code)
        if org_code not in u.dispatch.organisation_names():
            raise UnknownOrganisation(code=org_code)
        if area_code not in u.dispatch.area_levels([area_code]):
            raise UnknownArea(code=area_code)
        if any(r.area_code == area_code for r in u.dispatch.rules(category_code)):
            raise RuleExists(category=category_code, area=area_code)
        rule = RoutingRule(category_code, area_code, org_code, None, now, actor.name or actor.role.value)
        try:
            rule = replace(rule, id=u.dispatch.add_rule(rule))
        except IntegrityError:  # the same rule, added a moment ago by another request
            raise RuleExists(category=category_code, area=area_code) from None
        u.accounts.audit(
            actor=actor,
            action="dispatch.rule_add",
            target=f"{category_code}@{area_code}",
            detail={"org": org_code, "id": rule.id},
            now=now,
        )
        u.commit()
    return rule


def remove_rule(*, uow: Callable[[], UnitOfWork], actor: Actor, rule_id: int, now: datetime) -> RoutingRule:
    """Delete a routing rule (administrators only)."""
    _may_edit(actor)
    with uow() as u:
        removed = u.dispatch.remove_rule(rule_id)
        if removed is None:
            raise UnknownRule(id=rule_id)
        u.accounts.audit(
            actor=actor,
            action="dispatch.rule_remove",
            target=f"{removed.category_code}@{removed.area_code}",
            detail={"org": removed.org_code, "id": rule_id},
            now=now,
        )
        u.commit()
    return removed


def _may_edit(actor: Actor) -> None:
    if actor.role not in RULE_EDITORS:
        raise RulesNotAllowed(action=CHANGE_RULES)
