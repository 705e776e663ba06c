"""PhotoStore believes only the bytes: it re-encodes clean JPEGs and refuses hostile input early."""

from __future__ import annotations

import io
import os
import stat
import struct
import time
import zlib
from pathlib import Path
from typing import Any

import pytest
from PIL import ExifTags, Image, ImageCms, ImageFile

from civicgrid.adapters.photos import (
    PhotoNotFound,
    PhotoRejected,
    PhotoStore,
    PhotoTooLarge,
    PhotoTooMany,
    PhotoTooManyPixels,
    StoredPhoto,
)
from civicgrid.domain.errors import NotFound

RED, BLUE = (255, 0, 0), (0, 0, 255)


# -- building inputs -------------------------------------------------------------------------------------


def encode(image: Image.Image, kind: str, **params: Any) -> bytes:
    out = io.BytesIO()
    image.save(out, kind, **params)
    return out.getvalue()


def two_colours(width: int = 40, height: int = 20) -> Image.Image:
    """Left half red, right half blue: shows which way a picture was turned."""
    image = Image.new("RGB", (width, height), RED)
    image.paste(BLUE, (width // 2, 0, width, height))
    return image


def gps_exif(orientation: int = 1) -> Image.Exif:
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = orientation
    exif[ExifTags.Base.Make] = "PhoneMaker"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (39.0, 54.0, 27.0)
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (116.0, 23.0, 17.0)
    return exif


def rgb_profile(red: tuple[float, ...], green: tuple[float, ...], blue: tuple[float, ...]) -> bytes:
    """A minimal ICC v2 matrix/TRC display profile with the given primaries (D50 XYZ), gamma 2.2."""

    def xyz(values: tuple[float, ...]) -> bytes:
        return b"XYZ \0\0\0\0" + b"".join(struct.pack(">i", round(v * 65536)) for v in values)

    d50 = (0.9642, 1.0, 0.8249)
    curve = b"curv\0\0\0\0" + struct.pack(">IH", 1, 0x0233) + b"\0\0"
    tags = [(b"rXYZ", xyz(red)), (b"gXYZ", xyz(green)), (b"bXYZ", xyz(blue)), (b"wtpt", xyz(d50))]
    tags += [(b"rTRC", curve), (b"gTRC", curve), (b"bTRC", curve)]
    start, table, body = 128 + 4 + 12 * len(tags), b"", b""
    for signature, data in tags:
        table += signature + struct.pack(">II", start + len(body), len(data))
        body += data
    header = struct.pack(
        ">I4sI4s4s4s12s4s",
        start + len(body),
        b"none",
        0x02100000,
        b"mntr",
        b"RGB ",
        b"XYZ ",
        b"\0" * 12,
        b"acsp",
    )
    header = (header + b"\0" * 68)[:68] + xyz(d50)[8:]
    return (header + b"\0" * 128)[:128] + struct.pack(">I", len(tags)) + table + body


SRGB_RED, SRGB_GREEN, SRGB_BLUE = (0.4361, 0.2225, 0.0139), (0.3851, 0.7169, 0.0971), (0.1431, 0.0606, 0.7141)


def chunk(kind: bytes, body: bytes) -> bytes:
    return len(body).to_bytes(4, "big") + kind + body + zlib.crc32(kind + body).to_bytes(4, "big")


def png_claiming(width: int, height: int) -> bytes:
    """A tiny, well-formed PNG whose header claims width x height RGB pixels."""
    header = width.to_bytes(4, "big") + height.to_bytes(4, "big") + bytes([8, 2, 0, 0, 0])
    idat = zlib.compress(b"\0" * 4096)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def gif_claiming(width: int, height: int) -> bytes:
    data = bytearray(encode(Image.new("P", (1, 1)), "GIF"))
    data[6:10] = width.to_bytes(2, "little") + height.to_bytes(2, "little")  # the logical screen
    return bytes(data)


def jpeg_claiming(width: int, height: int) -> bytes:
    data = bytearray(encode(Image.new("RGB", (8, 8)), "JPEG"))
    sof = data.index(b"\xff\xc0")
    data[sof + 5 : sof + 9] = height.to_bytes(2, "big") + width.to_bytes(2, "big")
    return bytes(data)


def jpeg_segments(jpeg: bytes) -> list[int]:
    """The marker of every segment before the image data (APPn, COM, DQT, SOF, ...)."""
    assert jpeg[:2] == b"\xff\xd8"
    markers, i = [], 2
    while jpeg[i + 1] != 0xDA:  # start of scan
        markers.append(jpeg[i + 1])
        i += 2 + int.from_bytes(jpeg[i + 2 : i + 4], "big")
    return markers


def opened(store: PhotoStore, photo: StoredPhoto) -> Image.Image:
    image = Image.open(store.path_of(photo.name))
    image.load()
    return image


def near(pixel: Any, colour: tuple[int, int, int], tolerance: int = 40) -> bool:
    return all(abs(a - b) <= tolerance for a, b in zip(pixel, colour, strict=True))


@pytest.fixture
def store(tmp_path: Path) -> PhotoStore:
    return PhotoStore(tmp_path / "photos")


def refused(store: PhotoStore, data: bytes) -> str:
    with pytest.raises(PhotoRejected) as caught:
        store.store(data)
    return caught.value.code


# -- what comes out --------------------------------------------------------------------------------------


def test_gps_exif_xmp_comment_and_icc_profile_are_gone(store: PhotoStore) -> None:
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    xmp = b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><exif:GPSLatitude>39,54N</exif:GPSLatitude></x:xmpmeta>'
    data = encode(
        two_colours(), "JPEG", exif=gps_exif().tobytes(), xmp=xmp, comment=b"home", icc_profile=srgb
    )
    with Image.open(io.BytesIO(data)) as original:  # the input really carries all of it
        assert original.getexif().get_ifd(ExifTags.IFD.GPSInfo)
        assert {"exif", "xmp", "comment", "icc_profile"} <= set(original.info)

    photo = store.store(data)

    image = opened(store, photo)
    assert image.format == "JPEG" and image.mode == "RGB"
    assert len(image.getexif()) == 0
    assert not {"exif", "xmp", "comment", "icc_profile"} & set(image.info)
    written = store.path_of(photo.name).read_bytes()
    app_or_comment = {m for m in jpeg_segments(written) if 0xE1 <= m <= 0xEF or m == 0xFE}
    assert app_or_comment == set()  # only APP0 (JFIF) is left
    assert b"PhoneMaker" not in written and b"xmpmeta" not in written
    assert photo.bytes == len(written)


def test_orientation_is_applied_to_the_pixels(store: PhotoStore) -> None:
    # Orientation 6: the camera was turned; the stored picture is upright: red on top, blue below.
    photo = store.store(encode(two_colours(40, 20), "JPEG", exif=gps_exif(orientation=6).tobytes()))

    image = opened(store, photo)
    assert (photo.width, photo.height) == image.size == (20, 40)
    assert near(image.getpixel((10, 5)), RED) and near(image.getpixel((10, 35)), BLUE)


def test_png_with_alpha_becomes_a_jpeg_on_white(store: PhotoStore) -> None:
    picture = Image.new("RGBA", (20, 20), (0, 0, 0, 0))
    picture.paste((255, 0, 0, 255), (0, 0, 10, 20))

    image = opened(store, store.store(encode(picture, "PNG")))

    assert image.format == "JPEG" and image.mode == "RGB"
    assert near(image.getpixel((3, 10)), RED) and near(image.getpixel((16, 10)), (255, 255, 255))


def test_colours_are_converted_from_an_embedded_profile_to_srgb(store: PhotoStore) -> None:
    # A profile whose "red" channel is sRGB's green: the pixel (255, 0, 0) *is* green, and must stay green
    # once the profile is dropped.
    swapped = rgb_profile(SRGB_GREEN, SRGB_RED, SRGB_BLUE)
    data = encode(Image.new("RGB", (8, 8), RED), "PNG", icc_profile=swapped)

    image = opened(store, store.store(data))

    assert near(image.getpixel((4, 4)), (0, 255, 0), tolerance=12)
    assert "icc_profile" not in image.info


def test_a_broken_profile_costs_the_conversion_not_the_photo(store: PhotoStore) -> None:
    data = encode(Image.new("RGB", (8, 8), RED), "JPEG", icc_profile=b"not a profile" * 20)

    assert near(opened(store, store.store(data)).getpixel((4, 4)), RED)


def test_a_png_named_jpg_is_accepted_because_content_decides(store: PhotoStore, tmp_path: Path) -> None:
    sent = tmp_path / "photo.jpg"
    sent.write_bytes(encode(two_colours(), "PNG"))

    image = opened(store, store.store(sent.read_bytes()))

    assert image.format == "JPEG" and image.size == (40, 20)


def test_a_large_photo_is_scaled_down_to_max_side(tmp_path: Path) -> None:
    store = PhotoStore(tmp_path, max_side=500)

    photo = store.store(encode(two_colours(3000, 1000), "JPEG", quality=70))

    assert (photo.width, photo.height) == (500, 167)
    assert opened(store, photo).size == (500, 167)


@pytest.mark.parametrize("kind", ["GIF", "WEBP"])
def test_an_animation_keeps_its_first_frame(store: PhotoStore, kind: str) -> None:
    frames = [Image.new("RGB", (16, 16), RED), Image.new("RGB", (16, 16), BLUE)]
    data = encode(frames[0], kind, save_all=True, append_images=frames[1:], duration=100, loop=0)

    image = opened(store, store.store(data))

    assert near(image.getpixel((8, 8)), RED)


def test_a_phone_mpo_is_read_as_its_main_jpeg(store: PhotoStore) -> None:
    data = encode(Image.new("RGB", (16, 16), RED), "MPO", save_all=True, append_images=[two_colours()])

    assert opened(store, store.store(data)).size == (16, 16)


def test_cmyk_and_16_bit_grey_come_out_as_rgb_with_their_tones(store: PhotoStore) -> None:
    cmyk = opened(store, store.store(encode(Image.new("CMYK", (8, 8), (0, 255, 255, 0)), "JPEG")))
    grey16 = Image.new("I;16", (8, 8), 32768)  # mid-grey in 16 bits, not white

    grey = opened(store, store.store(encode(grey16, "PNG")))

    assert cmyk.mode == grey.mode == "RGB"
    assert near(cmyk.getpixel((4, 4)), RED, tolerance=60)
    assert near(grey.getpixel((4, 4)), (128, 128, 128), tolerance=8)


def test_bytes_appended_after_the_image_are_not_kept(store: PhotoStore) -> None:
    payload = b"<?php system($_GET['c']); ?>"

    photo = store.store(encode(two_colours(), "PNG") + payload)

    assert payload not in store.path_of(photo.name).read_bytes()


# -- what is refused -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [
        b"Dear sir, this is not a photo.\n" * 10,
        b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>',
        b"\xff\xd8\xff\xe0" + b"\0" * 200,  # JPEG magic, nothing behind it
        b"\x89PNG\r\n\x1a\n" + b"junk" * 50,
        b"",
    ],
    ids=["text", "svg", "jpeg-magic-only", "png-magic-only", "empty"],
)
def test_a_file_that_only_claims_to_be_a_photo_is_refused(store: PhotoStore, data: bytes) -> None:
    assert refused(store, data) == "photo_not_image"


