"""A sliding-window rate limiter kept in process memory.

Each server process limits on its own, so N processes allow up to N times the rate; a load balancer with
sticky clients, or a shared store, tightens that. It protects public intake and sign-in from floods.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable


class RateLimiter:
    """At most ``limit`` events per ``window`` seconds for each key."""

    def __init__(self, limit: int, window: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit = limit
        self.window = window
        self.clock = clock
        self._events: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def allow(self, key: str) -> float:
        """Record an event for ``key``; 0.0 if allowed, else the seconds until the next one would be."""
        now = self.clock()
        with self._lock:
            events = self._events.setdefault(key, deque())
            while events and events[0] <= now - self.window:
                events.popleft()
            if len(events) >= self.limit:
                return events[0] + self.window - now
            events.append(now)
            if len(self._events) > 100_000:  # forget idle clients rather than grow without bound
                self._events = {k: v for k, v in self._events.items() if v and v[-1] > now - self.window}
            return 0.0
