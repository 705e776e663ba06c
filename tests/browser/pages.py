"""Helpers of the browser tests: skip for a page this build lacks, a photo to upload, a figure's number."""

from __future__ import annotations

import io
import re

import pytest
from PIL import Image

from civicgrid.demo.browser import page_paths


def need(*paths: str) -> None:
    """Skip the test, naming the pages it needs that this build does not have."""
    missing = [p for p in paths if p not in page_paths()]
    if missing:
        pytest.skip(f"page not on this branch yet: {', '.join(missing)}")


def photo(colour: tuple[int, int, int] = (200, 30, 30)) -> dict[str, object]:
    """A small PNG as Playwright's set_input_files takes it."""
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), colour).save(buffer, "PNG")
    return {"name": "photo.png", "mimeType": "image/png", "buffer": buffer.getvalue()}


def number_in(text: str) -> int:
    """The first whole number in a figure's text (``1,234`` -> 1234); 0 when it shows none (``—``)."""
    found = re.search(r"\d[\d,]*", text)
    return int(found.group(0).replace(",", "")) if found else 0
