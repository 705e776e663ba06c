"""Photos attached to a report: checked by content, re-encoded without metadata, stored on disk.

Nothing a sender says about a file is believed: not its name, not its declared type.  The bytes are
opened with Pillow restricted to four formats, the dimensions in the header are checked before a
single pixel is decoded (decompression bombs), and the picture is re-encoded from its pixels to a fresh
RGB JPEG.  Re-encoding is what strips EXIF (GPS position, camera serial), XMP, comments and anything
appended after the image data; embedded ICC profiles are applied (colours converted to sRGB) and then
dropped, since a profile can name the device and sRGB is what browsers assume.

Stored files are named by the SHA-256 of the JPEG written, ``3f/3fa9...e1.jpg``, so the same photo
sent twice is stored once and a name can never address anything outside the store.
"""

from __future__ import annotations

import hashlib
import io
import math
import os
import re
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Final

from PIL import ExifTags, Image, ImageCms, UnidentifiedImageError

from civicgrid.domain.errors import DomainError, NotFound
from civicgrid.i18n import N_

MiB: Final = 1024 * 1024
ACCEPTED_FORMATS: Final = ("JPEG", "PNG", "WEBP", "GIF")
# Formats recognised only to say "not accepted" rather than "not a photo".  A short list on purpose:
# every plugin tried is header-parsing code run on hostile bytes.
_RECOGNISED_FORMATS: Final = ("BMP", "TIFF", "AVIF", "JPEG2000", "ICO", "PPM", "TGA", "PSD")
# ISO-BMFF brands of HEIC/HEIF, the iPhone's own format, which Pillow cannot open at all.
_HEIF_BRANDS: Final = (b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1")
_NAME: Final = re.compile(r"([0-9a-f]{2})/([0-9a-f]{64})\.jpg")
_WHITE: Final = (255, 255, 255)
# EXIF orientation -> the transposition that shows the picture upright (as in ImageOps.exif_transpose).
_UPRIGHT: Final = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}


class PhotoRejected(DomainError):
    """A photo the store refuses; each subclass has its own code."""

    code = "photo_rejected"
    message = N_("The photo was refused.")


class PhotoTooLarge(PhotoRejected):
    code = "photo_too_large"
    message = N_("The photo is {size} MB; a photo may be at most {limit} MB.")


class PhotoNotImage(PhotoRejected):
    code = "photo_not_image"
    message = N_("The file is not a photo that can be read, or it is damaged.")


class PhotoUnsupported(PhotoRejected):
    code = "photo_unsupported"
    message = N_("Photos in {kind} format are not accepted; please send JPEG, PNG, WebP or GIF.")


class PhotoTooManyPixels(PhotoRejected):
    code = "photo_too_many_pixels"
    message = N_("The photo's dimensions are too large; a photo may have at most {limit} million pixels.")


class PhotoTooMany(PhotoRejected):
    code = "photo_too_many"
    message = N_("{count} photos were sent; at most {limit} can be attached.")


class PhotoNotFound(PhotoRejected, NotFound):
    """Also a NotFound, so the edge answers 404; the name asked for is not echoed back."""

    code = "photo_not_found"
    message = N_("The photo was not found.")


@dataclass(frozen=True)
class StoredPhoto:
    """A photo as stored: its name under the store's root and the size of the JPEG written."""

    name: str
    width: int
    height: int
    bytes: int


