"""Settings: one pydantic-settings class, every field described (the README lists them all, a test checks)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """civicgrid's settings, read from ``CIVICGRID_*`` environment variables."""

    model_config = SettingsConfigDict(env_prefix="CIVICGRID_", extra="ignore")

    database_url: str = Field(
        "sqlite:///civicgrid.db",
        description="SQLAlchemy URL of the database: sqlite:///FILE (default) or postgresql+psycopg://...",
    )
    lang: str = Field("zh_CN", description="Language of command-line messages: zh_CN or en.")
    timezone: str = Field(
        "Asia/Shanghai", description="Local time zone of the district (working hours, days)."
    )
    working_hours: str = Field(
        "08:30-12:00,13:30-17:30",
        description="Working periods of a workday, local time, comma-separated (for working-time limits).",
    )
    accept_limit: str = Field("2h working", description="Time allowed to accept (签收) a dispatched case.")
    yellow_at: float = Field(
        0.8, description="Share of the time limit after which a case turns yellow.", gt=0, lt=1
    )
    upload_dir: Path = Field(Path("uploads"), description="Folder where report photos are stored.")
    sqlite_busy_timeout_ms: int = Field(
        10000, description="How long a SQLite writer waits for another writer before giving up (ms).", ge=0
    )
