"""Lists and figures tables as files: CSV (UTF-8 with a BOM, so Excel opens Chinese right) and XLSX.

A table is a list of columns (key, English header, kind) and an iterator of rows; headers are translated
for the reader and times shown in the district's zone. Exports are bounded (``MAX_ROWS``): a list larger
than that is refused with a message asking for a narrower filter rather than cut silently.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from civicgrid.domain.errors import N_, DomainError

MAX_ROWS = 100_000
# Spreadsheet programs run a cell that starts with one of these as a formula (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class ExportTooLarge(DomainError):
    code = "export_too_large"
    message = N_("The list has {count} rows, more than an export holds ({limit}); narrow the filters.")


@dataclass(frozen=True)
class Column:
    key: str
    header: str  # English message id, translated for the reader
    kind: str = "text"  # text | number | time | rate | label (a code shown by its translated label)


@dataclass(frozen=True)
class Table:
    name: str
    columns: Sequence[Column]
    rows: Iterable[dict[str, Any]]
    total: int


def check_size(total: int) -> None:
    """Refuse an export larger than ``MAX_ROWS``."""
    if total > MAX_ROWS:
        raise ExportTooLarge(count=total, limit=MAX_ROWS)


def neutralise(text: str) -> str:
    """Text a spreadsheet would run as a formula gets a leading apostrophe."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _cell_text(value: Any, kind: str, zone: ZoneInfo) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S")
    if kind == "rate" and isinstance(value, float):
        return f"{value:.4f}"
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, dict | list):
        return neutralise(json.dumps(value, ensure_ascii=False, default=str))
    return neutralise(str(value))


def _labelled(row: dict[str, Any], column: Column, translate: Callable[[str], str]) -> Any:
    value = row.get(column.key)
    return translate(value) if column.kind == "label" and isinstance(value, str) and value else value


def to_csv(table: Table, translate: Callable[[str], str], zone: ZoneInfo) -> Iterator[bytes]:
    """The table as CSV, in chunks (the first starts with the UTF-8 byte order mark)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([translate(c.header) for c in table.columns])
    yield "\ufeff".encode() + _drain(buffer)
    for n, row in enumerate(table.rows, 1):
        writer.writerow([_cell_text(_labelled(row, c, translate), c.kind, zone) for c in table.columns])
        if n % 500 == 0:
            yield _drain(buffer)
    yield _drain(buffer)


def _drain(buffer: io.StringIO) -> bytes:
    data = buffer.getvalue().encode("utf-8")
    buffer.seek(0)
    buffer.truncate()
    return data


def to_xlsx(table: Table, translate: Callable[[str], str], zone: ZoneInfo, title: str) -> bytes:
    """The table as an XLSX workbook: bold frozen header, real dates (local time), sized columns."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet(title=title[:31] or "export")
    headers = [translate(c.header) for c in table.columns]
    widths = [max(8, min(40, _width(h) + 2)) for h in headers]
    rows: list[list[Any]] = []
    for row in table.rows:
        values = [_xlsx_value(_labelled(row, c, translate), c.kind, zone) for c in table.columns]
        for i, v in enumerate(values):
            if isinstance(v, str):
                widths[i] = max(widths[i], min(60, _width(v) + 2))
        rows.append(values)
    for i, w in enumerate(widths):
        sheet.column_dimensions[_column_letter(i)].width = w
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    header_cells = []
    for h in headers:
        cell = WriteOnlyCell(sheet, value=h)
        cell.font = bold
        header_cells.append(cell)
    sheet.append(header_cells)
    for values in rows:
        cells = []
        for v, c in zip(values, table.columns, strict=True):
            cell = WriteOnlyCell(sheet, value=v)
            if c.kind == "time" and v is not None:
                cell.number_format = "yyyy-mm-dd hh:mm"
            elif c.kind == "rate" and v is not None:
                cell.number_format = "0.0%"
            cells.append(cell)
        sheet.append(cells)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _xlsx_value(value: Any, kind: str, zone: ZoneInfo) -> Any:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.astimezone(zone).replace(tzinfo=None)  # Excel has no zones: local wall time
    if isinstance(value, bool | int | float):
        return value
    if isinstance(value, dict | list):
        return neutralise(json.dumps(value, ensure_ascii=False, default=str))
    return neutralise(str(value))


def _width(text: str) -> int:
    # CJK characters take two columns.
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


def _column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters
