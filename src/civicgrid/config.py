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
    public_reports_per_minute: int = Field(
        30,
        description="Reports one client address may file per minute without signing in (0: no limit).",
        ge=0,
    )
    sign_ins_per_minute: int = Field(10, description="Sign-in attempts per client address per minute.", ge=0)
    uploads_per_minute: int = Field(30, description="Photo uploads per client address per minute.", ge=0)
    max_photo_bytes: int = Field(8 * 1024 * 1024, description="Largest photo accepted, in bytes.", ge=1024)
    max_body_bytes: int = Field(
        30 * 1024 * 1024, description="Largest request body accepted, in bytes (photos included).", ge=1024
    )
    max_map_bytes: int = Field(
        64 * 1024 * 1024,
        description="Largest grid map file 'civicgrid grids check/import' reads, in bytes.",
        ge=1024,
    )
    session_hours: int = Field(
        12, description="How long a page sign-in lasts without activity (hours).", ge=1
    )
    token_days: int = Field(30, description="How long an API access token lasts (days).", ge=1)
    secure_cookies: bool = Field(
        False, description="Mark cookies Secure (set true when served over HTTPS, as in production)."
    )
    public_url: str = Field(
        "",
        description="The address residents reach the site at, for tracking links (default: as requested).",
    )
    sweep_interval_seconds: float = Field(
        60,
        description="How often each server process runs the deadline sweep, in seconds "
        "(0: never, e.g. when cron runs 'civicgrid sweep').",
        ge=0,
    )
    map_tiles_url: str = Field(
        "",
        description="Map tile URL template for the pages, e.g. an intranet tile server "
        "(default: none, the grid boundaries on a plain background).",
    )
    map_tiles_attribution: str = Field("", description="Attribution shown under the map tiles, if any.")
    sqlite_busy_timeout_ms: int = Field(
        10000, description="How long a SQLite writer waits for another writer before giving up (ms).", ge=0
    )
