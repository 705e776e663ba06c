"""The people who act on cases in the simulation: desk operators, supervisors, handlers, grid workers."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from civicgrid.demo import texts
from civicgrid.domain.cases import DeadlinePolicy
from civicgrid.domain.catalogue import Urgency
from civicgrid.domain.deadlines import TimeLimit
from civicgrid.domain.roles import Actor, Role

if TYPE_CHECKING:  # the public types live in workload, which imports this module
    from civicgrid.demo.workload import WorkerRef

DESK_NAMES = ("王芳", "李静", "张丽", "刘洋", "陈敏", "杨婷", "赵娜", "黄磊")


class Staff:
    """The people who act on cases, and the rules they work by."""

    def __init__(
        self,
        rng: random.Random,
        limits: Callable[[str, Urgency], TimeLimit],
        deadlines: DeadlinePolicy,
        end: datetime,
    ) -> None:
        self.rng, self.limits, self.deadlines, self.end = rng, limits, deadlines, end
        self.operators = tuple(Actor(role=Role.OPERATOR, name=name) for name in DESK_NAMES)
        self.supervisors = tuple(Actor(role=Role.SUPERVISOR, name=texts.person_name(rng)) for _ in range(4))
        self._handlers: dict[str, tuple[Actor, ...]] = {}
        self._workers: dict[str, Actor] = {}

    def operator(self) -> Actor:
        return self.rng.choice(self.operators)

    def supervisor(self) -> Actor:
        return self.rng.choice(self.supervisors)

    def assignee(self, org: str, worker: WorkerRef | None) -> Actor:
        """The grid worker, or a handler of the organisation when no worker is named."""
        if worker is not None:
            actor = self._workers.get(worker.code)
            if actor is None:
                actor = Actor(role=Role.GRID_WORKER, name=worker.name, worker_code=worker.code,
                              org_code=worker.org_code)  # fmt: skip
                self._workers[worker.code] = actor
            return actor
        if org not in self._handlers:
            names = [texts.person_name(self.rng) for _ in range(3)]
            self._handlers[org] = tuple(Actor(role=Role.HANDLER, name=n, org_code=org) for n in names)
        return self.rng.choice(self._handlers[org])
