"""rates() gives the very floats of its first, slower form (copied below from before 10ef694), bit for bit.

The order and the kind of every addition matter: from Python 3.12 ``sum()`` of floats compensates its
rounding, so a running ``+=`` would round some scores to another hundredth there.
"""

from __future__ import annotations

from dataclasses import astuple

from hypothesis import example, given
from hypothesis import strategies as st

from civicgrid.domain.metrics import DEFAULT_WEIGHTS, Counts, Rates, Weights, grade, rates


def _ratio(numerator: float, denominator: int) -> float | None:
    return numerator / denominator if denominator else None


def rates_before(c: Counts, weights: Weights) -> Rates:
    valid = c.valid_callbacks
    parts = {
        "response": _ratio(c.contacted, valid),
        "resolution": _ratio(c.resolved, valid),
        "satisfaction": _ratio(c.satisfied + weights.basically_satisfied * c.basically_satisfied, valid),
        "closure": _ratio(c.closed, c.registered),
        "on_time": _ratio(c.closed_on_time, c.closed),
    }
    pairs = [
        (value, getattr(weights, name))
        for name, value in parts.items()
        if value is not None and getattr(weights, name)
    ]
    total = sum(w for _, w in pairs)
    score = round(100 * sum(v * w for v, w in pairs) / total, 2) if total else None
    return Rates(
        response=parts["response"],
        resolution=parts["resolution"],
        satisfaction=parts["satisfaction"],
        closure=parts["closure"],
        on_time=parts["on_time"],
        rework=_ratio(c.reworked, c.handled),
        score=score,
        grade=grade(score, weights) if score is not None else None,
    )


# Small counts make the round ratios whose score sits on a half hundredth, where a last bit shows.
counts = st.builds(
    Counts, *(st.one_of(st.integers(0, 40), st.integers(0, 10**7)) for _ in Counts.__dataclass_fields__)
)
weight = st.one_of(st.just(0.0), st.floats(0, 10, allow_nan=False), st.integers(0, 3))
weights = st.one_of(
    st.just(DEFAULT_WEIGHTS),
    st.builds(Weights, weight, weight, weight, weight, weight, st.floats(0, 1)),
)


@given(c=counts, w=weights)
# Scores on a half hundredth: the weighted rates added in another order give 74.38, not 74.37; a running
# += instead of sum() on Python 3.12 or later gives 67.63, not 67.62.
@example(
    c=Counts(20, 4, 3, 0, valid_callbacks=16, contacted=13, resolved=13, satisfied=14), w=DEFAULT_WEIGHTS
)
@example(
    c=Counts(12, 10, 8, 2, valid_callbacks=8, contacted=2, resolved=6, satisfied=7, basically_satisfied=1),
    w=DEFAULT_WEIGHTS,
)
def test_the_rates_are_the_floats_they_were(c: Counts, w: Weights) -> None:
    assert repr(astuple(rates(c, w))) == repr(astuple(rates_before(c, w)))  # repr: -0.0 is not 0.0
