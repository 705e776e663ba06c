"""/api/v1/photos: upload up to three photos, then name them in a report, a result or a comment."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse

from civicgrid.adapters.photos import PhotoNotFound, PhotoTooLarge, PhotoTooMany
from civicgrid.analytics.case_queries import photo_in_scope
from civicgrid.domain.access import scope_of
from civicgrid.domain.errors import N_, InvalidInput
from civicgrid.entrypoints.api.deps import AppDep, CallerDep, StaffDep, limit_public
from civicgrid.services import tracking

router = APIRouter(prefix="/api/v1", tags=["photos"])


def require_photos(app: AppDep, names: list[str]) -> tuple[str, ...]:
    """Photo names a body refers to must have been uploaded first (422 otherwise)."""
    for name in names:
        try:
            app.photos.path_of(name)
        except PhotoNotFound:
            raise InvalidInput(detail=N_("unknown photo; upload it first")) from None
    return tuple(names)


async def read_uploads(app: AppDep, files: list[UploadFile]) -> list[bytes]:
    """The uploaded files' bytes, refusing an oversize one without reading it all into memory."""
    out = []
    for f in files:
        data = await f.read(app.settings.max_photo_bytes + 1)
        if len(data) > app.settings.max_photo_bytes:
            raise PhotoTooLarge(
                size=f"{len(data) // 1048576}+", limit=app.settings.max_photo_bytes // 1048576
            )
        out.append(data)
    return out


@router.post("/photos", status_code=201)
async def upload(
    request: Request, app: AppDep, caller: CallerDep, files: Annotated[list[UploadFile], File()]
) -> list[dict[str, Any]]:
    """Store up to 3 photos (JPEG, PNG, WebP or GIF), checked by content and re-encoded without metadata."""
    limit_public(app, "uploads", request)
    if len(files) > 3:
        raise PhotoTooMany(count=len(files), limit=3)
    data = await read_uploads(app, files)
    # Re-encoding takes ~0.3 s a photo: off the event loop, so other requests are not held up.
    stored = await run_in_threadpool(app.photos.store_many, data, max_count=3)
    return [{"name": p.name, "width": p.width, "height": p.height, "bytes": p.bytes} for p in stored]


@router.get("/photos/{first}/{rest}", response_class=FileResponse)
def photo(first: str, rest: str, app: AppDep, caller: StaffDep) -> FileResponse:
    """A stored photo, for staff who may see a case that holds it (404 for anyone else, as for the case)."""
    name = f"{first}/{rest}"
    path = app.photos.path_of(name)  # a malformed name never reaches the query
    with app.engine.connect() as conn:
        if not photo_in_scope(conn, name=name, scope=scope_of(caller.actor)):
            raise PhotoNotFound()
    return FileResponse(path, media_type="image/jpeg")


@router.get("/track/{token}/photos/{first}/{rest}", response_class=FileResponse, tags=["tracking"])
def tracked_photo(token: str, first: str, rest: str, app: AppDep) -> FileResponse:
    """A photo of the case a tracking link opens."""
    tracked = tracking.case_by_token(uow=app.reader, token=token)
    name = f"{first}/{rest}"
    if name not in tracked.case.photos + (tracked.own.photos if tracked.own else ()):
        raise PhotoNotFound()
    return FileResponse(app.photos.path_of(name), media_type="image/jpeg")
