"""One unit of work per use case: one connection, one transaction, one commit."""

from __future__ import annotations

from types import TracebackType

from sqlalchemy.engine import Connection, Engine

from civicgrid.adapters.db.account_repository import AccountRepository
from civicgrid.adapters.db.area_repository import AreaRepository
from civicgrid.adapters.db.case_repository import CaseRepository
from civicgrid.adapters.db.dispatch_control_repository import DispatchControlRepository
from civicgrid.adapters.db.dispatch_repository import DispatchRepository
from civicgrid.adapters.db.engine import WriterGate, writer_gate
from civicgrid.adapters.db.idempotency_repository import IdempotencyRepository
from civicgrid.adapters.db.lease_repository import LeaseRepository
from civicgrid.adapters.db.reference_repository import ReferenceRepository


class UnitOfWork:
    """Opens a transaction on enter; ``commit()`` makes it durable; leaving without commit rolls back."""

    conn: Connection
    _gate: WriterGate | None
    cases: CaseRepository
    areas: AreaRepository
    reference: ReferenceRepository
    accounts: AccountRepository
    idempotency: IdempotencyRepository
    dispatch: DispatchRepository
    control: DispatchControlRepository
    leases: LeaseRepository

    def __init__(self, engine: Engine, *, write: bool = True) -> None:
        self.engine = engine
        self.write = write

    def __enter__(self) -> UnitOfWork:
        self._gate = writer_gate(self.engine) if self.write else None
        if self._gate is not None:
            self._gate.acquire()
        try:
            conn = self.engine.connect()
            if self.write and self.engine.dialect.name == "sqlite":
                conn = conn.execution_options(sqlite_begin="IMMEDIATE")
            self.conn = conn
            self._tx = conn.begin()
        except BaseException:
            self._open_gate()
            raise
        self.cases = CaseRepository(conn)
        self.areas = AreaRepository(conn)
        self.reference = ReferenceRepository(conn)
        self.accounts = AccountRepository(conn)
        self.idempotency = IdempotencyRepository(conn)
        self.dispatch = DispatchRepository(conn)
        self.control = DispatchControlRepository(conn)
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
            self._open_gate()

    def _open_gate(self) -> None:
        if self._gate is not None:
            gate, self._gate = self._gate, None
            gate.release()

    def hold_inserts(self) -> None:
        """New cases, their events, photo links and audit lines wait for the commit: one insert per table.

        For intake's group commit, which files many reports in one unit and reads none of them back.
        """
        self.cases.hold_new_cases()
        self.accounts.hold_audit()

    def commit(self) -> None:
        """Make everything done in this unit durable, then let the next writer in."""
        self.cases.flush_held()
        self.accounts.flush_held()
        self.cases.flush_rollups()  # the figures' rollups change in the same transaction as the cases
        self._tx.commit()
        self._open_gate()

    def rollback(self) -> None:
        """Undo everything done in this unit."""
        self.cases.rollups.discard()
        self.cases.discard_held()
        self.accounts.discard_held()
        self._tx.rollback()
