"""Tables of smart dispatch: versioned classifier models with their evaluation, and routing rules."""

from __future__ import annotations

import sqlalchemy as sa

from civicgrid.adapters.db.tables import UTCDateTime, metadata

# One row per trained model. The newest active one is what the servers classify with; ``payload`` holds
# the serialised model (written by civicgrid itself only: it is unpickled when loaded).
dispatch_models = sa.Table(
    "dispatch_models",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("created_at", UTCDateTime(), nullable=False),
    sa.Column("version", sa.Integer, nullable=False, unique=True),
    sa.Column("kind", sa.String(64), nullable=False),
    sa.Column("n_train", sa.Integer, nullable=False),
    sa.Column("metrics", sa.JSON, nullable=False),
    sa.Column("payload", sa.LargeBinary, nullable=False),
    sa.Column("active", sa.Boolean, nullable=False, index=True),
)

# Category x area (any level, the district included) -> organisation; the most specific area wins.
routing_rules = sa.Table(
    "routing_rules",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("category_code", sa.String(32), sa.ForeignKey("categories.code"), nullable=False, index=True),
    # No foreign key to areas: a map import replaces every area row.
    sa.Column("area_code", sa.String(32), nullable=False),
    sa.Column("org_code", sa.String(32), sa.ForeignKey("organisations.code"), nullable=False),
    sa.Column("created_at", UTCDateTime(), nullable=False),
    sa.Column("created_by", sa.String(100), nullable=False),
    sa.UniqueConstraint("category_code", "area_code"),
)

# The suggestion made for a report the moment it was stored (category, organisation, worker, confidence,
# top three, reasons as message templates with their parameters), and what became of it: the first
# dispatch fills ``decided_at`` and whether each part of the suggestion was taken.
case_suggestions = sa.Table(
    "case_suggestions",
    metadata,
    sa.Column("case_id", sa.Integer, sa.ForeignKey("cases.id"), primary_key=True, autoincrement=False),
    sa.Column("created_at", UTCDateTime(), nullable=False, index=True),
    sa.Column("model_version", sa.Integer, nullable=True),
    sa.Column("category_code", sa.String(32), nullable=False),
    sa.Column("org_code", sa.String(32), nullable=True),
    sa.Column("assignee_code", sa.String(32), nullable=True),
    sa.Column("confidence", sa.Float, nullable=True),
    sa.Column("alternatives", sa.JSON, nullable=False),
    sa.Column("reasons", sa.JSON, nullable=False),
    sa.Column("auto_dispatched", sa.Boolean, nullable=False),
    sa.Column("decided_at", UTCDateTime(), nullable=True),
    sa.Column("category_taken", sa.Boolean, nullable=True),
    sa.Column("org_taken", sa.Boolean, nullable=True),
    sa.Column("assignee_taken", sa.Boolean, nullable=True),
)

# One row each time a person registers or dispatches a case otherwise than suggested: who, when, what was
# suggested and what was chosen. Append-only, like the case history.
dispatch_overrides = sa.Table(
    "dispatch_overrides",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("case_id", sa.Integer, sa.ForeignKey("cases.id"), nullable=False, index=True),
    sa.Column("at", UTCDateTime(), nullable=False, index=True),
    sa.Column("action", sa.String(16), nullable=False),  # register | dispatch
    sa.Column("actor_role", sa.String(16), nullable=False),
    sa.Column("actor_id", sa.Integer, nullable=True),
    sa.Column("actor_name", sa.String(100), nullable=False),
    sa.Column("suggested_category", sa.String(32), nullable=False),
    sa.Column("chosen_category", sa.String(32), nullable=False),
    sa.Column("suggested_org", sa.String(32), nullable=True),
    sa.Column("chosen_org", sa.String(32), nullable=True),
    sa.Column("suggested_assignee", sa.String(32), nullable=True),
    sa.Column("chosen_assignee", sa.String(32), nullable=True),
    sa.Column("confidence", sa.Float, nullable=True),
    sa.Column("model_version", sa.Integer, nullable=True),
)

# Per-category dispatch settings an administrator edits; a missing row or NULL means the global default.
category_dispatch_settings = sa.Table(
    "category_dispatch_settings",
    metadata,
    sa.Column("category_code", sa.String(32), sa.ForeignKey("categories.code"), primary_key=True),
    sa.Column("auto_mode", sa.String(8), nullable=False),  # default | on | off
    sa.Column("auto_min_confidence", sa.Float, nullable=True),
    sa.Column("duplicate_radius_m", sa.Float, nullable=True),
    sa.Column("duplicate_window_days", sa.Float, nullable=True),
    sa.Column("updated_at", UTCDateTime(), nullable=False),
    sa.Column("updated_by", sa.String(100), nullable=False),
)
