"""One unit of work per use case: one connection, one transaction, one commit."""

from __future__ import annotations

from types import TracebackType

from sqlalchemy.engine import Connection, Engine

from civicgrid.adapters.db.account_repository import AccountRepository
from civicgrid.adapters.db.area_repository import AreaRepository
from civicgrid.adapters.db.case_repository import CaseRepository
from civicgrid.adapters.db.dispatch_repository import DispatchRepository
from civicgrid.adapters.db.idempotency_repository import IdempotencyRepository
from civicgrid.adapters.db.lease_repository import LeaseRepository
from civicgrid.adapters.db.reference_repository import ReferenceRepository


class UnitOfWork:
    """Opens a transaction on enter; ``commit()`` makes it durable; leaving without commit rolls back."""

    conn: Connection
    cases: CaseRepository
    areas: AreaRepository
    reference: ReferenceRepository
    accounts: AccountRepository
    idempotency: IdempotencyRepository
    dispatch: DispatchRepository
    leases: LeaseRepository

    def __init__(self, engine: Engine, *, write: bool = True) -> None:
        self.engine = engine
        self.write = write

    def __enter__(self) -> UnitOfWork:
        conn = self.engine.connect()
        if self.write and self.engine.dialect.name == "sqlite":
            conn = conn.execution_options(sqlite_begin="IMMEDIATE")
        self.conn = conn
        self._tx = conn.begin()
        self.cases = CaseRepository(conn)
        self.areas = AreaRepository(conn)
        self.reference = ReferenceRepository(conn)
        self.accounts = AccountRepository(conn)
        self.idempotency = IdempotencyRepository(conn)
        self.dispatch = DispatchRepository(conn)
        self.leases = LeaseRepository(conn)
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        try:
            if self._tx.is_active:
                self._tx.rollback()
        finally:
            self.conn.close()

    def commit(self) -> None:
        """Make everything done in this unit durable."""
        self._tx.commit()

    def rollback(self) -> None:
        """Undo everything done in this unit."""
        self._tx.rollback()