def test_a_text_file_named_photo_jpg_is_refused(store: PhotoStore, tmp_path: Path) -> None:
    sent = tmp_path / "photo.jpg"
    sent.write_text("GET /etc/passwd\n")

    assert refused(store, sent.read_bytes()) == "photo_not_image"


def test_a_truncated_jpeg_is_refused(store: PhotoStore) -> None:
    data = encode(Image.effect_noise((200, 150), 50).convert("RGB"), "JPEG")

    assert refused(store, data[: len(data) // 2]) == "photo_not_image"


@pytest.mark.parametrize("kind", ["BMP", "TIFF"])
def test_other_image_formats_are_unsupported(store: PhotoStore, kind: str) -> None:
    assert refused(store, encode(two_colours(), kind)) == "photo_unsupported"


def test_heic_is_named_as_unsupported(store: PhotoStore) -> None:
    heic = b"\0\0\0\x18ftypheic\0\0\0\0mif1heic" + b"\0" * 100
    with pytest.raises(PhotoRejected) as caught:
        store.store(heic)
    assert caught.value.code == "photo_unsupported" and caught.value.params == {"kind": "HEIC"}


def test_oversize_bytes_are_refused_before_anything_is_decoded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = PhotoStore(tmp_path, max_bytes=1000)
    data = encode(Image.effect_noise((100, 100), 50).convert("RGB"), "PNG")
    assert len(data) > 1000

    def no_decoding(*args: object, **kwargs: object) -> None:
        raise AssertionError("Pillow was asked to open an oversize file")

    monkeypatch.setattr(Image, "open", no_decoding)
    with pytest.raises(PhotoTooLarge) as caught:
        store.store(data)
    assert caught.value.code == "photo_too_large"


@pytest.mark.parametrize(
    "data",
    [png_claiming(60_000, 60_000), gif_claiming(65_535, 65_535), jpeg_claiming(60_000, 60_000)],
    ids=["png", "gif", "jpeg"],
)
@pytest.mark.parametrize("pillow_guard", [True, False], ids=["pillow-guard", "pillow-guard-off"])
def test_a_decompression_bomb_is_refused_from_its_header(
    store: PhotoStore, monkeypatch: pytest.MonkeyPatch, data: bytes, pillow_guard: bool
) -> None:
    if not pillow_guard:  # another module may have switched Pillow's global limit off: we still refuse
        monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", None)

    def no_decoding(self: ImageFile.ImageFile) -> None:
        raise AssertionError("pixels were decoded")

    monkeypatch.setattr(ImageFile.ImageFile, "load", no_decoding)
    started = time.perf_counter()

    assert refused(store, data) == "photo_too_many_pixels"
    assert time.perf_counter() - started < 0.5
    assert len(data) < 2000


def test_the_pixel_limit_is_this_stores_own(tmp_path: Path) -> None:
    # 48 MP is under Pillow's global threshold (~89 MP), so only the store's limit (40 MP) refuses it.
    assert refused(PhotoStore(tmp_path), png_claiming(8000, 6000)) == "photo_too_many_pixels"
    assert refused(PhotoStore(tmp_path, max_pixels=100), encode(two_colours(), "PNG")) == (
        "photo_too_many_pixels"
    )


def test_more_than_three_photos_are_refused_and_none_stored(store: PhotoStore) -> None:
    photos = [encode(Image.new("RGB", (8, 8), (i, 0, 0)), "PNG") for i in range(4)]

    with pytest.raises(PhotoTooMany) as caught:
        store.store_many(photos)

    assert caught.value.params == {"count": 4, "limit": 3}
    assert not store.root.exists()
    assert len(store.store_many(photos[:3])) == 3


def test_one_bad_photo_in_a_batch_stores_none(store: PhotoStore) -> None:
    good = encode(two_colours(), "PNG")

    with pytest.raises(PhotoRejected):
        store.store_many([good, b"not a photo"])

    assert not store.root.exists()


# -- where and how it is stored --------------------------------------------------------------------------


def test_the_same_photo_twice_is_one_file_under_one_name(store: PhotoStore) -> None:
    data = encode(two_colours(), "JPEG", exif=gps_exif().tobytes())

    first, second = store.store(data), store.store(data)

    assert first == second
    assert [p for p in store.root.rglob("*") if p.is_file()] == [store.path_of(first.name)]


def test_files_are_written_under_root_only(tmp_path: Path) -> None:
    store = PhotoStore(tmp_path / "photos")

    photos = store.store_many([encode(two_colours(), "PNG"), encode(Image.new("RGB", (9, 9)), "GIF")])

    written = sorted(p for p in tmp_path.rglob("*") if p.is_file())
    assert written == sorted(store.path_of(p.name) for p in photos)
    for photo, path in zip(photos, written, strict=False):
        digest = photo.name.split("/")[1].removesuffix(".jpg")
        assert photo.name == f"{digest[:2]}/{digest}.jpg" and path.is_relative_to(tmp_path / "photos")
    assert all(stat.S_IMODE(os.stat(p).st_mode) == 0o644 for p in written)  # no temp files left behind


@pytest.mark.parametrize(
    "name",
    [
        "../../etc/passwd",
        "/etc/passwd",
        "3f/../../../etc/passwd",
        "3f\\" + "3f" * 32 + ".jpg",
        "3f/" + "3f" * 32 + ".jpg\0",
        "3f/" + "3f" * 32 + ".jpg\n",
        "3F/" + "3F" * 32 + ".jpg",
        "aa/" + "3f" * 32 + ".jpg",  # shard that does not match the hash
        "3f/" + "3f" * 32 + ".png",
        "",
    ],
)
def test_path_of_refuses_names_this_store_never_writes(store: PhotoStore, name: str) -> None:
    with pytest.raises(PhotoNotFound) as caught:
        store.path_of(name)
    assert caught.value.code == "photo_not_found"
    assert isinstance(caught.value, NotFound) and isinstance(caught.value, PhotoRejected)


def test_path_of_a_well_formed_name_not_stored_is_not_found(store: PhotoStore) -> None:
    with pytest.raises(PhotoNotFound):
        store.path_of("3f/" + "3f" * 32 + ".jpg")


def test_messages_name_the_limits(tmp_path: Path) -> None:
    store = PhotoStore(tmp_path, max_bytes=8 * 1024 * 1024)
    with pytest.raises(PhotoTooLarge) as caught:
        store.store(b"\0" * (9 * 1024 * 1024))
    assert caught.value.render() == "The photo is 9 MB; a photo may be at most 8 MB."
    with pytest.raises(PhotoTooLarge) as barely:
        store.store(b"\0" * (8 * 1024 * 1024 + 1))
    assert barely.value.params == {"size": "8.1", "limit": "8"}
    with pytest.raises(PhotoTooManyPixels) as bomb:
        store.store(png_claiming(8000, 6000))
    assert "at most 40 million pixels" in bomb.value.render()
