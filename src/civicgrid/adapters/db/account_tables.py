"""Tables of accounts, sign-in sessions, machine tokens, API keys, sign-in attempts and the audit log.

Secrets (session ids, tokens, API keys) are stored only as sha256 hex digests: a leaked database copy
lets nobody sign in. Password hashes are argon2id PHC strings.
"""

from __future__ import annotations

import sqlalchemy as sa

from civicgrid.adapters.db.tables import UTCDateTime, metadata

users = sa.Table(
    "users",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("username", sa.String(64), nullable=False, unique=True),
    sa.Column("display_name", sa.String(100), nullable=False),
    sa.Column("role", sa.String(16), nullable=False),
    sa.Column("password_hash", sa.String(255), nullable=False),
    sa.Column("worker_code", sa.String(32), nullable=True, index=True),
    sa.Column("org_code", sa.String(32), nullable=True),
    sa.Column("area_codes", sa.JSON, nullable=False),
    sa.Column("active", sa.Boolean, nullable=False),
    sa.Column("created_at", UTCDateTime(), nullable=False),
)

sessions = sa.Table(
    "sessions",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),  # sha256 of the cookie's secret
    sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id"), nullable=False, index=True),
    sa.Column("csrf_token", sa.String(64), nullable=False),
    sa.Column("created_at", UTCDateTime(), nullable=False),
    sa.Column("expires_at", UTCDateTime(), nullable=False, index=True),
    sa.Column("last_seen_at", UTCDateTime(), nullable=False),
)

access_tokens = sa.Table(
    "access_tokens",
    metadata,
    sa.Column("hash", sa.String(64), primary_key=True),  # sha256 of the bearer token
    sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id"), nullable=False, index=True),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("created_at", UTCDateTime(), nullable=False),
    sa.Column("expires_at", UTCDateTime(), nullable=True),
    sa.Column("revoked_at", UTCDateTime(), nullable=True),
)

api_keys = sa.Table(
    "api_keys",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("prefix", sa.String(16), nullable=False, unique=True),  # shown in lists, names the key
    sa.Column("key_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("created_at", UTCDateTime(), nullable=False),
    sa.Column("revoked_at", UTCDateTime(), nullable=True),
    sa.Column("last_used_at", UTCDateTime(), nullable=True),
)

# Append-only: migration 0002 adds triggers that refuse UPDATE and DELETE on SQLite and PostgreSQL.
audit_log = sa.Table(
    "audit_log",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("at", UTCDateTime(), nullable=False, index=True),
    sa.Column("actor_id", sa.Integer, nullable=True, index=True),  # no foreign key: the log outlives rows
    sa.Column("actor_name", sa.String(100), nullable=False),
    sa.Column("actor_role", sa.String(16), nullable=True),  # None: nobody signed in (a failed sign-in)
    sa.Column("action", sa.String(64), nullable=False, index=True),
    sa.Column("target", sa.String(200), nullable=False),
    sa.Column("detail", sa.JSON, nullable=False),
    sa.Column("client", sa.String(100), nullable=True),
)

login_attempts = sa.Table(
    "login_attempts",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("username", sa.String(64), nullable=False),  # as typed (normalised), known or not
    sa.Column("client", sa.String(100), nullable=True),
    sa.Column("at", UTCDateTime(), nullable=False, index=True),
    sa.Column("ok", sa.Boolean, nullable=False),
    sa.Index("ix_login_attempts_username_at", "username", "at"),
    sa.Index("ix_login_attempts_client_at", "client", "at"),
)
