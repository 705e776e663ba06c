"""The figures of a command centre (考评指标): rates from counts, the weighted score and its grade.

Counts come from the read side; the formulas live here, once, for every dashboard, export and API.
- 响应率 response = contacted / valid callbacks; 解决率 resolution = resolved / valid callbacks;
- 满意率 satisfaction = (satisfied + w x basically satisfied) / valid callbacks (w = 0.9 by default);
- 结案率 closure = closed / registered; 按期结案率 on-time = closed by the deadline / closed;
- 返工率 rework = reworked / handled.
A rate with a zero denominator is None ("no data"), never 0 %: a community without callbacks has not failed.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Counts:
    """What happened to the cases of one group in one period."""

    submitted: int = 0
    registered: int = 0
    closed: int = 0
    closed_on_time: int = 0
    handled: int = 0
    reworked: int = 0
    open: int = 0
    overdue: int = 0
    valid_callbacks: int = 0
    contacted: int = 0
    resolved: int = 0
    satisfied: int = 0
    basically_satisfied: int = 0


@dataclass(frozen=True)
class Weights:
    """How much each rate weighs in the overall score (综合评价); they need not sum to 1."""

    response: float = 0.2
    resolution: float = 0.3
    satisfaction: float = 0.3
    on_time: float = 0.1
    closure: float = 0.1
    basically_satisfied: float = 0.9  # the weight of 基本满意 inside the satisfaction rate
    grades: tuple[tuple[float, str], ...] = field(default=((90, "A"), (75, "B"), (60, "C"), (40, "D")))


DEFAULT_WEIGHTS = Weights()


@dataclass(frozen=True)
class Rates:
    """The rates of one group, as fractions from 0 to 1 (None: no data)."""

    response: float | None
    resolution: float | None
    satisfaction: float | None
    closure: float | None
    on_time: float | None
    rework: float | None
    score: float | None  # 0-100
    grade: str | None  # A-E


def rates(c: Counts, weights: Weights = DEFAULT_WEIGHTS) -> Rates:
    """The rates, the weighted score and the grade of one group.

    Written out rather than looped over names: the command centre computes it for every micro-grid of a
    year, thousands of groups per answer.
    """
    valid = c.valid_callbacks
    response = c.contacted / valid if valid else None
    resolution = c.resolved / valid if valid else None
    satisfaction = (
        (c.satisfied + weights.basically_satisfied * c.basically_satisfied) / valid if valid else None
    )
    closure = c.closed / c.registered if c.registered else None
    on_time = c.closed_on_time / c.closed if c.closed else None
    score = weighted_score(
        (
            (response, weights.response),
            (resolution, weights.resolution),
            (satisfaction, weights.satisfaction),
            (closure, weights.closure),
            (on_time, weights.on_time),
        )
    )
    return Rates(
        response=response,
        resolution=resolution,
        satisfaction=satisfaction,
        closure=closure,
        on_time=on_time,
        rework=c.reworked / c.handled if c.handled else None,
        score=score,
        grade=grade(score, weights) if score is not None else None,
    )


def weighted_score(pairs: tuple[tuple[float | None, float], ...]) -> float | None:
    """0-100 from the (rate, weight) pairs whose rate has data, weights renormalised (no data is no zero)."""
    # sum(), as before, not a running +=: from Python 3.12 sum() compensates float rounding, where a loop
    # rounds about one score in four thousand to another hundredth. Over lists: faster than generators.
    weights = [weight for value, weight in pairs if value is not None and weight]
    total = sum(weights)
    if not total:
        return None
    weighted = sum([value * weight for value, weight in pairs if value is not None and weight])
    score: float = round(100 * weighted / total, 2)
    return score


def grade(score: float, weights: Weights = DEFAULT_WEIGHTS) -> str:
    """A at 90 and above, B at 75, C at 60, D at 40, E below."""
    for floor, letter in weights.grades:
        if score >= floor:
            return letter
    return "E"
