"""The composition root: settings, engine, unit of work, locator, calendar and clock are built here only.

Entry points (CLI, API, pages) call ``bootstrap``; tests swap parts by passing them in.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.engine import Engine, make_url

from civicgrid.adapters.calendar import ChinaWorkCalendar
from civicgrid.adapters.db import schema
from civicgrid.adapters.db.engine import BadDatabaseURL, make_engine
from civicgrid.adapters.db.unit_of_work import UnitOfWork
from civicgrid.adapters.photos import PhotoStore
from civicgrid.adapters.ratelimit import RateLimiter
from civicgrid.config import Settings
from civicgrid.domain.deadlines import TimeLimit, WorkingHours
from civicgrid.domain.errors import N_, DomainError
from civicgrid.services.deadline_policy import CalendarDeadlines
from civicgrid.services.dispatch import ModelCache, current_classifier
from civicgrid.services.intake_suggestions import SuggestReport, suggest_backlog, suggest_new_cases
from civicgrid.services.intake_writer import IntakeWriter
from civicgrid.services.locating import Locator
from civicgrid.services.suggestion_worker import SuggestionWorker


class DatabaseMissing(DomainError):
    code = "database_missing"
    message = N_("There is no database at {url}; create it with 'civicgrid init' (or 'civicgrid demo').")


class SchemaOutdated(DomainError):
    code = "schema_outdated"
    message = N_("The database at {url} has no civicgrid schema or an older one; run 'civicgrid init'.")


def utc_now() -> datetime:
    """The real clock."""
    return datetime.now(UTC)


@dataclass
class App:
    """Everything a use case needs, built once per process."""

    settings: Settings
    engine: Engine
    locator: Locator
    deadlines: CalendarDeadlines
    clock: Callable[[], datetime]
    photos: PhotoStore
    intake: IntakeWriter
    suggester: SuggestionWorker
    limiters: dict[str, RateLimiter] = field(default_factory=dict)
    # The active classifier, reloaded when another is activated (per app: tests build many apps).
    models: ModelCache = field(default_factory=ModelCache)

    def uow(self) -> UnitOfWork:
        """A fresh unit of work (one transaction) for a use case that writes."""
        return UnitOfWork(self.engine)

    def reader(self) -> UnitOfWork:
        """A unit of work that only reads (on SQLite it does not queue behind writers)."""
        return UnitOfWork(self.engine, write=False)

    def reload_calendar(self) -> None:
        """Pick up official holiday schedules an administrator loaded into the database."""
        with self.uow() as u:
            self.deadlines.calendar = ChinaWorkCalendar(u.reference.holiday_schedules())

    def suggest(self, ids: list[int]) -> SuggestReport:
        """Suggest for newly stored cases and dispatch the confident ones (the suggestion worker's job)."""
        return suggest_new_cases(
            uow=self.uow,
            reader=self.reader,
            classifier=current_classifier(self.reader, cache=self.models),
            deadlines=self.deadlines,
            ids=ids,
            now=self.clock(),
            default_threshold=self.settings.auto_dispatch_min_confidence,
        )

    def suggest_backlog(self) -> SuggestReport:
        """Suggest for stored cases that have none yet (after a crash, or reports filed around intake)."""
        return suggest_backlog(
            uow=self.uow,
            reader=self.reader,
            classifier=current_classifier(self.reader, cache=self.models),
            deadlines=self.deadlines,
            now=self.clock(),
            default_threshold=self.settings.auto_dispatch_min_confidence,
        )

    def warm_up(self) -> None:
        """Load what the first requests would otherwise wait for: the map's index and the active model."""
        with self.reader() as u:
            self.locator.refresh(u.areas)
        model = current_classifier(self.reader, cache=self.models)
        if model is not None:
            model.predict_top(["路灯不亮"], k=3)  # the first prediction builds the model's lookup tables

    def close(self) -> None:
        """Finish the suggestions under way (briefly), then release database connections."""
        self.suggester.drain(timeout=5)
        self.engine.dispose()


def bootstrap(
    settings: Settings | None = None,
    *,
    database_url: str | None = None,
    create: bool = False,
    clock: Callable[[], datetime] = utc_now,
) -> App:
    """Build the application. ``create`` makes or upgrades the schema; otherwise it must be current."""
    settings = settings or Settings()
    url = database_url or settings.database_url
    _refuse_missing_sqlite_file(url, create)
    engine = make_engine(url, busy_timeout_ms=settings.sqlite_busy_timeout_ms)
    try:
        if create:
            schema.upgrade(engine)
        elif schema.current_revision(engine) != schema.head_revision():
            raise SchemaOutdated(url=_safe(url))
    except Exception:
        engine.dispose()
        raise
    hours = WorkingHours.parse(settings.working_hours, tz=settings.timezone)
    locator = Locator()
    # The worker calls back into the app built just below (late binding: ``app`` exists by then).
    suggester = SuggestionWorker(lambda ids: app.suggest(ids))
    app = App(
        settings=settings,
        engine=engine,
        locator=locator,
        intake=IntakeWriter(lambda: UnitOfWork(engine), locator, on_stored=suggester.notify),
        suggester=suggester,
        deadlines=CalendarDeadlines(ChinaWorkCalendar(), hours, TimeLimit.parse(settings.accept_limit)),
        clock=clock,
        photos=PhotoStore(settings.upload_dir, max_bytes=settings.max_photo_bytes),
        limiters={
            name: RateLimiter(per_minute, 60.0)
            for name, per_minute in (
                ("reports", settings.public_reports_per_minute),
                ("sign_in", settings.sign_ins_per_minute),
                ("uploads", settings.uploads_per_minute),
            )
            if per_minute > 0
        },
    )
    app.reload_calendar()
    return app


def _refuse_missing_sqlite_file(url: str, create: bool) -> None:
    try:
        parsed = make_url(url)
    except Exception:
        raise BadDatabaseURL(url=url) from None
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        path = Path(parsed.database)
        if create:
            path.parent.mkdir(parents=True, exist_ok=True)
        elif not path.exists():
            raise DatabaseMissing(url=_safe(url))


def _safe(url: str) -> str:
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return url
