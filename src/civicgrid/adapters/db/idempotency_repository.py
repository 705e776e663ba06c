"""Stored answers to create requests, by the client's ``Idempotency-Key``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from civicgrid.adapters.db.tables import idempotency_keys


@dataclass(frozen=True)
class StoredAnswer:
    """The first answer given to a key, and a hash of the request it answered."""

    request_hash: str
    status_code: int
    response: dict[str, Any]


class IdempotencyRepository:
    """Never commits; the answer is stored in the same transaction as the case it describes."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def get(self, scope: str, key: str) -> StoredAnswer | None:
        """The answer stored for this client's key, if any."""
        row = self.conn.execute(
            sa.select(idempotency_keys).where(
                idempotency_keys.c.scope == scope, idempotency_keys.c.key == key
            )
        ).first()
        if row is None:
            return None
        return StoredAnswer(row.request_hash, row.status_code, dict(row.response))

    def put(self, scope: str, key: str, answer: StoredAnswer, now: datetime) -> None:
        """Remember an answer; a concurrent duplicate fails on the primary key and the caller retries."""
        self.conn.execute(
            sa.insert(idempotency_keys).values(
                scope=scope,
                key=key,
                request_hash=answer.request_hash,
                status_code=answer.status_code,
                response=answer.response,
                created_at=now,
            )
        )

    def forget_before(self, moment: datetime) -> int:
        """Drop answers older than ``moment`` (keys are kept for a day or more)."""
        return self.conn.execute(
            sa.delete(idempotency_keys).where(idempotency_keys.c.created_at < moment)
        ).rowcount
