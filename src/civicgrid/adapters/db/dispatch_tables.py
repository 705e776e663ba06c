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
