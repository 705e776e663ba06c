"""The database schema (SQLAlchemy Core). Tables are not domain objects: repositories map between them."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect

metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


class UTCDateTime(sa.types.TypeDecorator[datetime]):
    """Aware datetimes in, aware UTC datetimes out, on every backend (SQLite keeps no zone)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if isinstance(value, str):  # raw SQLite text from a hand-written query
            value = datetime.fromisoformat(value)
        moment: datetime = value
        if moment.tzinfo is None:
            return moment.replace(tzinfo=UTC)
        return moment.astimezone(UTC)


def _ts(name: str, **kw: Any) -> sa.Column[Any]:
    return sa.Column(name, UTCDateTime(), **kw)


meta = sa.Table(
    "meta",
    metadata,
    sa.Column("key", sa.String(64), primary_key=True),
    sa.Column("value", sa.Text, nullable=False),
)

areas = sa.Table(
    "areas",
    metadata,
    sa.Column("code", sa.String(32), primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("level", sa.String(16), nullable=False, index=True),
    sa.Column("parent_code", sa.String(32), nullable=True, index=True),
    sa.Column("geometry", sa.JSON, nullable=False),  # GeoJSON geometry, WGS84
    sa.Column("min_lon", sa.Float, nullable=False),
    sa.Column("min_lat", sa.Float, nullable=False),
    sa.Column("max_lon", sa.Float, nullable=False),
    sa.Column("max_lat", sa.Float, nullable=False),
    _ts("updated_at", nullable=False),
)

# Reference tables: column names follow the keys of civicgrid/data/*.json, so rows and documents map 1:1.
organisations = sa.Table(
    "organisations",
    metadata,
    sa.Column("code", sa.String(32), primary_key=True),
    sa.Column("kind", sa.String(16), nullable=False),  # department | utility
    sa.Column("name_zh", sa.String(200), nullable=False),
    sa.Column("short_name_zh", sa.String(100), nullable=False),
    sa.Column("name_en", sa.String(200), nullable=False),
    sa.Column("short_name_en", sa.String(100), nullable=False),
    sa.Column("utility", sa.String(16), nullable=True),  # water | power | gas | heating | telecom
    sa.Column("active", sa.Boolean, nullable=False, default=True),
)

major_categories = sa.Table(
    "major_categories",
    metadata,
    sa.Column("code", sa.String(32), primary_key=True),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("name_zh", sa.String(100), nullable=False),
    sa.Column("name_en", sa.String(200), nullable=False),
)

categories = sa.Table(
    "categories",
    metadata,
    sa.Column("code", sa.String(32), primary_key=True),
    sa.Column("major", sa.String(32), sa.ForeignKey("major_categories.code"), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("name_zh", sa.String(100), nullable=False),
    sa.Column("name_en", sa.String(200), nullable=False),
    sa.Column("description_zh", sa.Text, nullable=False),
    sa.Column("description_en", sa.Text, nullable=False),
    sa.Column("keywords_zh", sa.JSON, nullable=False),
    sa.Column("keywords_en", sa.JSON, nullable=False),
    sa.Column("department", sa.String(32), sa.ForeignKey("organisations.code"), nullable=False),
    sa.Column("urgency", sa.String(16), nullable=False),
    sa.Column("limit_class", sa.String(16), nullable=False),
    sa.Column("anonymous_allowed", sa.Boolean, nullable=False),
    sa.Column("attributes", sa.JSON, nullable=False),
    sa.Column("active", sa.Boolean, nullable=False, default=True),
)

time_limits = sa.Table(
    "time_limits",
    metadata,
    sa.Column("category_code", sa.String(32), sa.ForeignKey("categories.code"), primary_key=True),
    sa.Column("urgency", sa.String(16), primary_key=True),
    sa.Column("limit", sa.String(32), nullable=False),  # e.g. "7d working", "2h natural"
)

workers = sa.Table(
    "workers",
    metadata,
    sa.Column("code", sa.String(32), primary_key=True),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("phone", sa.String(32), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),  # fulltime | professional
    sa.Column("org_code", sa.String(32), sa.ForeignKey("organisations.code"), nullable=True),
    sa.Column("active", sa.Boolean, nullable=False, default=True),
)

worker_grids = sa.Table(
    "worker_grids",
    metadata,
    sa.Column("worker_code", sa.String(32), sa.ForeignKey("workers.code"), primary_key=True),
    sa.Column("grid_code", sa.String(32), primary_key=True, index=True),
)

holiday_schedules = sa.Table(
    "holiday_schedules",
    metadata,
    sa.Column("year", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("holidays", sa.JSON, nullable=False),
    sa.Column("workdays", sa.JSON, nullable=False),
    _ts("loaded_at", nullable=False),
)

cases = sa.Table(
    "cases",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("number", sa.String(32), nullable=True, unique=True),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("source", sa.String(16), nullable=False),
    sa.Column("category_code", sa.String(32), nullable=False, index=True),
    sa.Column("urgency", sa.String(16), nullable=False),
    sa.Column("description", sa.Text, nullable=False),
    sa.Column("lon", sa.Float, nullable=False),
    sa.Column("lat", sa.Float, nullable=False),
    sa.Column("address", sa.String(500), nullable=False),
    sa.Column("microgrid_code", sa.String(32), nullable=False, index=True),
    sa.Column("grid_code", sa.String(32), nullable=False, index=True),
    sa.Column("community_code", sa.String(32), nullable=False, index=True),
    sa.Column("street_code", sa.String(32), nullable=False, index=True),
    sa.Column("reporter_name", sa.String(100), nullable=True),
    sa.Column("reporter_phone", sa.String(32), nullable=True),
    sa.Column("anonymous", sa.Boolean, nullable=False),
    sa.Column("status", sa.String(16), nullable=False, index=True),
    sa.Column("time_limit", sa.String(32), nullable=True),
    sa.Column("org_code", sa.String(32), nullable=True, index=True),
    sa.Column("assignee_code", sa.String(32), nullable=True, index=True),
    _ts("submitted_at", nullable=False, index=True),
    _ts("registered_at"),
    _ts("dispatched_at"),
    _ts("accepted_at"),
    _ts("handled_at"),
    _ts("closed_at"),
    _ts("evaluated_at"),
    _ts("suspended_at"),
    _ts("accept_due"),
    _ts("due", index=True),
    sa.Column("due_provisional", sa.Boolean, nullable=False),
    sa.Column("outcome", sa.String(16), nullable=True),
    sa.Column("merged_into", sa.Integer, sa.ForeignKey("cases.id"), nullable=True),
    sa.Column("escalation", sa.String(16), nullable=False),
    sa.Column("warning", sa.String(8), nullable=False),
    sa.Column("pending", sa.JSON, nullable=True),
    sa.Column("callback_valid", sa.Boolean, nullable=True),
    sa.Column("callback_contacted", sa.Boolean, nullable=True),
    sa.Column("callback_resolved", sa.Boolean, nullable=True),
    sa.Column("satisfaction", sa.String(24), nullable=True),
    sa.Column("callback_comment", sa.Text, nullable=True),
    sa.Column("return_count", sa.Integer, nullable=False),
    sa.Column("rework_count", sa.Integer, nullable=False),
    sa.Column("reopen_count", sa.Integer, nullable=False),
    sa.Column("extension_count", sa.Integer, nullable=False),
    sa.Column("supervision_count", sa.Integer, nullable=False),
    sa.Column("photos", sa.JSON, nullable=False),
    sa.Column("attributes", sa.JSON, nullable=False, default=dict),  # answers to the category's questions
    sa.Column("reporter_email", sa.String(200), nullable=True),
    # sha256 of the secret tracking token: the link gives the public view, the database never holds the token
    sa.Column("tracking_hash", sa.String(64), nullable=True, unique=True),
    sa.Column("reporter_user_id", sa.Integer, nullable=True, index=True),
)

# The overdue list of one street (the running cases' partial index is in rollup_tables).
sa.Index("ix_cases_street_code_status_due", cases.c.street_code, cases.c.status, cases.c.due)

case_events = sa.Table(
    "case_events",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("case_id", sa.Integer, sa.ForeignKey("cases.id"), nullable=False),
    sa.Column("seq", sa.Integer, nullable=False),
    sa.Column("action", sa.String(32), nullable=False),
    _ts("at", nullable=False),
    sa.Column("actor_role", sa.String(16), nullable=False),
    sa.Column("actor_id", sa.Integer, nullable=True),
    sa.Column("actor_name", sa.String(100), nullable=False),
    sa.Column("from_status", sa.String(16), nullable=True),
    sa.Column("to_status", sa.String(16), nullable=False),
    sa.Column("note", sa.Text, nullable=False),
    sa.Column("data", sa.JSON, nullable=False),
    sa.Column("attachments", sa.JSON, nullable=False),
    # (case, seq) is unique: a second writer racing on the same case fails here even without the version check
    sa.UniqueConstraint("case_id", "seq"),
)

# Which cases hold which photo (their own photos and their steps' attachments): who may see a photo is who
# may see one of its cases, found by the photo's name through this index instead of searching every case.
case_photos = sa.Table(
    "case_photos",
    metadata,
    sa.Column("name", sa.String(80), primary_key=True),
    sa.Column("case_id", sa.Integer, sa.ForeignKey("cases.id"), primary_key=True),
)

idempotency_keys = sa.Table(
    "idempotency_keys",
    metadata,
    # A client retrying a create with the same key gets the first answer back and makes no second case.
    sa.Column("scope", sa.String(100), primary_key=True),  # who sent it: user, API key or client address
    sa.Column("key", sa.String(200), primary_key=True),
    sa.Column("request_hash", sa.String(64), nullable=False),
    sa.Column("status_code", sa.Integer, nullable=False),
    sa.Column("response", sa.JSON, nullable=False),
    _ts("created_at", nullable=False, index=True),
)
from civicgrid.adapters.db import account_tables as account_tables  # noqa: E402  (registers the account tables on metadata)
from civicgrid.adapters.db import dispatch_tables as dispatch_tables  # noqa: E402  (registers the dispatch tables on metadata)
from civicgrid.adapters.db import rollup_tables as rollup_tables  # noqa: E402  (registers the rollup tables on metadata)
