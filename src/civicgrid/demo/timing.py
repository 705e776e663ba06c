"""Beijing time in the simulation: when reports arrive, how long a step takes, when desks are open.

Arrivals follow the week, the day (peaks 9-11 and 14-16) and the months; the three bands of the day
(day, evening, night) shape which sources and categories come in.
"""

from __future__ import annotations

import math
import random
from datetime import UTC, datetime, timedelta
from itertools import accumulate

LOCAL = timedelta(hours=8)  # Beijing time, no daylight saving since 1991
_HOURS = (0.15, 0.1, 0.07, 0.05, 0.05, 0.1, 0.3, 0.7, 1.3, 1.9, 2.0, 1.6,
          0.9, 1.1, 1.7, 1.8, 1.5, 1.1, 0.8, 0.8, 0.8, 0.7, 0.5, 0.3)  # fmt: skip
_WEEKDAYS = (1.12, 1.05, 1.0, 1.0, 0.95, 0.68, 0.62)
_MONTHS = (0.85, 0.8, 0.95, 1.0, 1.05, 1.1, 1.2, 1.2, 1.05, 0.95, 1.0, 1.05)


def arrival_times(rng: random.Random, count: int, end: datetime, days: int) -> list[datetime]:
    """Submission times: hourly slots weighted by hour of day, weekday and month, then a random minute."""
    start = end - timedelta(days=days)
    weights = slot_weights(start, days * 24)
    slots = rng.choices(range(len(weights)), cum_weights=list(accumulate(weights)), k=count)
    return sorted(start + timedelta(hours=slot + rng.random()) for slot in slots)


def slot_weights(start: datetime, hours: int) -> list[float]:
    """How busy each hour from ``start`` is: by hour of day, weekday and month, Beijing time."""
    weights = []
    for slot in range(hours):
        local = start + LOCAL + timedelta(hours=slot)
        weights.append(_HOURS[local.hour] * _WEEKDAYS[local.weekday()] * _MONTHS[local.month - 1])
    return weights


def day_band(local_hour: int) -> str:
    """The band of a local hour: day 07-18, evening 18-23, night."""
    return "day" if 7 <= local_hour < 18 else "evening" if 18 <= local_hour < 23 else "night"


def minutes(rng: random.Random, median: float, sigma: float = 0.8) -> timedelta:
    """How long a step takes: lognormal around a median number of minutes."""
    return timedelta(minutes=rng.lognormvariate(math.log(median), sigma))


def daytime(rng: random.Random, t: datetime, first: int = 8, last: int = 20) -> datetime:
    """A time outside first..last o'clock Beijing time moved to the next opening, plus up to an hour."""
    local = t + LOCAL
    if first <= local.hour < last:
        return t
    day = local.date() if local.hour < first else local.date() + timedelta(days=1)
    opening = datetime(day.year, day.month, day.day, first, tzinfo=UTC) - LOCAL
    return opening + timedelta(minutes=rng.uniform(0, 60))