class PhotoStore:
    """Validates, cleans and stores photos under ``root``; one instance is safe to share."""

    def __init__(
        self,
        root: Path,
        *,
        max_bytes: int = 8 * MiB,
        max_pixels: int = 40_000_000,
        max_side: int = 2560,
        quality: int = 85,
    ) -> None:
        self.root = Path(root)
        self.max_bytes = max_bytes
        self.max_pixels = max_pixels
        self.max_side = max_side
        self.quality = quality

    def store(self, data: bytes) -> StoredPhoto:
        """Check one photo by its content, strip its metadata and store it as JPEG."""
        name, jpeg, size = self._prepare(data)
        self._write(name, jpeg)
        return StoredPhoto(name=name, width=size[0], height=size[1], bytes=len(jpeg))

    def store_many(self, items: Sequence[bytes], *, max_count: int = 3) -> list[StoredPhoto]:
        """Store a report's photos: all of them, or (when one is refused) none."""
        if len(items) > max_count:
            raise PhotoTooMany(count=len(items), limit=max_count)
        # Everything is checked and encoded before the first write, so a bad third photo leaves no orphans.
        prepared = [self._prepare(data) for data in items]
        for name, jpeg, _size in prepared:
            self._write(name, jpeg)
        return [StoredPhoto(name=n, width=s[0], height=s[1], bytes=len(j)) for n, j, s in prepared]

    def path_of(self, name: str) -> Path:
        """The file of a stored photo; PhotoNotFound for a malformed name or nothing stored under it."""
        # Only the exact shape this store writes is accepted, so '..', absolute paths, backslashes,
        # NUL bytes and a trailing newline cannot reach the filesystem at all.
        match = _NAME.fullmatch(name) if isinstance(name, str) else None
        if match is None or not match.group(2).startswith(match.group(1)):
            raise PhotoNotFound()
        path = self.root / match.group(1) / f"{match.group(2)}.jpg"
        if not path.is_file():
            raise PhotoNotFound()
        return path

    # -- checking and re-encoding ----------------------------------------------------------------------

    def _prepare(self, data: bytes) -> tuple[str, bytes, tuple[int, int]]:
        """Validate and re-encode; returns the name, the JPEG and its size.  Writes nothing."""
        if len(data) > self.max_bytes:  # before Pillow sees a byte
            raise PhotoTooLarge(size=_megabytes(len(data), up=True), limit=_megabytes(self.max_bytes))
        image = self._decode(data)
        try:
            jpeg, size = self._encode(image)
        finally:
            image.close()
        digest = hashlib.sha256(jpeg).hexdigest()
        return f"{digest[:2]}/{digest}.jpg", jpeg, size

    def _decode(self, data: bytes) -> Image.Image:
        """The first frame, decoded, after checking format and header dimensions."""
        try:
            image = _open(data)
        except Image.DecompressionBombError as exc:  # Pillow's global guard fired while reading the header
            raise PhotoTooManyPixels(limit=self._megapixels()) from exc
        try:
            if image.format not in (*ACCEPTED_FORMATS, "MPO"):  # MPO: a phone JPEG with extra frames
                raise PhotoUnsupported(kind=image.format or "unknown")
            self._check_pixels(image.size)  # the header's claim, before any pixel is decoded
            if image.format in ("JPEG", "MPO"):
                # Let libjpeg scale by 1/2, 1/4 or 1/8 while decoding when the photo is far larger than
                # what is kept: less memory and time. Never below max_side, so quality is unaffected.
                image.draft(None, (self.max_side, self.max_side))
            image.load()  # the first frame only: later frames of a GIF/WebP/APNG are never decoded
            self._check_pixels(image.size)  # a GIF frame can enlarge the canvas while loading
        except Image.DecompressionBombError as exc:
            image.close()
            raise PhotoTooManyPixels(limit=self._megapixels()) from exc
        except (OSError, SyntaxError, ValueError, EOFError) as exc:
            image.close()
            raise PhotoNotImage() from exc
        except BaseException:
            image.close()
            raise
        return image

    def _check_pixels(self, size: tuple[int, int]) -> None:
        # Our own limit per store, checked on every call: Pillow's MAX_IMAGE_PIXELS is process-global,
        # may be changed (or set to None) by any other code, and only warns between 1x and 2x its value.
        if size[0] * size[1] > self.max_pixels:
            raise PhotoTooManyPixels(limit=self._megapixels())

    def _megapixels(self) -> str:
        return f"{self.max_pixels / 1_000_000:g}"

    def _encode(self, image: Image.Image) -> tuple[bytes, tuple[int, int]]:
        orientation = _orientation(image)
        profile = image.info.get("icc_profile")
        picture = _flatten(image)  # RGB, L or CMYK from here on
        # Bicubic (Pillow's thumbnail default): Lanczos is ~25% slower on a 12 MP photo for no visible gain.
        picture.thumbnail((self.max_side, self.max_side), Image.Resampling.BICUBIC)
        picture = _to_srgb(picture, profile if isinstance(profile, bytes) else None)
        if orientation in _UPRIGHT:
            picture = picture.transpose(_UPRIGHT[orientation])
        # The new image may still carry a copy of the source's info (comment, exif, xmp): Pillow's JPEG
        # writer falls back to it for some keys, so it is emptied rather than trusted to be ignored.
        picture.info = {}
        out = io.BytesIO()
        picture.save(out, "JPEG", quality=self.quality, optimize=True, exif=b"")
        return out.getvalue(), picture.size

    # -- durable writing -------------------------------------------------------------------------------

    def _write(self, name: str, jpeg: bytes) -> None:
        final = self.root / name
        if final.is_file() and final.stat().st_size == len(jpeg):
            return  # same name means same bytes (content-addressed): already stored
        shard = final.parent
        created = not shard.is_dir()
        shard.mkdir(parents=True, exist_ok=True)
        if created:
            _fsync_dir(shard.parent)  # make the new shard directory's own entry durable
        fd, tmp = tempfile.mkstemp(dir=shard, prefix=".", suffix=".part")
        try:
            with os.fdopen(fd, "wb") as fh:
                # mkstemp makes 0600 files; photos are served by the web server, possibly another user.
                os.fchmod(fh.fileno(), 0o644)
                fh.write(jpeg)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, final)  # atomic: readers see the whole photo or none
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        _fsync_dir(shard)  # make the rename itself durable


