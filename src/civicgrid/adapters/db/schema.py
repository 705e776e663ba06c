"""Schema migrations: the same Alembic scripts create and upgrade SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from importlib import resources

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine


def alembic_config(url: str | None = None) -> Config:
    """An Alembic config pointing at the migrations shipped inside the package."""
    cfg = Config()
    cfg.set_main_option("script_location", str(resources.files("civicgrid.adapters.db") / "migrations"))
    if url:
        cfg.set_main_option("sqlalchemy.url", url)
    return cfg


def upgrade(engine: Engine) -> None:
    """Create the schema or bring it to the newest revision."""
    migrate(engine, command.upgrade, "head")


def migrate(engine: Engine, action: Callable[[Config, str], None], revision: str) -> None:
    """Run an Alembic command (``command.upgrade``, ``downgrade``, ``stamp``) to ``revision``, in one
    transaction of ``engine``."""
    cfg = alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        action(cfg, revision)


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at (None when it has no schema)."""
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def head_revision() -> str | None:
    """The newest revision this code knows."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()
