"""Leases in the ``meta`` table: one row per lease, its value taken and renewed by compare-and-swap."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from civicgrid.adapters.db.tables import meta


class LeaseRepository:
    """Reads and swaps lease rows; what a value means (holder, expiry) is the caller's. Never commits."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def read(self, key: str) -> str | None:
        """The lease's current value; None when nobody has taken it yet."""
        return self.conn.execute(sa.select(meta.c.value).where(meta.c.key == key)).scalar()

    def insert(self, key: str, value: str) -> bool:
        """Create the lease row; False when another process inserted it first.

        After False the transaction is spoilt on PostgreSQL: the caller must leave the unit of work.
        """
        try:
            self.conn.execute(sa.insert(meta).values(key=key, value=value))
        except IntegrityError:
            return False
        return True

    def swap(self, key: str, old: str, new: str) -> bool:
        """Replace the value only if it is still ``old``; False when someone changed it meanwhile."""
        # The WHERE on the old value makes this atomic: of two processes swapping the same value, the
        # second one's UPDATE finds no row (PostgreSQL re-checks the row once the first commits).
        result = self.conn.execute(
            sa.update(meta).where(meta.c.key == key, meta.c.value == old).values(value=new)
        )
        return result.rowcount == 1

    def delete_if(self, key: str, value: str) -> None:
        """Remove the lease row if its value is still ``value`` (the lease is still ours)."""
        self.conn.execute(sa.delete(meta).where(meta.c.key == key, meta.c.value == value))