def _open(data: bytes) -> Image.Image:
    """Open (header only) with the accepted formats; classify what they cannot open."""
    try:
        return Image.open(io.BytesIO(data), formats=ACCEPTED_FORMATS)
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError):
        pass
    if data[4:8] == b"ftyp" and data[8:12] in _HEIF_BRANDS:
        raise PhotoUnsupported(kind="HEIC")
    try:
        with Image.open(io.BytesIO(data), formats=_RECOGNISED_FORMATS) as other:
            kind = other.format or "unknown"
    except Exception as exc:  # any failure to identify simply means "not an image"
        raise PhotoNotImage() from exc
    raise PhotoUnsupported(kind=kind)


def _orientation(image: Image.Image) -> int:
    try:
        value = image.getexif().get(ExifTags.Base.Orientation, 1)
    except Exception:  # a malformed EXIF block costs the rotation, not the photo
        return 1
    return value if isinstance(value, int) else 1


def _flatten(image: Image.Image) -> Image.Image:
    """Transparent areas onto white (JPEG has no alpha); odd modes to RGB or L."""
    mode = image.mode
    if mode in ("RGB", "L", "CMYK") and "transparency" not in image.info:
        return image
    if mode.startswith("I;16"):
        return image.convert("I").point(lambda v: v * (1 / 256)).convert("L")  # keep 16-bit range
    if mode in ("I", "F", "1"):
        return image.convert("L")
    if mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in image.info:
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, _WHITE)
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return image.convert("RGB")  # P without transparency, YCbCr, LAB, HSV


def _to_srgb(image: Image.Image, profile: bytes | None) -> Image.Image:
    """Apply an embedded ICC profile (e.g. Display P3, CMYK) so colours survive dropping it."""
    if profile:
        try:
            source = ImageCms.ImageCmsProfile(io.BytesIO(profile))
            if image.mode == "RGB" and ImageCms.getProfileDescription(source).lower().startswith("srgb"):
                converted = None  # already sRGB: the transform would cost ~70 ms per photo for nothing
            else:
                converted = ImageCms.profileToProfile(image, source, _srgb(), outputMode="RGB")
        except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
            converted = None  # broken or mismatched profile: treat the pixels as sRGB
        if converted is not None:
            image = converted
    return image if image.mode == "RGB" else image.convert("RGB")


@cache
def _srgb() -> ImageCms.ImageCmsProfile:
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))


def _megabytes(count: int, *, up: bool = False) -> str:
    # A refused size is rounded up, so 8.01 MB over an 8 MB limit never reads "8 MB; at most 8 MB".
    tenths = count * 10 / MiB
    return f"{(math.ceil(tenths) if up else round(tenths)) / 10:g}"


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
