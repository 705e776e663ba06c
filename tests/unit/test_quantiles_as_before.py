"""quantiles() gives the very floats of the one-quantile function it replaced (copied below), bit for bit.

The first form walked the sorted slots once per rank it needed, for each quantile on its own; the new one
reads every rank the quantiles need in one pass. Both must round to the same hundredth of an hour, also for
a histogram with a negative slot (PostgreSQL reads a period's pieces in separate snapshots, so a case that
moved in between can leave one for a moment).
"""

from __future__ import annotations

from collections.abc import Mapping

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from civicgrid.adapters.db.rollup_model import SLOT_SECONDS
from civicgrid.analytics.rollups.query import quantiles


def quantile_before(histogram: Mapping[int, int], measure: str, q: float) -> float | None:
    m = sum(histogram.values())
    if m == 0:
        return None
    width = SLOT_SECONDS[measure] / 3600
    ordered = sorted(histogram.items())

    def nth(k: int) -> float:
        seen = 0
        for s, n in ordered:
            seen += n
            if k < seen:
                return (s + 0.5) * width
        raise IndexError(k)

    if m == 1:
        return round(nth(0), 2)
    n, i = 100, int(q * 100)
    j, delta = divmod(i * (m - 1), n)
    return round((nth(j) * (n - delta) + nth(j + 1) * delta) / n, 2)


HISTOGRAMS = st.dictionaries(st.integers(0, 5000), st.integers(-3, 400), max_size=60).filter(
    lambda h: sum(h.values()) >= 0
)
QS = st.lists(
    st.one_of(st.sampled_from([0.0, 0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99]), st.floats(0, 0.999)),
    max_size=4,
)


@given(HISTOGRAMS, st.sampled_from(sorted(SLOT_SECONDS)), QS)
@example({}, "close", [0.5, 0.9])
@example({7: 1}, "accept", [0.5, 0.9])
@example({0: 3, 5: 1, 12: 4, 40: 2}, "close", [0.5, 0.9])
@example({3: 100}, "close", [0.9, 0.5, 0.9])  # any order, repeated
@example({1: 5, 2: -2}, "close", [0.5])  # a negative slot after the last rank needed
@example({1: 5}, "close", [])
def test_quantiles_equal_the_first_form(histogram: dict[int, int], measure: str, qs: list[float]) -> None:
    assert quantiles(histogram, measure, qs) == [quantile_before(histogram, measure, q) for q in qs]


@pytest.mark.parametrize("q", [1.0, 1.5, -0.1])
def test_quantiles_outside_zero_to_one_are_refused(q: float) -> None:
    with pytest.raises(ValueError):
        quantiles({1: 1, 5: 1}, "close", [0.5, q])
