"""Accounts, sessions, tokens, API keys, sign-in attempts and the audit log in the database. Never commits."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from civicgrid.adapters.db.account_tables import (
    access_tokens,
    api_keys,
    audit_log,
    login_attempts,
    sessions,
    users,
)
from civicgrid.adapters.db.tables import worker_grids
from civicgrid.domain.accounts import ApiKey, AuditEntry, User, UserSpec
from civicgrid.domain.roles import Actor, Role


@dataclass(frozen=True, slots=True)
class StoredSession:
    user_id: int
    csrf_token: str
    created_at: datetime
    expires_at: datetime
    last_seen_at: datetime


@dataclass(frozen=True, slots=True)
class StoredToken:
    user_id: int
    name: str
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None


_INSERT_AUDIT = sa.insert(audit_log)  # built once: every write appends a line


class AccountRepository:
    """Reads and writes account data. Never commits: the service's unit of work does."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self._held: list[dict[str, Any]] | None = None  # audit lines waiting for the commit (intake)

    # ------------------------------------------------------------------ users
    def add_user(self, spec: UserSpec, password_hash: str, now: datetime) -> User:
        """Store a new account (the spec is already checked) and return it with its id."""
        result = self.conn.execute(
            sa.insert(users).values(
                username=spec.username,
                display_name=spec.display_name,
                role=spec.role.value,
                password_hash=password_hash,
                worker_code=spec.worker_code,
                org_code=spec.org_code,
                area_codes=sorted(spec.area_codes),
                active=True,
                created_at=now,
            )
        )
        user_id = result.inserted_primary_key[0] if result.inserted_primary_key else None
        assert user_id is not None
        found = self.user_by_id(int(user_id))
        assert found is not None
        return found

    def user_by_id(self, user_id: int) -> User | None:
        row = self.conn.execute(sa.select(users).where(users.c.id == user_id)).first()
        return _user(row) if row is not None else None

    def user_by_username(self, username: str) -> User | None:
        row = self.conn.execute(sa.select(users).where(users.c.username == username)).first()
        return _user(row) if row is not None else None

    def password_hash(self, user_id: int) -> str:
        return str(
            self.conn.execute(sa.select(users.c.password_hash).where(users.c.id == user_id)).scalar_one()
        )

    def users(self, *, role: Role | None = None) -> list[User]:
        q = sa.select(users).order_by(users.c.username)
        if role is not None:
            q = q.where(users.c.role == role.value)
        return [_user(r) for r in self.conn.execute(q)]

    def set_password_hash(self, user_id: int, password_hash: str) -> None:
        self.conn.execute(sa.update(users).where(users.c.id == user_id).values(password_hash=password_hash))

    def set_active(self, user_id: int, active: bool) -> None:
        self.conn.execute(sa.update(users).where(users.c.id == user_id).values(active=active))

    def grids_of_worker(self, worker_code: str) -> frozenset[str]:
        """The grids a grid worker serves (the default scope of a grid-worker account)."""
        q = sa.select(worker_grids.c.grid_code).where(worker_grids.c.worker_code == worker_code)
        return frozenset(self.conn.execute(q).scalars())

    # --------------------------------------------------------- sign-in attempts
    def record_attempt(self, *, username: str, client: str | None, ok: bool, now: datetime) -> int:
        result = self.conn.execute(
            sa.insert(login_attempts).values(
                username=username[:64], client=client[:100] if client else None, at=now, ok=ok
            )
        )
        assert result.inserted_primary_key is not None
        return int(result.inserted_primary_key[0])

    def mark_attempt_ok(self, attempt_id: int) -> None:
        self.conn.execute(sa.update(login_attempts).where(login_attempts.c.id == attempt_id).values(ok=True))

    def username_failures(self, username: str, since: datetime) -> list[datetime]:
        """Failures for a user name after ``since`` and after its last successful sign-in."""
        last_ok = self.conn.execute(
            sa.select(sa.func.max(login_attempts.c.at)).where(
                login_attempts.c.username == username[:64], login_attempts.c.ok.is_(True)
            )
        ).scalar()
        # func.max keeps the column's type, so last_ok comes back aware on every backend
        start = max(since, last_ok) if last_ok is not None else since
        return self._failures(login_attempts.c.username == username[:64], start)

    def client_failures(self, client: str, since: datetime) -> list[datetime]:
        """Failures from one client address after ``since``, whatever user name they tried."""
        return self._failures(login_attempts.c.client == client[:100], since)

    def _failures(self, where: sa.ColumnElement[bool], since: datetime) -> list[datetime]:
        q = (
            sa.select(login_attempts.c.at)
            .where(where, login_attempts.c.ok.is_(False), login_attempts.c.at > since)
            .order_by(login_attempts.c.at)
        )
        return list(self.conn.execute(q).scalars())

    def forget_attempts_before(self, before: datetime) -> None:
        """Drop attempts too old to count for throttling (the audit log keeps the record)."""
        self.conn.execute(sa.delete(login_attempts).where(login_attempts.c.at < before))

    # --------------------------------------------------------------- sessions
    def add_session(
        self, *, session_id: str, user_id: int, csrf_token: str, now: datetime, expires_at: datetime
    ) -> None:
        self.conn.execute(
            sa.insert(sessions).values(
                id=session_id,
                user_id=user_id,
                csrf_token=csrf_token,
                created_at=now,
                expires_at=expires_at,
                last_seen_at=now,
            )
        )

    def session(self, session_id: str) -> StoredSession | None:
        row = self.conn.execute(sa.select(sessions).where(sessions.c.id == session_id)).first()
        if row is None:
            return None
        return StoredSession(row.user_id, row.csrf_token, row.created_at, row.expires_at, row.last_seen_at)

    def touch_session(self, session_id: str, *, now: datetime, expires_at: datetime) -> None:
        self.conn.execute(
            sa.update(sessions)
            .where(sessions.c.id == session_id)
            .values(last_seen_at=now, expires_at=expires_at)
        )

    def delete_session(self, session_id: str) -> bool:
        return bool(self.conn.execute(sa.delete(sessions).where(sessions.c.id == session_id)).rowcount)

    def delete_sessions_of(self, user_id: int) -> int:
        return int(self.conn.execute(sa.delete(sessions).where(sessions.c.user_id == user_id)).rowcount)

    def delete_expired_sessions(self, now: datetime) -> int:
        return int(self.conn.execute(sa.delete(sessions).where(sessions.c.expires_at <= now)).rowcount)

    # ----------------------------------------------------------------- tokens
    def add_token(
        self, *, token_hash: str, user_id: int, name: str, now: datetime, expires_at: datetime | None
    ) -> None:
        self.conn.execute(
            sa.insert(access_tokens).values(
                hash=token_hash, user_id=user_id, name=name, created_at=now, expires_at=expires_at
            )
        )

    def token(self, token_hash: str) -> StoredToken | None:
        row = self.conn.execute(sa.select(access_tokens).where(access_tokens.c.hash == token_hash)).first()
        if row is None:
            return None
        return StoredToken(row.user_id, row.name, row.created_at, row.expires_at, row.revoked_at)

    def revoke_token(self, token_hash: str, now: datetime) -> bool:
        q = (
            sa.update(access_tokens)
            .where(access_tokens.c.hash == token_hash, access_tokens.c.revoked_at.is_(None))
            .values(revoked_at=now)
        )
        return bool(self.conn.execute(q).rowcount)

    def revoke_tokens_of(self, user_id: int, now: datetime) -> int:
        q = (
            sa.update(access_tokens)
            .where(access_tokens.c.user_id == user_id, access_tokens.c.revoked_at.is_(None))
            .values(revoked_at=now)
        )
        return int(self.conn.execute(q).rowcount)

    # --------------------------------------------------------------- API keys
    def add_api_key(self, *, name: str, prefix: str, key_hash: str, now: datetime) -> ApiKey:
        result = self.conn.execute(
            sa.insert(api_keys).values(name=name, prefix=prefix, key_hash=key_hash, created_at=now)
        )
        key_id = result.inserted_primary_key[0] if result.inserted_primary_key else None
        assert key_id is not None
        return ApiKey(int(key_id), name, prefix, now, None, None)

    def prefix_taken(self, prefix: str) -> bool:
        return (
            self.conn.execute(sa.select(api_keys.c.id).where(api_keys.c.prefix == prefix)).first() is not None
        )

    def api_key_by_hash(self, key_hash: str) -> ApiKey | None:
        row = self.conn.execute(sa.select(api_keys).where(api_keys.c.key_hash == key_hash)).first()
        return _api_key(row) if row is not None else None

    def api_key_by_prefix(self, prefix: str) -> ApiKey | None:
        row = self.conn.execute(sa.select(api_keys).where(api_keys.c.prefix == prefix)).first()
        return _api_key(row) if row is not None else None

    def api_keys(self) -> list[ApiKey]:
        return [_api_key(r) for r in self.conn.execute(sa.select(api_keys).order_by(api_keys.c.id))]

    def revoke_api_key(self, key_id: int, now: datetime) -> None:
        self.conn.execute(
            sa.update(api_keys)
            .where(api_keys.c.id == key_id, api_keys.c.revoked_at.is_(None))
            .values(revoked_at=now)
        )

    def touch_api_key(self, key_id: int, now: datetime) -> None:
        self.conn.execute(sa.update(api_keys).where(api_keys.c.id == key_id).values(last_used_at=now))

    # -------------------------------------------------------------- audit log
    def audit(
        self,
        *,
        actor: Actor | None,
        action: str,
        target: str = "",
        detail: Mapping[str, Any] | None = None,
        client: str | None = None,
        now: datetime,
    ) -> None:
        """Append one line to the audit log, inside the caller's transaction (it commits with the write).

        ``actor`` None means nobody is signed in (e.g. a failed sign-in); ``detail`` must be JSON-able and
        must not hold secrets or passwords.
        """
        line = dict(
            at=now,
            actor_id=actor.id if actor else None,
            actor_name=(actor.name if actor else "")[:100],
            actor_role=actor.role.value if actor else None,
            action=action[:64],
            target=target[:200],
            detail=dict(detail or {}),
            client=client[:100] if client else None,
        )
        if self._held is not None:
            self._held.append(line)
        else:
            self.conn.execute(_INSERT_AUDIT, line)

    def hold_audit(self) -> None:
        """From now on audit lines wait in memory for ``flush_held`` (intake's group commit: one insert)."""
        self._held = []

    def flush_held(self) -> None:
        """Append the audit lines held back (called by the unit of work before it commits)."""
        if self._held:
            self.conn.execute(_INSERT_AUDIT, self._held)
            self._held = []

    def discard_held(self) -> None:
        """Forget the audit lines held back (the transaction was rolled back)."""
        if self._held is not None:
            self._held = []

    def audit_entries(
        self, *, action: str | None = None, actor_id: int | None = None, limit: int = 100
    ) -> list[AuditEntry]:
        """The newest audit lines first, optionally of one action or one actor."""
        q = sa.select(audit_log).order_by(audit_log.c.id.desc()).limit(limit)
        if action is not None:
            q = q.where(audit_log.c.action == action)
        if actor_id is not None:
            q = q.where(audit_log.c.actor_id == actor_id)
        return [
            AuditEntry(
                id=r.id,
                at=r.at,
                actor_id=r.actor_id,
                actor_name=r.actor_name,
                actor_role=r.actor_role,
                action=r.action,
                target=r.target,
                detail=dict(r.detail or {}),
                client=r.client,
            )
            for r in self.conn.execute(q)
        ]


def _user(row: Any) -> User:
    return User(
        id=row.id,
        username=row.username,
        display_name=row.display_name,
        role=Role(row.role),
        worker_code=row.worker_code,
        org_code=row.org_code,
        area_codes=frozenset(row.area_codes or ()),
        active=bool(row.active),
    )


def _api_key(row: Any) -> ApiKey:
    return ApiKey(row.id, row.name, row.prefix, row.created_at, row.revoked_at, row.last_used_at)
